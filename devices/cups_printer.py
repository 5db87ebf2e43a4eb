"""Document and card printers behind a CUPS queue, through pycups.

pycups blocks (it speaks IPP over HTTP with no timeout of its own), so every call runs through
:func:`devices.base.call_with_timeout`, with at most :data:`MAX_WAITING_CALLS` threads per printer left
waiting on a hung cupsd. Documents are streamed to CUPS (Create-Job + Send-Document) and never written to a
temporary file. :meth:`CupsPrinter.submit` follows the job until CUPS reports it completed, cancelled or
aborted, or the timeout runs out (then the job is cancelled).

cupsd does not watch an idle printer, so for a queue whose device is ``ipp://`` or ``ipps://`` the driver
also asks the printer itself (:mod:`devices.ipp`): a printer that does not answer is OFFLINE
(``offline-report``) whatever the queue says, a job is refused before it is sent, and a job whose printer
stops answering while it runs is cancelled in CUPS (so it cannot come out later, when the printer is back)
and fails with ``may_have_printed`` set once CUPS had begun sending it. For any other device (socket, usb)
the driver can only read what CUPS's backend says while a job waits ("The printer may not exist or is
unavailable at this time."): the queue is then OFFLINE, and the job is cancelled and fails the same way.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import Field

from devices.base import (
    COVER_OPEN,
    DEVICE_MISSING,
    LIBRARY_MISSING,
    MEDIA_EMPTY,
    MEDIA_JAM,
    NOT_ACCEPTING,
    OFFLINE_REPORT,
    PAUSED,
    RIBBON_EMPTY,
    TIMED_OUT,
    CardJob,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DocumentJob,
    JobCancelled,
    JobFailed,
    JobResult,
    Progress,
    SelfTestLevel,
    SelfTestResult,
    call_with_timeout,
    check_card,
    check_pdf,
    error_for,
    pdf_page_count,
)
from devices.ipp import IppError, IppPrinter, get_printer_attributes, supply_levels, supply_slug
from devices.registry import BuildContext, ConfigSection, Discovered, DriverConfig, UsbId, driver, usb_ids
from devices.testprint import make_test_card, make_test_page
from devices.usbprobe import UsbPrinterProbe

if TYPE_CHECKING:
    import cups

#: What one pycups call returns.
R = TypeVar("R")

JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED, JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = range(3, 10)
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5
HTTP_CONTINUE = 100
#: What CUPS's backends (socket, usb, ipp, lpd) say while they cannot reach the printer of a waiting job.
UNREACHABLE_MESSAGES = frozenset({"The printer may not exist or is unavailable at this time.",
                                  "The printer is not responding.", "Unable to locate printer.",
                                  "Waiting for printer to become available."})
#: Threads one printer may leave waiting on a CUPS call that never returned; then calls fail at once.
MAX_WAITING_CALLS = 4
#: IPP reasons that need a person at the printer (with their -error suffix removed).
_ATTENTION = {MEDIA_EMPTY, MEDIA_JAM, COVER_OPEN, "door-open", "media-needed", "input-tray-missing",
              "marker-supply-empty", "toner-empty", RIBBON_EMPTY, "output-area-full", PAUSED}


def reasons_to_status(printer_state: int, reasons: list[str], accepting: bool = True) -> tuple[DeviceState, tuple]:
    """Map IPP printer-state and printer-state-reasons to a state and our reason words."""
    words: list[str] = []
    state = {PRINTER_IDLE: DeviceState.READY, PRINTER_PROCESSING: DeviceState.BUSY}.get(
        printer_state, DeviceState.NEEDS_ATTENTION
    )
    candidates = [state]
    for raw in reasons:
        if raw in ("none", "") or raw.startswith("cups-"):  # cups-* are the spooler's notes, not the printer's
            continue
        if raw == OFFLINE_REPORT:
            words.append(OFFLINE_REPORT)
            candidates.append(DeviceState.OFFLINE)
            continue
        base = raw.removesuffix("-error").removesuffix("-warning").removesuffix("-report")
        if raw.endswith("-report") or base in ("connecting-to-device", "moving-to-paused", "other"):
            continue  # informational
        words.append(base)
        if raw.endswith("-warning"):
            candidates.append(DeviceState.WARNING)
        elif base in _ATTENTION:
            candidates.append(DeviceState.NEEDS_ATTENTION)
        else:
            candidates.append(DeviceState.ERROR)
    if printer_state == PRINTER_STOPPED and not words:
        words.append(PAUSED)
    if not accepting:
        words.append(NOT_ACCEPTING)
        candidates.append(DeviceState.OFFLINE)
    order = list(DeviceState)
    return max(candidates, key=order.index), tuple(dict.fromkeys(words))


def marker_levels(names: object, levels: object) -> dict[str, int]:
    """marker-names and marker-levels as {name: percent}; unknown levels (negative) left out. pycups gives an
    attribute of one value as that value, not a list: a printer with one marker (a toner) has a str and an int."""
    names, levels = (v if isinstance(v, list) else [v] for v in (names, levels))
    return {str(n): int(v) for n, v in zip(names, levels, strict=False) if isinstance(v, int) and v >= 0}


class CupsPrinter:
    """A CUPS queue. Subclasses decide what a job's bytes are."""

    kind = "printer"
    driver = "cups"
    document_format = "application/pdf"
    poll_interval_s = 0.2

    def __init__(self, name: str, queue: str, server: str | None = None, port: int | None = None,
                 job_timeout_s: float = 180.0, call_timeout_s: float = 10.0,
                 options: dict[str, str] | None = None, kiosk_id: str = "", probe_timeout_s: float = 3.0,
                 offline_after_s: float = 3.0) -> None:
        self.name = name
        self.kiosk_id = kiosk_id
        self.queue = queue
        self.server = server
        self.port = port
        self.job_timeout_s = job_timeout_s
        self.call_timeout_s = call_timeout_s
        self.options = dict(options or {})
        #: Each socket operation of a probe of the printer itself waits at most this long.
        self.probe_timeout_s = probe_timeout_s
        #: A printer that stops answering during a job has its job cancelled after this long.
        self.offline_after_s = offline_after_s
        self._printer: IppPrinter | None = None  # the IPP printer behind the queue, from its device-uri
        self._waiting = threading.BoundedSemaphore(MAX_WAITING_CALLS)
        self._jobs: dict[str, int] = {}
        self._lock = threading.Lock()
        self.jobs_total = 0
        self.pages_total = 0

    # ----------------------------------------------------------------- plumbing
    def _call(self, what: str, fn: Callable[[cups.Connection], R]) -> R:
        """One pycups call on a fresh connection, bounded by ``call_timeout_s``; errors become DeviceError."""
        try:
            import cups
        except ImportError as exc:
            raise DeviceOffline(f"pycups is not installed: {exc}", LIBRARY_MISSING) from None

        def work() -> R:
            # pycups builds printer URIs (Create-Job) from the process-wide server and port, not the
            # connection's: set both. So every CUPS printer of one kiosk must use the same CUPS server.
            if self.server:
                cups.setServer(self.server)
            if self.port:
                cups.setPort(self.port)
            connection = cups.Connection()
            return fn(connection)

        try:
            return call_with_timeout(work, self.call_timeout_s, f"{self.name} {what}", self._waiting)
        except RuntimeError as exc:  # pycups: "failed to connect to server"
            raise DeviceOffline(f"{self.name}: CUPS not reachable: {exc}") from None
        except cups.IPPError as exc:
            status, text = exc.args if len(exc.args) == 2 else (0, str(exc))
            if status == cups.IPP_NOT_FOUND:
                raise DeviceOffline(f"{self.name}: no CUPS queue {self.queue!r}", DEVICE_MISSING) from None
            raise JobFailed(f"{self.name}: CUPS {what} failed: {text}") from None

    def open(self) -> None:
        """Nothing to hold open: each call takes a fresh connection (cheap on loopback, survives restarts)."""

    def close(self) -> None:
        """Nothing held open."""

    def resume(self) -> bool:
        """Enable the queue and make it accept jobs again (what ``cupsenable`` and ``cupsaccept`` do).

        CUPS stops a queue on a device fault (paper out, a jam) and leaves it stopped after the fault is
        fixed; the technician's reload calls this. True when the queue had been stopped or rejecting."""
        def work(c: cups.Connection) -> bool:
            attrs = c.getPrinterAttributes(self.queue, requested_attributes=["printer-state",
                                                                           "printer-is-accepting-jobs"])
            stopped = int(attrs.get("printer-state", 0)) == PRINTER_STOPPED
            rejecting = not bool(attrs.get("printer-is-accepting-jobs", True))
            if stopped:
                c.enablePrinter(self.queue)
            if rejecting:
                c.acceptJobs(self.queue)
            return stopped or rejecting

        return bool(self._call("resume", work))

    # ----------------------------------------------------------------- status
    def status(self) -> DeviceStatus:
        """The queue's printer-state and reasons, merged with what an IPP printer behind it says of itself
        (OFFLINE with ``offline-report`` when it does not answer); marker levels as consumables (percent)."""
        counters = {"jobs": self.jobs_total, "pages": self.pages_total}
        try:
            attrs = self._call("status", lambda c: c.getPrinterAttributes(self.queue, requested_attributes=[
                "printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
                "marker-names", "marker-levels", "device-uri"]))
        except DeviceTimeout as exc:
            return DeviceStatus(DeviceState.OFFLINE, (TIMED_OUT,), str(exc), counters=counters)
        except DeviceError as exc:
            return DeviceStatus(DeviceState.OFFLINE, (exc.reason,), str(exc), counters=counters)
        reasons = attrs.get("printer-state-reasons", [])
        state, words = reasons_to_status(int(attrs.get("printer-state", PRINTER_STOPPED)),
                                         reasons if isinstance(reasons, list) else [reasons],
                                         bool(attrs.get("printer-is-accepting-jobs", True)))
        consumables = {supply_slug(name): level for name, level in
                       marker_levels(attrs.get("marker-names", []), attrs.get("marker-levels", [])).items()}
        message = str(attrs.get("printer-state-message", ""))
        if state is DeviceState.BUSY and message in UNREACHABLE_MESSAGES:
            # A job waits and the backend cannot reach the printer: CUPS says "processing", with no reason.
            state, words = DeviceState.OFFLINE, (*words, OFFLINE_REPORT)
        queue = DeviceStatus(state, words, message, consumables, counters)
        self._printer = IppPrinter.from_uri(str(attrs.get("device-uri", "")))
        if self._printer is None:
            return queue  # socket, usb, file: the queue (and a card printer's USB probe) is all there is to ask
        return queue.merged(self._printer_status(self._printer))

    def _printer_status(self, printer: IppPrinter) -> DeviceStatus:
        """What the printer itself says: state, reasons and supplies; OFFLINE when it does not answer."""
        try:
            answer = get_printer_attributes(printer, self.probe_timeout_s)
        except IppError as exc:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), f"printer not answering: {exc}")
        attrs = answer.attributes
        printer_state = (attrs.get("printer-state") or [PRINTER_STOPPED])[0]
        state, words = reasons_to_status(printer_state if isinstance(printer_state, int) else PRINTER_STOPPED,
                                         [str(r) for r in attrs.get("printer-state-reasons", [])],
                                         bool((attrs.get("printer-is-accepting-jobs") or [True])[0]))
        message = "" if state is DeviceState.READY else f"printer: {(attrs.get('printer-state-message') or [''])[0]}"
        return DeviceStatus(state, words, message, supply_levels(answer))

    def _printer_answers(self, job_message: str) -> bool:
        """False when the IPP printer behind the queue fails to answer, or (any other device) when CUPS's
        backend says of the job that it cannot reach the printer."""
        if self._printer is None:
            return job_message not in UNREACHABLE_MESSAGES
        try:
            get_printer_attributes(self._printer, self.probe_timeout_s, ("printer-state",))
        except IppError:
            return False
        return True

    # ----------------------------------------------------------------- jobs
    def _submit_bytes(self, job_id: str, title: str, data: bytes, pages: int, options: dict[str, str],
                      progress: Progress | None, timeout: float | None) -> JobResult:
        problem = error_for(self.status())
        if problem:
            raise problem
        timeout = self.job_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + timeout

        def send(c: cups.Connection) -> int:
            cups_job = c.createJob(self.queue, f"{title} {job_id}"[:200], options)
            c.startDocument(self.queue, cups_job, title or job_id, self.document_format, True)
            for start in range(0, len(data), 65536):
                chunk = data[start:start + 65536]
                if c.writeRequestData(chunk, len(chunk)) != HTTP_CONTINUE:
                    raise JobFailed(f"{self.name}: CUPS stopped taking the document")
            c.finishDocument(self.queue)
            return cups_job

        cups_job = self._call("submit", send)
        with self._lock:
            self._jobs[job_id] = cups_job
        try:
            return self._follow(job_id, cups_job, pages, progress, deadline, timeout)
        finally:
            with self._lock:
                self._jobs.pop(job_id, None)

    def _follow(self, job_id: str, cups_job: int, pages: int, progress: Progress | None, deadline: float,
                timeout: float) -> JobResult:
        last = -1.0
        sending = False  # CUPS began sending the job to the printer: from then on it may come out
        silent_since: float | None = None
        next_probe = time.monotonic() + self.poll_interval_s
        while True:
            attrs = self._call("job state", lambda c: c.getJobAttributes(cups_job, requested_attributes=[
                "job-state", "job-state-reasons", "job-media-sheets-completed", "job-printer-state-message"]))
            state = int(attrs.get("job-state", JOB_PENDING))
            sending = sending or state == JOB_PROCESSING
            if state == JOB_COMPLETED:
                if progress is not None and last < 1.0:
                    progress(1.0)
                self.jobs_total += 1
                self.pages_total += pages
                return JobResult(job_id, pages, str(cups_job))
            if state == JOB_CANCELED:
                raise JobCancelled(f"{self.name}: job {job_id} was cancelled")
            if state == JOB_ABORTED:
                raise JobFailed(f"{self.name}: CUPS aborted job {job_id}")
            sheets = attrs.get("job-media-sheets-completed")
            if progress is not None and isinstance(sheets, int) and pages:
                fraction = min(sheets / pages, 0.99)
                if fraction > last:
                    last = fraction
                    progress(fraction)
            now = time.monotonic()
            if now >= next_probe:
                next_probe = now + max(1.0, self.poll_interval_s)
                answers = self._printer_answers(str(attrs.get("job-printer-state-message", "")))
                silent_since = None if answers else silent_since or now
                if silent_since is not None and time.monotonic() - silent_since >= self.offline_after_s:
                    # Cancelled, or CUPS would send it again once the printer is back: never a second print.
                    self._cancel_cups_job(cups_job)
                    raise DeviceOffline(f"{self.name}: the printer stopped answering during job {job_id}; "
                                        "cancelled", may_have_printed=sending)
            if time.monotonic() >= deadline:
                self._cancel_cups_job(cups_job)
                raise DeviceTimeout(f"{self.name}: job {job_id} not done within {timeout:g} s; cancelled")
            time.sleep(min(self.poll_interval_s, max(0.0, deadline - time.monotonic())))

    def _cancel_cups_job(self, cups_job: int) -> None:
        try:
            self._call("cancel", lambda c: c.cancelJob(cups_job))
        except (DeviceOffline, JobFailed, DeviceTimeout):
            pass  # already finished, or CUPS is gone: nothing more to cancel

    def cancel(self, job_id: str) -> None:
        """Cancel a job this driver is following; the waiting :meth:`submit` raises JobCancelled."""
        with self._lock:
            cups_job = self._jobs.get(job_id)
        if cups_job is not None:
            self._cancel_cups_job(cups_job)

    def _self_test(self, level: SelfTestLevel | str, external: Callable[[], JobResult]) -> SelfTestResult:
        level = SelfTestLevel(level)
        status = self.status()
        if level is SelfTestLevel.INTERNAL or not status.state.usable:
            return SelfTestResult(level, status.state.usable, status.message or status.state.value)
        try:
            external()
        except DeviceError as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, "test printed", needs_confirmation=level is SelfTestLevel.INTERACTIVE)


