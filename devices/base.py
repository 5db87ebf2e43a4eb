"""The device model every driver shares: states, reasons, statuses, jobs, typed errors and protocols.

One :class:`DeviceState` enum and one vocabulary of reasons (IPP printer-state-reasons words where they
exist, without IPP's ``-error``/``-warning`` suffixes) describe every printer and reader, real or
simulated, so the resident flow and the technician screens reason about one model.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

# --------------------------------------------------------------------------- reasons
MEDIA_EMPTY = "media-empty"
MEDIA_JAM = "media-jam"
MEDIA_LOW = "media-low"
COVER_OPEN = "cover-open"
TONER_LOW = "toner-low"
OFFLINE_REPORT = "offline-report"
RIBBON_EMPTY = "ribbon-empty"
RIBBON_LOW = "ribbon-low"
BLANKO_EMPTY = "blanko-empty"
BLANKO_LOW = "blanko-low"
#: CUPS: the queue is stopped (``cupsdisable``).
PAUSED = "paused"
#: CUPS: the queue rejects new jobs (``cupsreject``).
NOT_ACCEPTING = "not-accepting-jobs"
#: The driver's Python library is not installed.
LIBRARY_MISSING = "library-missing"
#: The configured queue or device does not exist.
DEVICE_MISSING = "device-missing"
#: A call to the device did not answer in time.
TIMED_OUT = "timed-out"
#: The simulated "slow" fault: prints, but slowly.
SLOW = "slow"
#: The printer reports an error it does not name (USB port status error bit, unknown IPP error).
OTHER = "other"
JOB_FAILED = "job-failed"
JOB_CANCELED = "job-canceled"
DOCUMENT_FORMAT_ERROR = "document-format-error"
#: A card reader: no card on the reader (or it was taken away during a read).
CARD_ABSENT = "card-absent"
#: A card reader: the card answered, but not as its card profile expects (another card, a damaged chip).
CARD_UNREADABLE = "card-unreadable"
#: A card reader: reading this card needs a security module (Dukcapil's SAM) that is not installed.
SECURITY_MODULE_MISSING = "security-module-missing"


class DeviceState(StrEnum):
    """What a device can do right now, worst last (see :func:`worst`)."""

    READY = "READY"
    BUSY = "BUSY"
    WARNING = "WARNING"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    ERROR = "ERROR"
    OFFLINE = "OFFLINE"

    @property
    def usable(self) -> bool:
        """True when the device can take a job (now or once its current one is done)."""
        return self in (DeviceState.READY, DeviceState.BUSY, DeviceState.WARNING)


_SEVERITY = {s: i for i, s in enumerate(DeviceState)}


def worst(states: Iterable[DeviceState]) -> DeviceState:
    """The most severe of ``states`` (READY when empty)."""
    return max(states, key=_SEVERITY.__getitem__, default=DeviceState.READY)


@dataclass(frozen=True)
class DeviceStatus:
    """A snapshot of one device: state, reasons, a short message for technicians, consumables, counters."""

    state: DeviceState
    reasons: tuple[str, ...] = ()
    message: str = ""
    consumables: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def offline(cls, reason: str, message: str) -> DeviceStatus:
        """An OFFLINE status with one reason."""
        return cls(DeviceState.OFFLINE, (reason,), message)

    def merged(self, other: DeviceStatus) -> DeviceStatus:
        """Both statuses in one: the worse state, the reasons of both, consumables and counters joined."""
        reasons = tuple(dict.fromkeys(self.reasons + other.reasons))
        message = "; ".join(m for m in (self.message, other.message) if m)
        return DeviceStatus(
            worst((self.state, other.state)),
            reasons,
            message,
            {**self.consumables, **other.consumables},
            {**self.counters, **other.counters},
        )


# --------------------------------------------------------------------------- errors
class DeviceError(Exception):
    """Base of every device failure; ``reason`` is a word from the reasons vocabulary."""

    reason: str = OTHER
    #: True when the job had reached the printer before it failed: something may be on paper.
    may_have_printed: bool = False

    def __init__(self, message: str = "", reason: str | None = None, *, may_have_printed: bool = False) -> None:
        super().__init__(message or self.__class__.__name__)
        if reason is not None:
            self.reason = reason
        self.may_have_printed = may_have_printed


class DeviceOffline(DeviceError):
    reason = OFFLINE_REPORT


class MediaEmpty(DeviceError):
    reason = MEDIA_EMPTY


class MediaJam(DeviceError):
    reason = MEDIA_JAM


class CoverOpen(DeviceError):
    reason = COVER_OPEN


class RibbonEmpty(DeviceError):
    reason = RIBBON_EMPTY


class BlankoEmpty(DeviceError):
    reason = BLANKO_EMPTY


class DeviceTimeout(DeviceError):
    reason = TIMED_OUT


class JobFailed(DeviceError):
    reason = JOB_FAILED


class JobCancelled(DeviceError):
    reason = JOB_CANCELED


class CardAbsent(DeviceError):
    """No card on the reader, or it was taken away before the read finished."""

    reason = CARD_ABSENT


class CardUnreadable(DeviceError):
    """The card answered, but not as the card profile expects; the message never quotes what it answered."""

    reason = CARD_UNREADABLE


class ScanTooPoor(DeviceError):
    """A fingerprint capture whose scan was not good enough to make a template: the resident tries again.
    ``retry`` is a word of :data:`RETRY_REASONS`."""

    def __init__(self, message: str, retry: str = "general") -> None:
        super().__init__(message)
        self.retry = retry


class NeedsAttention(DeviceError):
    """A stopped printer whose reason has no error class of its own (e.g. paused)."""

    reason = PAUSED


_ERROR_FOR_REASON: dict[str, type[DeviceError]] = {
    OFFLINE_REPORT: DeviceOffline,
    DEVICE_MISSING: DeviceOffline,
    LIBRARY_MISSING: DeviceOffline,
    NOT_ACCEPTING: DeviceOffline,
    MEDIA_EMPTY: MediaEmpty,
    MEDIA_JAM: MediaJam,
    COVER_OPEN: CoverOpen,
    RIBBON_EMPTY: RibbonEmpty,
    BLANKO_EMPTY: BlankoEmpty,
    TIMED_OUT: DeviceTimeout,
}


def error_for(status: DeviceStatus) -> DeviceError | None:
    """The typed error a job would meet on a device in ``status``; None when it can print."""
    if status.state.usable:
        return None
    for reason in status.reasons:
        if reason in _ERROR_FOR_REASON:
            return _ERROR_FOR_REASON[reason](status.message or reason, reason)
    reason = status.reasons[0] if status.reasons else OTHER
    if status.state is DeviceState.OFFLINE:
        return DeviceOffline(status.message or reason, reason)
    return NeedsAttention(status.message or reason, reason)


# --------------------------------------------------------------------------- jobs
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_job_id(job_id: str) -> str:
    """Job ids name output files and CUPS titles: letters, digits, ``._-``, at most 128 characters."""
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ValueError("job_id must be 1-128 characters of letters, digits, '.', '_' or '-'")
    return job_id


@dataclass(frozen=True)
class DocumentJob:
    """An A4 document. ``title`` names the kind of document only (e.g. "KK"), never a person."""

    job_id: str
    pdf: bytes = field(repr=False)
    title: str
    copies: int = 1

    def __post_init__(self) -> None:
        check_job_id(self.job_id)
        if not 1 <= self.copies <= 10:
            raise ValueError("copies must be between 1 and 10")


#: A CR80 card at 300 dpi (85.6 x 54 mm).
CARD_WIDTH_PX, CARD_HEIGHT_PX = 1012, 638


@dataclass(frozen=True)
class CardJob:
    """A card (KTP-el, KIA): front and back as 1012x638 px PNG images at 300 dpi."""

    job_id: str
    front_png: bytes = field(repr=False)
    back_png: bytes = field(repr=False)
    title: str

    def __post_init__(self) -> None:
        check_job_id(self.job_id)


@dataclass(frozen=True)
class JobResult:
    """A job the printer reported done: how many pages (sheets or cards) came out."""

    job_id: str
    pages: int
    device_job_id: str | None = None
    output: tuple[str, ...] = ()  # files a simulated printer wrote


def pdf_page_count(pdf: bytes) -> int:
    """Pages in a PDF, read by a PDF parser (pypdf): the page tree's pages, wherever the objects live
    (compressed object streams included). Paper accounting rests on it. At least 1; a PDF the parser
    cannot read counts as 1 (the printer is the judge of what it cannot print)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf's notes on a damaged file may quote its bytes; document content never goes to the logs.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        return max(1, len(PdfReader(io.BytesIO(pdf), strict=False).pages))
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        # pypdf reports a damaged file through its own errors and, for some damage, plain Python ones.
        return 1


