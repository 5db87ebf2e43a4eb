"""The words the kiosk and the central service share, each spelled once.

Plain Python (no pydantic, no FastAPI): :mod:`central.contract` builds its models from these, and every layer
of the kiosk (``printjobs``, the flow, the screens) imports them from here rather than writing its own
``6``, ``"a4"`` or ``ANTRI-`` pattern. Changing the PIN's length, adding a media or a booking-code format is
one edit here (and the tests that pin the contract).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

#: The PIN the resident receives on WhatsApp.
PIN_DIGITS = 6
PIN_PATTERN = rf"^[0-9]{{{PIN_DIGITS}}}$"
#: The Nomor Induk Kependudukan (its structure is checked by :func:`kiosk.nik.parse_nik`).
NIK_DIGITS = 16
NIK_PATTERN = rf"^[0-9]{{{NIK_DIGITS}}}$"
#: Failed fingers a resident may give per card before the kiosk falls back to NIK + PIN (the national reader
#: specification allows 4 tries); the central service locks the NIK's finger login after as many.
FINGER_TRIES = 4
#: The nonce of a finger challenge (``POST /v1/sessions/finger/challenge``): URL-safe base64.
FINGER_NONCE_PATTERN = r"^[A-Za-z0-9_-]{32,64}$"
#: A finger proof: HMAC-SHA256 in hex (see :func:`central.contract.finger_proof`).
FINGER_PROOF_PATTERN = r"^[0-9a-f]{64}$"
#: Booking codes as the office's online queue issues them (the QR on the resident's phone holds the same).
BOOKING_PREFIX = "ANTRI-"
BOOKING_PATTERN = rf"^{BOOKING_PREFIX}[0-9A-Z]{{2,16}}$"
#: :func:`holder_digest`: whose documents a login QR opens and a signed document belongs to.
HOLDER_HEX_DIGITS = 32
HOLDER_PATTERN = rf"^[0-9a-f]{{{HOLDER_HEX_DIGITS}}}$"
_HOLDER_DOMAIN = b"adm/holder/v2\0"


class Media(StrEnum):
    """What a document is printed on, and so which printer prints it. A kiosk without a printer for a media
    lists such documents as not printable there (a media it does not know included)."""

    A4 = "a4"  # the document printer: plain HVS 80 g with the QR (KK, akta, surat keterangan, ...)
    CARD = "card"  # the card printer: CR80 blanko (KTP-el, KIA)


def known_media(code: str) -> Media | None:
    """The media a catalogue code names, or None for one this kiosk's software does not know yet."""
    try:
        return Media(code)
    except ValueError:
        return None


def holder_digest(nik: str) -> str:
    """Who a document belongs to, as the signature names it: 32 hex digits of SHA-256 over a domain-separated NIK.

    Not a secret (the NIK space is small enough to search), so treated like the NIK itself: never logged or
    stored by the kiosk; kept in memory for one session only."""
    return hashlib.sha256(_HOLDER_DOMAIN + nik.encode("ascii")).hexdigest()[:HOLDER_HEX_DIGITS]


# ----- the officer role: an OPSI desa/kecamatan officer's card and the identity check
#: What the QR on an officer's card holds: this prefix and the card's secret token.
OFFICER_CARD_PREFIX = "ADM-PETUGAS:"
OFFICER_CARD_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
OFFICER_CARD_PATTERN = "^" + OFFICER_CARD_PREFIX + OFFICER_CARD_TOKEN_PATTERN[1:]
OFFICER_ID_PATTERN = r"^[A-Z0-9-]{3,32}$"
#: The identity check at the kiosk: the officer types the last digits of the resident's NIK from the KTP/KK.
NIK_CHECK_DIGITS = 4
NIK_CHECK_PATTERN = rf"^[0-9]{{{NIK_CHECK_DIGITS}}}$"
