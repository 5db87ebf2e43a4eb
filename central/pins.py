"""PIN hashing (scrypt, hashlib) and the masked name a kiosk may show.

The central database keeps only these hashes; a PIN exists in clear only in the WhatsApp message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    """scrypt hash with a random salt, self-describing: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; constant time in the comparison."""
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


# Checked against when the NIK has no PIN, so an unknown NIK costs the same time as a wrong PIN.
DUMMY_HASH = hash_pin("000000")


def mask_name(name: str) -> str:
    """'Budi Santoso' -> 'B*** S******': enough for a resident to recognise, little for a bystander."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
