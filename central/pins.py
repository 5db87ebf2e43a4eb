"""PIN hashing (scrypt, hashlib) and the masked name a kiosk may show.

The central database keeps only these hashes; a PIN exists in clear only in the WhatsApp message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from central.vocabulary import PIN_DIGITS

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def new_pin() -> str:
    """A fresh PIN: PIN_DIGITS random digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def hash_pin(pin: str, *, like: str | None = None) -> str:
    """scrypt hash, self-describing: ``scrypt$n$r$p$salt$hash``; a random salt, or that of the hash ``like``.

    A resident's PINs that are valid together share one salt, so a login costs one scrypt however many of
    them there are: the time a wrong PIN takes must not tell a NIK with two PINs from an unknown one."""
    if like is None:
        params, salt = (_SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]), secrets.token_bytes(16)
    else:
        _, n, r, p, salt_b64, _ = like.split("$")
        params, salt = (int(n), int(r), int(p)), base64.b64decode(salt_b64)
    digest = _scrypt(pin, salt, *params)
    b64 = base64.b64encode
    return f"scrypt${params[0]}${params[1]}${params[2]}${b64(salt).decode()}${b64(digest).decode()}"


#: scrypt computations at once. Each takes 128 * r * n bytes (16 MiB here) while it runs, and the C library
#: keeps what a thread freed for that thread's next allocation: fifty kiosks logging in at once on the
#: server's thread pool held 600 MB. So scrypt runs only on these few threads of its own (beyond the cores,
#: more at once would only share them); every login waits its turn alike, so waiting tells nothing of a NIK.
SCRYPT_CONCURRENCY = max(2, os.cpu_count() or 2)
_SCRYPT_POOL = ThreadPoolExecutor(max_workers=SCRYPT_CONCURRENCY, thread_name_prefix="scrypt")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return _SCRYPT_POOL.submit(hashlib.scrypt, pin.encode(), salt=salt, dklen=32, n=n, r=r, p=p).result()


def check_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``; constant time in the comparison."""
    return match_pin(pin, [stored]) == 0


def match_pin(pin: str, stored: Sequence[str]) -> int | None:
    """The index of the hash in ``stored`` that ``pin`` matches, or None.

    One scrypt per distinct salt (one, for a resident's PINs: see :func:`hash_pin`); every hash is compared."""
    digests: dict[tuple[str, ...], bytes] = {}
    found = None
    for index, entry in enumerate(stored):
        _, n, r, p, salt, digest = entry.split("$")
        key = (n, r, p, salt)
        if key not in digests:
            digests[key] = _scrypt(pin, base64.b64decode(salt), int(n), int(r), int(p))
        if hmac.compare_digest(digests[key], base64.b64decode(digest)) and found is None:
            found = index
    return found


# Checked against when the NIK has no PIN, so an unknown NIK costs the same time as a wrong PIN.
DUMMY_HASH = hash_pin("000000")


def mask_name(name: str) -> str:
    """'Budi Santoso' -> 'B*** S******': enough for a resident to recognise, little for a bystander."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
