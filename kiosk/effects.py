"""Turns flow effects into work off the main thread, and the results back into flow events.

Logins and logouts run on a small pool; print jobs run one after another on their own worker, so
two documents never race for a printer. ``post`` must be safe to call from any thread (the UI's
``KioskApp.post``); nothing here touches Kivy.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import kiosk.central_client as cc
from central import contract as c
from central.vocabulary import known_media
from devices.base import DeviceError
from kiosk.flow import (
    CheckIn,
    CheckInRefused,
    DocStatus,
    DocumentItem,
    Effect,
    EndSession,
    Event,
    Login,
    LoginFailed,
    LoginProblem,
    LoginSucceeded,
    LoginWithQr,
    Media,
    Phase,
    PinRequestAnswered,
    PrintDocuments,
    PrintSlip,
    PrintTicket,
    PrintUpdate,
    RequestPin,
    SlipPrinted,
    TakeWalkIn,
    TicketIssued,
    TicketPrinted,
    VerifyAnswered,
    VerifyDocument,
    VerifyFailed,
)
from kiosk.hardware import MEDIA_PRINTERS
from kiosk.logs import event as log_event
from kiosk.metrics import KioskMetrics, get_metrics
from kiosk.service_model import QueueProblem, TicketInfo, VerifyInfo, VerifyOutcome, slip_lines
from printjobs.errors import FetchFailed, PrinterBlocked, PrintJobError
from printjobs.journal import JobState
from printjobs.pipeline import FetchedDocument, PrintPipeline

log = logging.getLogger(__name__)

#: Central errors during a fetch -> the cause word the journal keeps and the message the resident sees.
_FETCH_CAUSES: dict[type[cc.CentralError], tuple[str, str]] = {
    cc.NotYourDocument: ("wrong-holder", "print.not_yours"),
    cc.BadSignature: ("bad-signature", "print.bad_signature"),
    cc.ContractMismatch: ("contract-mismatch", "central.contract"),
    cc.AlreadyPrinted: ("already-printed", "print.already_printed"),
    cc.AlreadyClaimed: ("already-claimed", "print.already_printed"),
    cc.Unreachable: ("unreachable", "central.unreachable"),
    cc.Timeout: ("timeout", "central.timeout"),
    cc.SessionExpired: ("session-expired", "session.expired"),
}


def fetch_cause(exc: cc.CentralError) -> tuple[str, str]:
    """The cause word the journal (and the print event) keeps for a failed fetch, and the resident's message."""
    return next((v for k, v in _FETCH_CAUSES.items() if isinstance(exc, k)), ("protocol", "central.protocol"))


def document_item(summary: c.DocumentSummary) -> DocumentItem:
    """The flow's view of a document from the central service's list: its type, titles and printer all come
    from the service (a type this kiosk has never seen shows and prints like any other)."""
    status = DocStatus.READY if summary.status == c.DocumentStatus.READY else DocStatus.PRINTED
    issued = summary.issued_at
    return DocumentItem(
        id=summary.id,
        type=summary.type,
        issued=issued.date().isoformat() if issued is not None else "",
        media=known_media(summary.media),
        status=status,
        verify_url=summary.verify_url or "",
        title=summary.title.id,
        title_en=summary.title.en,
    )


#: The central service's refusal codes of a check-in -> what the resident is told.
_QUEUE_CODES: dict[str, QueueProblem] = {
    str(c.ErrorCode.BOOKING_USED): QueueProblem.USED,
    str(c.ErrorCode.BOOKING_EARLY): QueueProblem.EARLY,
    str(c.ErrorCode.BOOKING_EXPIRED): QueueProblem.EXPIRED,
    str(c.ErrorCode.WALK_IN_CLOSED): QueueProblem.WALK_IN_CLOSED,
}


def check_in_refusal(exc: cc.CentralError) -> CheckInRefused:
    """The flow event for a check-in (or walk-in) that brought no ticket."""
    now = time.monotonic()
    if isinstance(exc, cc.QueueRefused):
        problem = _QUEUE_CODES.get(exc.code, QueueProblem.PROTOCOL)
        return CheckInRefused(now=now, problem=problem, retry_after_s=exc.retry_after)
    if isinstance(exc, cc.NotFound):
        return CheckInRefused(now=now, problem=QueueProblem.UNKNOWN)
    return CheckInRefused(now=now, problem=_central_problem(exc))