def check_pdf(pdf: bytes) -> None:
    """Refuse what is not a PDF before it reaches paper."""
    if not pdf.startswith(b"%PDF-"):
        raise JobFailed("the document is not a PDF", DOCUMENT_FORMAT_ERROR)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; JobFailed when it is not a PNG."""
    if len(png) < 24 or not png.startswith(b"\x89PNG\r\n\x1a\n") or png[12:16] != b"IHDR":
        raise JobFailed("the card image is not a PNG", DOCUMENT_FORMAT_ERROR)
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def check_card(job: CardJob) -> None:
    """Both sides must be CR80 at 300 dpi (landscape or portrait)."""
    for side, png in (("front", job.front_png), ("back", job.back_png)):
        if png_size(png) not in ((CARD_WIDTH_PX, CARD_HEIGHT_PX), (CARD_HEIGHT_PX, CARD_WIDTH_PX)):
            raise JobFailed(
                f"the card {side} must be {CARD_WIDTH_PX}x{CARD_HEIGHT_PX} px (CR80 at 300 dpi)", DOCUMENT_FORMAT_ERROR
            )


class SelfTestLevel(StrEnum):
    """internal: the device checks itself, nothing printed; external: prints a test page/card/receipt;
    interactive: prints and asks the technician to confirm what came out."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    INTERACTIVE = "interactive"


