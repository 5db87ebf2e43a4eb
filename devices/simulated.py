"""Simulated printers and barcode reader: the same protocols as the real drivers, shipped in the product.

The demo, the tests and a technician's training mode use them. Each has a mechanical time (0 means no sleep
at all), faults set from config (``fault: media-empty``) or at run time (:meth:`set_fault`), jam/fail after
N pages or cards, consumable counts with :meth:`reload`, and keeps everything it "printed" as files in
``output_dir``.

Output files are never overwritten: a completed submission of job ``J`` writes ``J-<n>.pdf`` (cards:
``J-<n>-back.png`` then ``J-<n>-front.png``; receipts: ``receipt-<n>.bin`` and ``receipt-<n>.txt``) with
``n`` one higher than any file of that job already there. Each file is written to a temporary name, fsynced
and hard-linked into place (a link fails instead of replacing), at the moment the page or card "comes out",
so counting files per job id counts what a resident would hold in their hands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field

from devices.barcode import BarcodeReaderConfig, ScanSanitizer
from devices.base import (
    BLANKO_EMPTY,
    BLANKO_LOW,
    COVER_OPEN,
    MEDIA_EMPTY,
    MEDIA_JAM,
    MEDIA_LOW,
    OFFLINE_REPORT,
    RIBBON_EMPTY,
    RIBBON_LOW,
    SLOW,
    TONER_LOW,
    CardJob,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DocumentJob,
    JobCancelled,
    JobResult,
    Progress,
    SelfTestLevel,
    SelfTestResult,
    check_card,
    check_pdf,
    error_for,
    pdf_page_count,
)
from devices.printed_files import next_number, write_new_file
from devices.receipt import DEFAULT_PROFILE, QueueTicket, Receipt, receipt_bytes, receipt_text, test_receipt
from devices.registry import BuildContext, DriverConfig, driver
from devices.testprint import make_test_card, make_test_page

log = logging.getLogger(__name__)

#: The printer lost its power: it does not answer, and a job it was printing may be half out (UNCERTAIN).
SWITCHED_OFF = "switched-off"
#: Config fault names -> (state, reason). "offline" is IPP's offline-report.
_FAULTS: dict[str, tuple[DeviceState, str]] = {
    "offline": (DeviceState.OFFLINE, OFFLINE_REPORT),
    SWITCHED_OFF: (DeviceState.OFFLINE, OFFLINE_REPORT),
    MEDIA_EMPTY: (DeviceState.NEEDS_ATTENTION, MEDIA_EMPTY),
    MEDIA_JAM: (DeviceState.NEEDS_ATTENTION, MEDIA_JAM),
    COVER_OPEN: (DeviceState.NEEDS_ATTENTION, COVER_OPEN),
    RIBBON_EMPTY: (DeviceState.NEEDS_ATTENTION, RIBBON_EMPTY),
    BLANKO_EMPTY: (DeviceState.NEEDS_ATTENTION, BLANKO_EMPTY),
    MEDIA_LOW: (DeviceState.WARNING, MEDIA_LOW),
    TONER_LOW: (DeviceState.WARNING, TONER_LOW),
    RIBBON_LOW: (DeviceState.WARNING, RIBBON_LOW),
    BLANKO_LOW: (DeviceState.WARNING, BLANKO_LOW),
    SLOW: (DeviceState.WARNING, SLOW),
}
FAULTS = frozenset(_FAULTS)
#: The faults config.yaml may start a simulated device in.
FaultName = Literal["offline", "switched-off", "media-empty", "media-jam", "media-low", "cover-open", "toner-low",
                    "ribbon-empty", "ribbon-low", "blanko-empty", "blanko-low", "slow"]
#: The "slow" fault multiplies the mechanical time, and makes it at least this long per unit.
SLOW_FACTOR, SLOW_MINIMUM_S = 10.0, 1.0


class _SimulatedPrinter:
    """Shared machinery: faults, cancel, mechanical time, jam/fail after N units, one job at a time."""

    kind = "printer"
    driver = "simulated"
    unit = "pages"

    def __init__(self, name: str, output_dir: Path, seconds_per_unit: float, fault: str | None,
                 jam_after: int | None, fail_after: int | None, kiosk_id: str = "") -> None:
        self.name = name
        self.kiosk_id = kiosk_id
        self.output_dir = Path(output_dir)
        self.seconds_per_unit = seconds_per_unit
        self.jam_after = jam_after
        self.fail_after = fail_after
        self._fault: str | None = None
        self._lock = threading.RLock()
        self._job_lock = threading.Lock()
        self._cancel = threading.Event()
        self._current: str | None = None
        self._cancelled: set[str] = set()
        self._opened = False
        self.units_total = 0
        self.jobs_total = 0
        self.set_fault(fault)

    # ----------------------------------------------------------------- control
    def set_fault(self, reason: str | None) -> None:
        """Put the device in a fault (a name from :data:`FAULTS`) or clear it with None."""
        if reason is not None and reason not in _FAULTS:
            raise ValueError(f"unknown fault {reason!r}; known: {', '.join(sorted(_FAULTS))}")
        with self._lock:
            self._fault = reason

    @property
    def fault(self) -> str | None:
        """The current fault, if any."""
        return self._fault

    def open(self) -> None:
        """Make sure the output directory exists."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self._opened = True

    def close(self) -> None:
        """Nothing to release."""
        self._opened = False

    def cancel(self, job_id: str) -> None:
        """Cancel ``job_id`` if it is printing; its :meth:`submit` raises JobCancelled. Unknown ids are ignored."""
        with self._lock:
            if self._current == job_id:
                self._cancelled.add(job_id)
                self._cancel.set()

    # ----------------------------------------------------------------- status
    def _consumables(self) -> dict[str, int]:
        return {}

    def _consumable_reasons(self) -> list[tuple[DeviceState, str]]:
        return []

    def status(self) -> DeviceStatus:
        """State from the fault, the consumables and whether a job is running."""
        with self._lock:
            found: list[tuple[DeviceState, str]] = []
            if self._fault:
                found.append(_FAULTS[self._fault])
            found += self._consumable_reasons()
            state = DeviceState.READY
            for candidate, _ in found:
                state = max(state, candidate, key=list(DeviceState).index)
            if state in (DeviceState.READY, DeviceState.WARNING) and self._current is not None:
                state = DeviceState.BUSY if state is DeviceState.READY else state
            reasons = tuple(dict.fromkeys(reason for _, reason in found))
            message = f"simulated: {', '.join(reasons)}" if reasons else "simulated"
            if self._fault == SWITCHED_OFF:  # what the CUPS driver says of a printer that does not answer
                message = "simulated: switched off, printer not answering"
            counters = {self.unit: self.units_total, "jobs": self.jobs_total}
            return DeviceStatus(state, reasons, message, self._consumables(), counters)

    def _check_can_print(self) -> None:
        status = self.status()
        error = error_for(DeviceStatus(
            DeviceState.READY if status.state is DeviceState.BUSY else status.state, status.reasons, status.message
        ))
        if error:
            raise error

    # ----------------------------------------------------------------- mechanics
    def _unit_time(self) -> float:
        if self._fault == SLOW:
            return max(self.seconds_per_unit * SLOW_FACTOR, SLOW_MINIMUM_S)
        return self.seconds_per_unit

    def _run(self, job_id: str, units: int, progress: Progress | None, timeout: float | None,
             consume: Callable[[], None], finish: Callable[[], tuple[str, ...]]) -> JobResult:
        """Print ``units`` pages/cards: wait, check faults, consume, report progress; ``finish`` writes output."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._job_lock.acquire(timeout=timeout if timeout is not None else -1):
            raise DeviceTimeout(f"{self.name}: still busy with another job")
        try:
            with self._lock:
                self._check_can_print()
                self._current = job_id
                self._cancel.clear()
                self._cancelled.discard(job_id)
            for done in range(units):
                wait = self._unit_time()
                if deadline is not None and time.monotonic() + wait > deadline:
                    self._cancel.wait(max(0.0, deadline - time.monotonic()))
                    raise DeviceTimeout(f"{self.name}: job {job_id} did not finish within {timeout:g} s")
                if wait > 0 and self._cancel.wait(wait) or self._cancel.is_set():
                    raise JobCancelled(f"{self.name}: job {job_id} cancelled")
                with self._lock:
                    if self._fault == SWITCHED_OFF:  # the power went while this unit was moving
                        raise DeviceOffline(f"{self.name}: switched off during job {job_id}", OFFLINE_REPORT,
                                            may_have_printed=True)
                    self._check_can_print()
                    if self.jam_after is not None and self.units_total >= self.jam_after:
                        self.jam_after = None  # one jam; the technician clears it with set_fault(None)
                        self._fault = MEDIA_JAM
                    elif self.fail_after is not None and self.units_total >= self.fail_after:
                        self.fail_after = None
                        self._fault = "offline"
                    self._check_can_print()
                    consume()
                    self.units_total += 1
                if progress is not None:
                    progress((done + 1) / units)
            files = finish()
            with self._lock:
                self.jobs_total += 1
            return JobResult(job_id, units, None, files)
        finally:
            with self._lock:
                self._current = None
                self._cancel.clear()
            self._job_lock.release()

    def _self_test(self, level: SelfTestLevel | str, external: Callable[[], JobResult]) -> SelfTestResult:
        level = SelfTestLevel(level)
        status = self.status()
        if level is SelfTestLevel.INTERNAL or not status.state.usable:
            return SelfTestResult(level, status.state.usable, status.message)
        try:
            result = external()
        except DeviceError as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, f"printed {', '.join(Path(f).name for f in result.output)}",
                              needs_confirmation=level is SelfTestLevel.INTERACTIVE)


class _PaperFed(_SimulatedPrinter):
    """A printer fed from paper (sheets in a tray, or a receipt roll): ``paper`` left, warns at ``paper_low``."""

    paper: int
    paper_low: int

    def reload(self, paper: int) -> None:
        """New paper: ``paper`` sheets or receipts; clears a media-empty or media-low fault."""
        with self._lock:
            self.paper = paper
            if self._fault in (MEDIA_EMPTY, MEDIA_LOW):
                self._fault = None

    def _consumables(self) -> dict[str, int]:
        return {"paper": self.paper}

    def _consumable_reasons(self) -> list[tuple[DeviceState, str]]:
        if self.paper <= 0:
            return [(DeviceState.NEEDS_ATTENTION, MEDIA_EMPTY)]
        if self.paper <= self.paper_low:
            return [(DeviceState.WARNING, MEDIA_LOW)]
        return []

    def _use_paper(self) -> None:
        self.paper -= 1


class SimulatedDocumentPrinter(_PaperFed):
    """An A4 printer that "prints" by keeping the PDF bytes as ``<job_id>-<n>.pdf``."""

    kind = "document_printer"
    unit = "pages"

    def __init__(self, name: str, output_dir: Path, seconds_per_page: float = 0.0, paper: int = 500,
                 paper_low: int = 50, fault: str | None = None, jam_after: int | None = None,
                 fail_after: int | None = None, *, kiosk_id: str = "") -> None:
        super().__init__(name, output_dir, seconds_per_page, fault, jam_after, fail_after, kiosk_id)
        self.paper = paper
        self.paper_low = paper_low


    def submit(self, job: DocumentJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult:
        """Print ``job``: one sheet per page and copy; the PDF lands in ``output_dir`` when the last sheet is out."""
        check_pdf(job.pdf)
        pages = pdf_page_count(job.pdf) * job.copies

        def finish() -> tuple[str, ...]:
            path, _ = write_new_file(self.output_dir, job.job_id, ".pdf", job.pdf, next_number(self.output_dir,
                                                                                                job.job_id))
            return (str(path),)

        return self._run(job.job_id, pages, progress, timeout, self._use_paper, finish)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status; external/interactive: the A4 test page."""
        return self._self_test(level, lambda: self.submit(DocumentJob(
            f"selftest-{int(time.time())}", make_test_page(self.kiosk_id, self.name), "self-test")))