def _central_problem(exc: cc.CentralError) -> QueueProblem:
    if isinstance(exc, cc.Timeout):
        return QueueProblem.TIMEOUT
    if isinstance(exc, cc.Unreachable):
        return QueueProblem.UNREACHABLE
    return QueueProblem.PROTOCOL


def ticket_info(ticket: c.QueueTicket) -> TicketInfo:
    """The flow's view of a queue ticket; the time in the kiosk's local time zone (the office's)."""
    return TicketInfo(
        number=ticket.ticket_number, service=ticket.service, counter=ticket.counter or "", slot=ticket.slot,
        waiting_before=ticket.waiting_before, when=ticket.checked_in_at.astimezone().isoformat(timespec="minutes"),
        qr=ticket.follow_url or ticket.booking_code or "", walk_in=ticket.booking_code is None,
    )


def verify_info(result: c.VerifyResult) -> VerifyInfo:
    """The flow's view of a verification answer."""
    outcome = VerifyOutcome(str(result.status))
    if outcome is VerifyOutcome.UNKNOWN:
        return VerifyInfo(outcome)
    return VerifyInfo(
        outcome,
        document_type=result.document_type or "",
        issued=result.issued_at.date().isoformat() if result.issued_at else "",
        version=result.version,
        title=result.title.id if result.title else "",
        title_en=result.title.en if result.title else "",
    )


def login_failure(exc: cc.CentralError, attempt: int, qr: bool = False) -> LoginFailed:
    """The flow event for a refused or failed login."""
    now = time.monotonic()
    if isinstance(exc, cc.InvalidCredentials):
        if qr:
            return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.QR_EXPIRED)
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.INVALID_CREDENTIALS,
                           attempts_left=exc.attempts_left)
    if isinstance(exc, cc.Locked):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.LOCKED, retry_after_s=exc.retry_after)
    if isinstance(exc, cc.Timeout):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.TIMEOUT)
    if isinstance(exc, cc.Unreachable):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.UNREACHABLE)
    if isinstance(exc, cc.ContractMismatch):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.CONTRACT)
    if qr and isinstance(exc, (cc.NotFound, cc.SessionExpired)):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.QR_EXPIRED)
    return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.PROTOCOL)