class CupsDocumentPrinter(CupsPrinter):
    """The A4 document printer: a PDF to a CUPS queue."""

    kind = "document_printer"

    def submit(self, job: DocumentJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult:
        """Send the PDF and block until CUPS reports the job done; raises a typed DeviceError otherwise."""
        check_pdf(job.pdf)
        options = {**self.options, "copies": str(job.copies)} if job.copies > 1 else dict(self.options)
        pages = pdf_page_count(job.pdf) * job.copies
        return self._submit_bytes(job.job_id, job.title, job.pdf, pages, options, progress, timeout)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: queue status; external/interactive: the A4 test page."""
        return self._self_test(level, lambda: self.submit(DocumentJob(
            f"selftest-{int(time.time())}", make_test_page(self.kiosk_id, self.name), "self-test")))


def card_pdf(job: CardJob) -> bytes:
    """Front and back as a two-page PDF, one CR80 page each at 300 dpi (what card printer drivers take)."""
    from PIL import Image, UnidentifiedImageError

    try:
        front = Image.open(io.BytesIO(job.front_png)).convert("RGB")
        back = Image.open(io.BytesIO(job.back_png)).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise JobFailed(f"card image unreadable: {type(exc).__name__}", "document-format-error") from None
    out = io.BytesIO()
    front.save(out, "PDF", resolution=300.0, save_all=True, append_images=[back])
    return out.getvalue()


class CupsCardPrinter(CupsPrinter):
    """The card printer: a CUPS queue with CR80 media and duplex, plus an optional USB printer-class probe."""

    kind = "card_printer"

    def __init__(self, name: str, queue: str, server: str | None = None, port: int | None = None,
                 job_timeout_s: float = 300.0, call_timeout_s: float = 10.0, options: dict[str, str] | None = None,
                 usb_probe: UsbPrinterProbe | None = None, kiosk_id: str = "", probe_timeout_s: float = 3.0) -> None:
        options = {"media": "CR80", "sides": "two-sided-long-edge", **(options or {})}
        super().__init__(name, queue, server, port, job_timeout_s, call_timeout_s, options, kiosk_id, probe_timeout_s)
        self.usb_probe = usb_probe

    def status(self) -> DeviceStatus:
        """The queue's status merged with what the USB port status says (when a probe is configured)."""
        status = super().status()
        if self.usb_probe is not None:
            status = status.merged(self.usb_probe.status())
        return status

    def submit(self, job: CardJob, progress: Progress | None = None, timeout: float | None = None) -> JobResult:
        """Print one card (front and back) and block until CUPS reports it done."""
        check_card(job)
        return self._submit_bytes(job.job_id, job.title, card_pdf(job), 1, self.options, progress, timeout)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: queue and USB status; external/interactive: a test card (spends a blanko)."""
        return self._self_test(level, lambda: self.submit(CardJob(
            f"selftest-{int(time.time())}", *make_test_card(self.kiosk_id, self.name), "self-test")))


# --------------------------------------------------------------------------- config and registration
#: Makers of card printers, as they appear in a CUPS queue's make-and-model or a USB 1284 id.
CARD_PRINTER_MAKERS = ("evolis", "zebra zc", "zebra zxp", "fargo", "hid ", "datacard", "entrust", "magicard",
                       "idp smart", "matica", "dnp cx")


def _looks_like_card_printer(found: Discovered) -> bool:
    if found.source == "cups":
        text = f"{found.item.get('model', '')} {found.item.get('queue', '')}".lower()
    elif found.source == "usb":
        ident = found.item.get("ieee1284") or {}
        text = f"{ident.get('MFG', '')} {ident.get('MDL', '')}".lower()
    else:
        return False
    return any(maker in f" {text} " for maker in CARD_PRINTER_MAKERS)


class _CupsConfig(DriverConfig):
    driver: Literal["cups"]
    server: str | None = Field(None, description="CUPS server host or socket; default: the system's.")
    port: int | None = Field(None, ge=1, le=65535, description="CUPS server port; default: the system's.")

    queue: str
    probe_timeout_s: float = Field(3, gt=0, le=30, description=(
        "Seconds to wait for an ipp:// or ipps:// printer itself to answer before it is shown OFFLINE."))

    def owns(self, found: Discovered) -> bool:
        return found.source == "cups" and found.item.get("queue") == self.queue


@driver("document_printer", "cups")
class CupsDocumentPrinterConfig(_CupsConfig):
    """An A4 printer behind a CUPS queue."""

    queue: str = Field(..., min_length=1, description="CUPS queue name of the A4 document printer.")
    job_timeout_s: float = Field(180, gt=0, le=3600, description="Seconds a job may take before it is cancelled.")

    def build(self, context: BuildContext) -> CupsDocumentPrinter:
        return CupsDocumentPrinter(context.name, self.queue, self.server, self.port, self.job_timeout_s,
                                   kiosk_id=context.kiosk_id, probe_timeout_s=self.probe_timeout_s)

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        return found.source == "cups" and not _looks_like_card_printer(found)


class UsbProbeConfig(ConfigSection):
    vendor_id: UsbId = Field(..., description="USB vendor id of the card printer, e.g. '0x0c16'.")
    product_id: UsbId = Field(..., description="USB product id of the card printer.")
    serial: str | None = Field(None, description="USB serial number, when several identical printers are attached.")


@driver("card_printer", "cups")
class CupsCardPrinterConfig(_CupsConfig):
    """A card printer behind a CUPS queue (CR80, duplex), with an optional USB printer-class probe."""

    queue: str = Field(..., min_length=1, description="CUPS queue of the card printer (CR80 media, duplex).")
    usb: UsbProbeConfig | None = Field(None, description="USB printer-class probe for IEEE 1284 id and port status.")
    job_timeout_s: float = Field(300, gt=0, le=3600, description="Seconds a card may take before it is cancelled.")

    def build(self, context: BuildContext) -> CupsCardPrinter:
        probe = None
        if self.usb is not None:
            probe = UsbPrinterProbe(self.usb.vendor_id, self.usb.product_id, self.usb.serial,
                                    backend=context.usb_backend)
        return CupsCardPrinter(context.name, self.queue, self.server, self.port, self.job_timeout_s,
                               usb_probe=probe, kiosk_id=context.kiosk_id, probe_timeout_s=self.probe_timeout_s)

    def owns(self, found: Discovered) -> bool:
        if self.usb is not None and usb_ids(found) == (self.usb.vendor_id, self.usb.product_id):
            return True
        return super().owns(found)

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        return _looks_like_card_printer(found)
