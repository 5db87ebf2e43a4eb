"""Beyond printing: the plain data of the queue check-in, document verification and PIN resend paths.

No Kivy, no I/O and no import of :mod:`kiosk.flow` (the flow imports this): what a ticket, a verification
answer and a printed-documents slip are, how a typed booking code is checked, and which message each
refusal gets. Nothing here holds a NIK, a name or a token.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from central.vocabulary import BOOKING_PATTERN, BOOKING_PREFIX

BOOKING_CODE = re.compile(BOOKING_PATTERN)
#: What the kiosk's keypad types after the fixed prefix: digits only (the codes the districts hand out).
TYPED_DIGITS_MIN, TYPED_DIGITS_MAX = 4, 8


class QueueProblem(Enum):
    """Why no ticket came; each value is the resident-facing message key."""

    MALFORMED = "queue.malformed"
    UNKNOWN = "queue.unknown"
    USED = "queue.used"
    EARLY = "queue.early"
    EXPIRED = "queue.expired"
    WALK_IN_CLOSED = "queue.walk_in_closed"
    UNREACHABLE = "central.unreachable"
    TIMEOUT = "central.timeout"
    PROTOCOL = "central.protocol"


class VerifyOutcome(Enum):
    """The colour a verification shows: green, yellow, red."""

    ACTIVE = "active"  # genuine and current
    SUPERSEDED = "superseded"  # genuine, but a newer version exists: go to the office
    UNKNOWN = "unknown"  # not a document this service issued


@dataclass(frozen=True)
class TicketInfo:
    """A queue ticket as the kiosk shows and prints it (no personal data)."""

    number: str
    service: str
    counter: str = ""
    slot: str = ""
    waiting_before: int = 0
    when: str = ""  # ISO 8601 of the check-in, in the kiosk's local time
    qr: str = ""
    walk_in: bool = False
    printed: bool | None = None  # None while printing, then whether the receipt printer printed it


@dataclass(frozen=True)
class VerifyInfo:
    """What the QR on a document says about it: outcome, type and issue date; never a name in clear."""

    outcome: VerifyOutcome
    document_type: str = ""  # the catalogue's code: kk, akta_kelahiran, ...
    issued: str = ""  # ISO date
    version: int | None = None
    masked_name: str = ""
    title: str = ""  # the service's title of the type, Bahasa Indonesia
    title_en: str = ""  # and English

    def title_in(self, language: str) -> str:
        """The type's title in ``language`` (Bahasa Indonesia when there is no other)."""
        return (self.title_en if language == "en" and self.title_en else self.title) or self.document_type


def booking_code(text: str) -> str | None:
    """The booking code a resident typed or scanned, normalised, or None when it has no booking shape.

    The keypad types only the digits after the prefix; a scan carries the whole code."""
    text = text.strip().upper()
    if text.isdigit():
        if not TYPED_DIGITS_MIN <= len(text) <= TYPED_DIGITS_MAX:
            return None
        text = BOOKING_PREFIX + text
    return text if BOOKING_CODE.match(text) else None


@dataclass(frozen=True)
class Slip:
    """The printed-documents slip: document titles (the service's) and counts, a QR to verify; no personal data."""

    counts: tuple[tuple[str, int], ...]
    qr: str = ""

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def slip_for(printed: Iterable[tuple[str, str]]) -> Slip | None:
    """A slip for the documents printed, given as (the service's title, verify URL); None when nothing printed.

    The slip carries one QR, the first document's verification link (each document also carries its own)."""
    printed = list(printed)
    if not printed:
        return None
    counts = Counter(doc_type for doc_type, _ in printed)
    order = list(dict.fromkeys(doc_type for doc_type, _ in printed))
    qr = next((url for _, url in printed if url), "")
    return Slip(tuple((t, counts[t]) for t in order), qr)


#: Characters on a receipt line (devices.receipt.LINE_WIDTH); a long title wraps under itself.
SLIP_WIDTH = 42


def slip_lines(slip: Slip, when: str, kiosk_id: str) -> list[str]:
    """The slip's text lines: when, where, one entry per document title (the service's, in Bahasa Indonesia:
    the office's language) with its count."""
    lines = [f"Waktu : {when}", f"ADM   : {kiosk_id}", ""]
    for title, count in slip.counts:
        lines += textwrap.wrap(f"{count:>2} x {title or 'Dokumen'}", SLIP_WIDTH, subsequent_indent=" " * 5)
    lines += ["", f"Jumlah: {slip.total} dokumen", "Cek keaslian: pindai QR di bawah atau",
              "QR pada dokumen di menu ADM", "'Cek keaslian dokumen'."]
    return lines


class NoticeKind(Enum):
    """Why residents cannot start, said before they type anything."""

    OUT_OF_SERVICE = "out_of_service"  # the operator's command, with its message
    CLOSED = "closed"  # outside the opening hours
    CAPPED = "capped"  # the day's print cap is reached
    UNREACHABLE = "unreachable"  # the central service does not answer the heartbeat


@dataclass(frozen=True)
class ServiceNotice:
    """The kiosk's service notice (from :mod:`kiosk.fleet`): the operator's message, or when it opens again."""

    kind: NoticeKind
    message_id: str = ""
    message_en: str = ""
    reopen_day: int | None = None  # weekday, Monday 0
    reopen_at: str = ""  # HH:MM

    @property
    def blocks(self) -> bool:
        """Whether residents cannot start at all (an unreachable service is said, but the screen stays)."""
        return self.kind is not NoticeKind.UNREACHABLE