def card_parts(content: bytes) -> list[bytes]:
    """front.png and back.png out of a verified card document (a ZIP)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read("front.png"), archive.read("back.png")]
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FetchFailed("bad-card-content", type(exc).__name__) from None


class EffectRunner:
    """``perform(effect)`` returns at once; results arrive through ``post``."""

    def __init__(self, central: cc.CentralClient, pipeline: PrintPipeline, post: Callable[[Event], None], *,
                 receipt: Any = None, kiosk_id: str = "", office: str = "", metrics: KioskMetrics | None = None):
        self.central = central
        self.metrics = metrics or get_metrics()
        self.pipeline = pipeline
        self.post = post
        #: The receipt printer (devices.receipt.ReceiptPrinter) for tickets and slips; None when there is none.
        self.receipt = receipt
        self.kiosk_id = kiosk_id
        self.office = office
        self._calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="central")
        self._printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printing")
        self._receipts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")

    def perform(self, effect: Effect) -> None:
        if isinstance(effect, Login):
            self._calls.submit(self._guard, self._login, effect)
        elif isinstance(effect, LoginWithQr):
            self._calls.submit(self._guard, self._login_qr, effect)
        elif isinstance(effect, PrintDocuments):
            self._printing.submit(self._guard, self._print, effect)
        elif isinstance(effect, EndSession):
            if effect.session is not None:
                self._calls.submit(self._guard, self._logout, effect)
        elif isinstance(effect, (CheckIn, TakeWalkIn)):
            self._calls.submit(self._guard, self._check_in, effect)
        elif isinstance(effect, VerifyDocument):
            self._calls.submit(self._guard, self._verify, effect)
        elif isinstance(effect, RequestPin):
            self._calls.submit(self._guard, self._request_pin, effect)
        elif isinstance(effect, (PrintTicket, PrintSlip)):
            self._receipts.submit(self._guard, self._print_receipt, effect)

    def shutdown(self, wait: bool = True) -> None:
        self._calls.shutdown(wait=wait, cancel_futures=True)
        self._printing.shutdown(wait=wait)
        self._receipts.shutdown(wait=wait)

    # ----- work, on worker threads
    def _guard(self, work: Callable[[Effect], None], effect: Effect) -> None:
        """A failure in a worker must become a state, never a silent dead thread."""
        try:
            work(effect)
        except (cc.CentralError, PrintJobError, OSError) as exc:
            log_event(log, "effect.failed", logging.ERROR, effect=type(effect).__name__, error=type(exc).__name__)
            now = time.monotonic()
            fallback: Event | None = {
                Login: LoginFailed(now=now, attempt=getattr(effect, "attempt", 0), problem=LoginProblem.PROTOCOL),
                LoginWithQr: LoginFailed(now=now, attempt=getattr(effect, "attempt", 0), problem=LoginProblem.PROTOCOL),
                CheckIn: CheckInRefused(now=now, problem=QueueProblem.PROTOCOL),
                TakeWalkIn: CheckInRefused(now=now, problem=QueueProblem.PROTOCOL),
                VerifyDocument: VerifyFailed(now=now, problem="central.protocol"),
                RequestPin: PinRequestAnswered(now=now, problem="central.protocol"),
                PrintTicket: TicketPrinted(now=now, ok=False),
                PrintSlip: SlipPrinted(now=now, ok=False),
            }.get(type(effect))
            if fallback is not None:
                self.post(fallback)

    def _login(self, effect: Login) -> None:
        try:
            session = self.central.login(effect.nik.digits, effect.pin)
        except cc.CentralError as exc:
            log_event(log, "login.refused", reason=type(exc).__name__)
            self.post(login_failure(exc, effect.attempt))
            return
        self._logged_in(session, effect.attempt)

    def _login_qr(self, effect: LoginWithQr) -> None:
        try:
            session = self.central.login_qr(effect.token, effect.holder)
        except cc.CentralError as exc:
            log_event(log, "login.qr_refused", reason=type(exc).__name__)
            self.post(login_failure(exc, effect.attempt, qr=True))
            return
        self._logged_in(session, effect.attempt)

    def _logged_in(self, session: cc.Session, attempt: int) -> None:
        documents = tuple(document_item(d) for d in session.documents)
        log_event(log, "login.ok", documents=len(documents))
        self.post(LoginSucceeded(now=time.monotonic(), attempt=attempt, session=session,
                                 masked_name=session.masked_name, documents=documents))

    def _logout(self, effect: EndSession) -> None:
        try:
            self.central.logout(effect.session)
        except cc.CentralError as exc:  # the token expires by itself; nothing of it stays here
            log_event(log, "logout.unconfirmed", reason=type(exc).__name__)

    def _print(self, effect: PrintDocuments) -> None:
        nik = effect.nik.digits if effect.nik is not None else ""
        for doc in effect.documents:
            self._print_one(effect.session, doc, nik)

    def _print_one(self, session: cc.Session, doc: DocumentItem, nik: str) -> None:
        def update(phase: Phase, fraction: float = 0.0, error: str | None = None) -> None:
            self.post(PrintUpdate(now=time.monotonic(), document_id=doc.id, phase=phase, fraction=fraction,
                                  error=error))

        failure: list[str] = []

        def fetch(job_id: str) -> FetchedDocument:
            update(Phase.FETCHING)
            try:
                verified = self.central.fetch_document(session, doc.id, job_id)
            except cc.CentralError as exc:
                cause, message = fetch_cause(exc)
                failure.append(message)
                raise FetchFailed(cause) from None
            update(Phase.PRINTING, 0.0)
            if doc.media is Media.CARD:
                return FetchedDocument(card_parts(verified.content))
            return FetchedDocument([verified.content])

        if doc.media is None or MEDIA_PRINTERS[doc.media] not in self.pipeline.printers:
            update(Phase.FAILED, error="print.failed")  # the flow never sends one: no printer for its media here
            return
        try:
            outcome = self.pipeline.run(
                document_id=doc.id, document_type=doc.type, kind=doc.media, printer=MEDIA_PRINTERS[doc.media], nik=nik,
                fetch=fetch, title=doc.title or doc.type, progress=lambda f: update(Phase.PRINTING, f),
            )
        except PrinterBlocked as exc:
            update(Phase.FAILED, error=f"device.{exc.empty[0]}-empty" if exc.empty else "print.failed")
            return
        state = outcome.job.state
        metrics = self.metrics
        if state in (JobState.PRINTED, JobState.REPORTED) and outcome.job.cause is None:
            metrics.document_printed(doc.type.lower(), "printed")
            update(Phase.DONE, 1.0)
        elif state is JobState.UNCERTAIN:
            metrics.document_printed(doc.type.lower(), "uncertain")
            update(Phase.FAILED, error="print.uncertain")
        else:
            metrics.document_printed(doc.type.lower(), "failed")
            update(Phase.FAILED, error=failure[0] if failure else f"device.{outcome.reason}")

    # ----- beyond printing
    def _check_in(self, effect: CheckIn | TakeWalkIn) -> None:
        try:
            if isinstance(effect, TakeWalkIn):
                ticket = self.central.queue_walk_in(uuid.uuid4().hex)
            else:
                ticket = self.central.queue_check_in(effect.booking_code)
        except cc.CentralError as exc:
            refusal = check_in_refusal(exc)
            log_event(log, "queue.refused", problem=refusal.problem.name.lower())
            self.post(refusal)
            return
        log_event(log, "queue.ticket", walk_in=ticket.booking_code is None)
        self.post(TicketIssued(now=time.monotonic(), ticket=ticket_info(ticket)))

    def _verify(self, effect: VerifyDocument) -> None:
        try:
            result = self.central.verify_code(effect.code)
        except (cc.NotFound, cc.Rejected):  # a code the service cannot even look up is no document of its
            info = VerifyInfo(VerifyOutcome.UNKNOWN)
        except cc.CentralError as exc:
            log_event(log, "verify.failed", reason=type(exc).__name__)
            self.post(VerifyFailed(now=time.monotonic(), problem=_central_problem(exc).value))
            return
        else:
            info = verify_info(result)
        log_event(log, "verify.answer", outcome=info.outcome.value)
        self.post(VerifyAnswered(now=time.monotonic(), info=info))

    def _request_pin(self, effect: RequestPin) -> None:
        try:
            self.central.request_pin(effect.nik.digits)
        except cc.CentralError as exc:
            # Only the transport can fail here: the service answers 202 for every NIK.
            log_event(log, "pin_request.failed", reason=type(exc).__name__)
            self.post(PinRequestAnswered(now=time.monotonic(), problem=_central_problem(exc).value))
            return
        log_event(log, "pin_request.sent")
        self.post(PinRequestAnswered(now=time.monotonic()))

    def _print_receipt(self, effect: PrintTicket | PrintSlip) -> None:
        done = TicketPrinted if isinstance(effect, PrintTicket) else SlipPrinted
        if self.receipt is None:
            self.post(done(now=time.monotonic(), ok=False))
            return
        try:
            if isinstance(effect, PrintTicket):
                t = effect.ticket
                self.receipt.print_ticket(t.number, t.service, t.counter or "-", datetime.fromisoformat(t.when),
                                          t.qr or None)
            else:
                when = datetime.now().astimezone().strftime("%d-%m-%Y %H:%M")
                self.receipt.print_receipt(slip_lines(effect.slip, when, self.kiosk_id), qr=effect.slip.qr or None,
                                           title="DOKUMEN TERCETAK", footer=self.office)
        except DeviceError as exc:
            log_event(log, "receipt.failed", logging.WARNING, what=type(effect).__name__, reason=exc.reason)
            self.post(done(now=time.monotonic(), ok=False))
            return
        self.pipeline.store.receipt_printed()
        log_event(log, "receipt.printed", what=type(effect).__name__)
        self.post(done(now=time.monotonic(), ok=True))