@dataclass(frozen=True)
class SelfTestResult:
    """Outcome of :meth:`Device.self_test`; ``needs_confirmation`` asks the technician to look."""

    level: SelfTestLevel
    passed: bool
    detail: str
    needs_confirmation: bool = False


# --------------------------------------------------------------------------- protocols
Progress = Callable[[float], None]


@runtime_checkable
class Device(Protocol):
    """What every device offers. ``name`` is its config name, ``kind`` and ``driver`` describe it."""

    name: str
    kind: str
    driver: str

    def open(self) -> None: ...
    def close(self) -> None: ...
    def status(self) -> DeviceStatus: ...
    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult: ...


@runtime_checkable
class DocumentPrinter(Device, Protocol):
    """An A4 printer: :meth:`submit` blocks until the printer reports the job done or raises DeviceError."""

    def submit(self, job: DocumentJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult: ...
    def cancel(self, job_id: str) -> None: ...


@runtime_checkable
class CardPrinter(Device, Protocol):
    """A card printer (CR80, duplex): same contract as :class:`DocumentPrinter` for :class:`CardJob`."""

    def submit(self, job: CardJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult: ...
    def cancel(self, job_id: str) -> None: ...


@runtime_checkable
class BarcodeReader(Device, Protocol):
    """Delivers sanitized scans to ``on_scan`` on its own thread until :meth:`stop`."""

    def start(self, on_scan: Callable[[str], None]) -> None: ...
    def stop(self) -> None: ...


@runtime_checkable
class ReceiptPrinter(Device, Protocol):
    """Prints receipts and queue tickets; each call blocks until the bytes are sent, or raises DeviceError."""

    def print_receipt(
        self, lines: Sequence[str], qr: str | None = None, title: str = "", footer: str = ""
    ) -> None: ...
    def print_ticket(
        self, number: str, service: str, counter: str, when: datetime, qr: str | None = None
    ) -> None: ...


class CardPresence(StrEnum):
    """What a card reader noticed: a card placed on it, or taken away."""

    PLACED = "placed"
    REMOVED = "removed"


@runtime_checkable
class CardReader(Device, Protocol):
    """A smart-card reader (the KTP-el). :meth:`start` reports cards placed and removed to ``on_card`` on its
    own thread until :meth:`stop`; :meth:`read_nik` reads the holder's NIK from the card now on the reader
    through the reader's card profile, within ``timeout`` seconds, or raises CardAbsent, CardUnreadable,
    DeviceOffline or DeviceTimeout. The NIK is handed to the caller only: a reader never logs or keeps it."""

    def start(self, on_card: Callable[[CardPresence], None]) -> None: ...
    def stop(self) -> None: ...
    def read_nik(self, timeout: float = 5.0) -> str: ...


class FingerOutcome(StrEnum):
    """A fingerprint verification's result: the finger matched, did not match, or the scan was not good
    enough to say (the resident should try again; ``FingerResult.retry`` says why)."""

    MATCH = "match"
    NO_MATCH = "no-match"
    RETRY = "retry"


#: Why a scan must be repeated (libfprint's retry codes).
RETRY_REASONS = frozenset({"too-short", "center-finger", "remove-finger", "general"})


@dataclass(frozen=True)
class FingerResult:
    """One verification: its outcome and, for RETRY, why (a word of :data:`RETRY_REASONS`)."""

    outcome: FingerOutcome
    retry: str = ""


@runtime_checkable
class FingerprintReader(Device, Protocol):
    """A fingerprint reader. :meth:`capture` enrols a finger and returns its template (opaque bytes, the
    reader's own format); :meth:`verify` scans a finger and compares it with ``template``. Both wait at most
    ``timeout`` seconds for a finger; device failures raise DeviceError (DeviceOffline when unplugged,
    DeviceTimeout when no finger came), a bad scan is a RETRY result. Nothing of a finger is logged or kept."""

    def capture(self, timeout: float = 30.0) -> bytes: ...
    def verify(self, template: bytes, timeout: float = 30.0) -> FingerResult: ...

    def cancel(self) -> None:
        """From another thread: the capture or verify waiting for a finger ends now (DeviceTimeout), so that
        a finger meant for the next login is not taken by one nobody waits for. Nothing when none waits."""


def reader_self_test(device: Device, level: SelfTestLevel | str, ask: str) -> SelfTestResult:
    """A reader's self-test: its status; at the interactive level, ``ask`` the technician to use it."""
    level = SelfTestLevel(level)
    status = device.status()
    if level is SelfTestLevel.INTERACTIVE and status.state.usable:
        return SelfTestResult(level, True, ask, needs_confirmation=True)
    return SelfTestResult(level, status.state.usable, status.message)


# --------------------------------------------------------------------------- timeouts
def call_with_timeout(fn: Callable[[], T], timeout: float, what: str,
                      limit: threading.Semaphore | None = None) -> T:
    """Run a blocking library call (pycups, pyusb, a socket) on a worker thread and wait at most ``timeout``.

    The worker is a daemon thread: a call that never returns is abandoned, never waited for, so the kiosk
    stays responsive and can shut down. Raises :class:`DeviceTimeout` when the time runs out; the call's own
    exception otherwise. With ``limit``, a worker holds one of its slots until its call returns, and when
    every slot is held by a call still waiting (a hung server) no new thread starts: DeviceTimeout at once.
    """
    if limit is not None and not limit.acquire(blocking=False):
        raise DeviceTimeout(f"{what}: earlier calls still wait for an answer")
    value: list[T] = []
    error: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            value.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below, not swallowed
            error.append(exc)
        finally:
            done.set()
            if limit is not None:
                limit.release()

    threading.Thread(target=work, name=f"device-call:{what}", daemon=True).start()
    if not done.wait(timeout):
        raise DeviceTimeout(f"{what}: no answer within {timeout:g} s")
    if error:
        raise error[0]
    return value[0]