class SimulatedCardPrinter(_SimulatedPrinter):
    """A card printer that keeps each card's sides as ``<job_id>-<n>-back.png`` and ``...-front.png``."""

    kind = "card_printer"
    unit = "cards"

    def __init__(self, name: str, output_dir: Path, seconds_per_card: float = 0.0, blanko: int = 100,
                 ribbon: int = 250, blanko_low: int = 20, ribbon_low: int = 25, fault: str | None = None,
                 jam_after: int | None = None, fail_after: int | None = None, *, kiosk_id: str = "") -> None:
        super().__init__(name, output_dir, seconds_per_card, fault, jam_after, fail_after, kiosk_id)
        self.blanko, self.ribbon = blanko, ribbon
        self.blanko_low, self.ribbon_low = blanko_low, ribbon_low

    def reload(self, blanko: int | None = None, ribbon: int | None = None) -> None:
        """Refill blank cards and/or fit a new ribbon; clears the matching faults."""
        with self._lock:
            if blanko is not None:
                self.blanko = blanko
                if self._fault in (BLANKO_EMPTY, BLANKO_LOW):
                    self._fault = None
            if ribbon is not None:
                self.ribbon = ribbon
                if self._fault in (RIBBON_EMPTY, RIBBON_LOW):
                    self._fault = None

    def _consumables(self) -> dict[str, int]:
        return {"blanko": self.blanko, "ribbon": self.ribbon}

    def _consumable_reasons(self) -> list[tuple[DeviceState, str]]:
        found = []
        for left, low, empty_reason, low_reason in ((self.blanko, self.blanko_low, BLANKO_EMPTY, BLANKO_LOW),
                                                    (self.ribbon, self.ribbon_low, RIBBON_EMPTY, RIBBON_LOW)):
            if left <= 0:
                found.append((DeviceState.NEEDS_ATTENTION, empty_reason))
            elif left <= low:
                found.append((DeviceState.WARNING, low_reason))
        return found

    def _use_card(self) -> None:
        self.blanko -= 1
        self.ribbon -= 1

    def submit(self, job: CardJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult:
        """Print one card; both PNGs land in ``output_dir`` when the card is out (back first, front last)."""
        check_card(job)

        def finish() -> tuple[str, ...]:
            n = next_number(self.output_dir, job.job_id)
            back, n = write_new_file(self.output_dir, job.job_id, "-back.png", job.back_png, n)
            front_path, _ = write_new_file(self.output_dir, job.job_id, "-front.png", job.front_png, n)
            return (str(front_path), str(back))

        return self._run(job.job_id, 1, progress, timeout, self._use_card, finish)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status; external/interactive: a test card (spends a blanko, as a real one would)."""
        return self._self_test(level, lambda: self.submit(CardJob(
            f"selftest-{int(time.time())}", *make_test_card(self.kiosk_id, self.name), "self-test")))


class SimulatedReceiptPrinter(_PaperFed):
    """A receipt printer that keeps each slip as ``receipt-<n>.bin`` (ESC/POS) and ``receipt-<n>.txt``."""

    kind = "receipt_printer"
    unit = "receipts"

    def __init__(self, name: str, output_dir: Path, paper: int = 1000, paper_low: int = 50,
                 fault: str | None = None, profile: str = DEFAULT_PROFILE, seconds_per_receipt: float = 0.0) -> None:
        super().__init__(name, output_dir, seconds_per_receipt, fault, None, None)
        self.paper, self.paper_low, self.profile = paper, paper_low, profile


    def _print(self, layout: Receipt | QueueTicket) -> tuple[str, ...]:
        data = receipt_bytes(layout, self.profile)
        text = receipt_text(layout).encode()

        def finish() -> tuple[str, ...]:
            txt, n = write_new_file(self.output_dir, "receipt", ".txt", text, next_number(self.output_dir, "receipt"))
            binary, _ = write_new_file(self.output_dir, "receipt", ".bin", data, n)
            return (str(txt), str(binary))

        return self._run(f"receipt-{time.monotonic_ns()}", 1, None, None, self._use_paper, finish).output

    def print_receipt(self, lines: Sequence[str], qr: str | None = None, title: str = "", footer: str = "") -> None:
        """Print a receipt (see :class:`devices.receipt.Receipt`)."""
        self._print(Receipt(tuple(lines), title, qr, footer))

    def print_ticket(self, number: str, service: str, counter: str, when: datetime, qr: str | None = None) -> None:
        """Print a queue ticket (see :class:`devices.receipt.QueueTicket`)."""
        self._print(QueueTicket(number, service, counter, when, qr))

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status; external/interactive: a test slip."""
        return self._self_test(level, lambda: JobResult("selftest", 1, None, self._print(test_receipt(self.name))))


class SimulatedBarcodeReader:
    """A reader fed by :meth:`inject` (tests, the demo's buttons); bytes pass the real sanitizer."""

    kind = "barcode_reader"
    driver = "simulated"

    def __init__(self, name: str, max_length: int = 512, terminator: bytes = b"\r", fault: str | None = None) -> None:
        self.name = name
        self.terminator = terminator
        self._sanitizer = ScanSanitizer(max_length=max_length, terminator=terminator, partial_timeout_s=None)
        self._on_scan: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        self._fault: str | None = None
        self.set_fault(fault)

    def set_fault(self, reason: str | None) -> None:
        """Only "offline" makes sense for a reader: scans are then ignored."""
        if reason not in (None, "offline"):
            raise ValueError("a simulated barcode reader knows only the 'offline' fault")
        self._fault = reason

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Stops delivering scans."""
        self.stop()

    def start(self, on_scan: Callable[[str], None]) -> None:
        """Deliver scans to ``on_scan`` (on the caller's thread of :meth:`inject`)."""
        self._on_scan = on_scan

    def stop(self) -> None:
        """No more scans are delivered."""
        self._on_scan = None

    def inject(self, data: bytes | str, terminate: bool = True) -> list[str]:
        """Feed raw bytes as if scanned (a terminator is appended unless ``terminate`` is False);
        returns the scans delivered."""
        raw = data.encode("latin-1", "replace") if isinstance(data, str) else bytes(data)
        if terminate:
            raw += self.terminator
        with self._lock:
            if self._fault:
                return []
            scans = self._sanitizer.feed(raw)
        callback = self._on_scan
        if callback is not None:
            for scan in scans:
                callback(scan)
        return scans

    def status(self) -> DeviceStatus:
        """READY, or OFFLINE in the offline fault; counters of scans and dropped lines."""
        counters = {"scans": self._sanitizer.accepted, "dropped": self._sanitizer.dropped}
        if self._fault:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), "simulated: offline", counters=counters)
        return DeviceStatus(DeviceState.READY, (), "simulated", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal/external: status; interactive: asks the technician to scan a code."""
        level = SelfTestLevel(level)
        usable = self.status().state.usable
        if level is SelfTestLevel.INTERACTIVE and usable:
            return SelfTestResult(level, True, "scan any code now", needs_confirmation=True)
        return SelfTestResult(level, usable, self.status().message)


# --------------------------------------------------------------------------- config and registration
class _SimulatedPrinterConfig(DriverConfig):
    driver: Literal["simulated"]
    output_dir: Path | None = Field(
        None, description="Where 'printed' output is kept as files; default: <state_dir>/printed/<device>."
    )
    fault: FaultName | None = Field(None, description="Fault the device starts in, e.g. 'media-empty'.")
    jam_after: int | None = Field(None, ge=0, description="Jam after this many pages/cards (media-jam).")
    fail_after: int | None = Field(None, ge=0, description="Go offline after this many pages/cards.")


@driver("document_printer", "simulated")
class SimulatedDocumentPrinterConfig(_SimulatedPrinterConfig):
    """A simulated A4 printer that keeps what it printed as PDF files."""

    seconds_per_page: float = Field(0.5, ge=0, le=120, description="Mechanical time per A4 page.")
    paper: int = Field(500, ge=0, description="Sheets in the tray at start.")

    def build(self, context: BuildContext) -> SimulatedDocumentPrinter:
        return SimulatedDocumentPrinter(
            context.name, context.output_dir(self.output_dir), self.seconds_per_page, self.paper,
            context.thresholds.get("paper_low", 50), self.fault, self.jam_after, self.fail_after,
            kiosk_id=context.kiosk_id)


@driver("card_printer", "simulated")
class SimulatedCardPrinterConfig(_SimulatedPrinterConfig):
    """A simulated card printer that keeps each card's sides as PNG files and counts blanko and ribbon."""

    seconds_per_card: float = Field(1.0, ge=0, le=600, description="Mechanical time per card (a real KTP-el: ~90 s).")
    blanko: int = Field(100, ge=0, description="Blank cards (blanko) in the hopper at start.")
    ribbon: int = Field(250, ge=0, description="Prints left on the ribbon at start.")

    def build(self, context: BuildContext) -> SimulatedCardPrinter:
        return SimulatedCardPrinter(
            context.name, context.output_dir(self.output_dir), self.seconds_per_card, self.blanko, self.ribbon,
            context.thresholds.get("blanko_low", 20), context.thresholds.get("ribbon_low", 25), self.fault,
            self.jam_after, self.fail_after, kiosk_id=context.kiosk_id)


@driver("receipt_printer", "simulated")
class SimulatedReceiptPrinterConfig(DriverConfig):
    """A simulated receipt printer that keeps each slip as ESC/POS bytes and text."""

    driver: Literal["simulated"]
    output_dir: Path | None = Field(None, description="Where receipts are kept as text and ESC/POS bytes.")
    fault: FaultName | None = Field(None, description="Fault the device starts in, e.g. 'media-empty'.")
    paper: int = Field(1000, ge=0, description="Receipts left on the roll at start.")

    def build(self, context: BuildContext) -> SimulatedReceiptPrinter:
        return SimulatedReceiptPrinter(context.name, context.output_dir(self.output_dir), self.paper,
                                       context.thresholds.get("receipt_low", 50), self.fault)


@driver("barcode_reader", "simulated")
class SimulatedBarcodeReaderConfig(BarcodeReaderConfig):
    """A simulated barcode reader fed by the demo's buttons and by tests."""

    driver: Literal["simulated"]

    def build(self, context: BuildContext) -> SimulatedBarcodeReader:
        return SimulatedBarcodeReader(self.name, self.max_length)
