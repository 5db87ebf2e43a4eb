"""What a barcode scan is: the login QR from WhatsApp, a document's verification QR, a queue booking.

Scans arrive already sanitized by the reader (printable ASCII, length-capped); anything that matches no
known shape is UNKNOWN and changes nothing but a message. No scan is ever logged in clear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from central.vocabulary import BOOKING_PATTERN, HOLDER_PATTERN, OFFICER_CARD_PREFIX, OFFICER_CARD_TOKEN_PATTERN


class ScanKind(Enum):
    LOGIN = "login"  # the QR in the WhatsApp PIN message: a one-time login token
    VERIFY = "verify"  # the QR printed on an A4 document
    BOOKING = "booking"  # an online queue booking code
    OFFICER_CARD = "officer_card"  # an OPSI officer's card: a secret token, a credential
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Scan:
    kind: ScanKind
    value: str = ""
    holder: str = ""  # LOGIN: whose documents the QR opens (contract v2 holder digest)

    def __repr__(self) -> str:  # a login token is a credential
        return f"Scan({self.kind.value})"


# Contract v2: the login link names its holder (h=); a link without it comes from an older service and opens
# nothing, because the kiosk could not tell whose documents it may print.
_LOGIN = re.compile(r"^https://[^\s?#]+/masuk\?t=(?P<v>[A-Za-z0-9_-]{16,128})&h=(?P<h>" + HOLDER_PATTERN[1:-1] + ")$")
_VERIFY = re.compile(r"^https://[^\s?#]+/verify/(?P<v>[A-Za-z0-9-]{4,64})$")
_BOOKING = re.compile("^(?P<v>" + BOOKING_PATTERN[1:-1] + ")$")
_OFFICER_CARD = re.compile("^" + re.escape(OFFICER_CARD_PREFIX) + "(?P<v>" + OFFICER_CARD_TOKEN_PATTERN[1:-1] + ")$")


def classify(text: str) -> Scan:
    """The kind of a scan and the part of it that matters (token, code)."""
    text = text.strip()
    for kind, pattern in ((ScanKind.LOGIN, _LOGIN), (ScanKind.VERIFY, _VERIFY), (ScanKind.BOOKING, _BOOKING),
                          (ScanKind.OFFICER_CARD, _OFFICER_CARD)):
        match = pattern.match(text)
        if match:
            return Scan(kind, match.group("v"), match.groupdict().get("h") or "")
    return Scan(ScanKind.UNKNOWN)
