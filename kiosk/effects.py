"""Turns flow effects into work off the main thread, and the results back into flow events.

Logins and logouts run on a small pool. A resident's documents are fetched one after another (the link is
shared) while each printer prints what is already fetched for it, one job at a time: the KK prints while
the KTP-el is fetched, and the card printer never waits for the A4 printer (:class:`_PrinterLane`).
``post`` must be safe to call from any thread (the UI's ``KioskApp.post``); nothing here touches Kivy.
"""

from __future__ import annotations

import io
import logging
import queue
import random
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import kiosk.central_client as cc
from central import contract as c
from central.vocabulary import known_media
from devices.base import (
    CardAbsent,
    CardReader,
    CardUnreadable,
    DeviceError,
    DeviceTimeout,
    FingerprintReader,
    ReceiptPrinter,
    ScanTooPoor,
)
from kiosk.flow import (
    CallHelp,
    CardProblem,
    CardRead,
    CardReadFailed,
    CheckIn,
    CheckInRefused,
    DocStatus,
    DocumentItem,
    Effect,
    EndSession,
    Event,
    FingerNotRead,
    FingerProblem,
    HelpAnswered,
    HelpStatus,
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
    ReadCard,
    RequestPin,
    SendRating,
    SlipPrinted,
    TakeWalkIn,
    TicketIssued,
    TicketPrinted,
    VerifyAnswered,
    VerifyDocument,
    VerifyFailed,
    VerifyFinger,
)
from kiosk.hardware import MEDIA_PRINTERS
from kiosk.login_problems import login_failure
from kiosk.logs import event as log_event
from kiosk.message_keys import N_
from kiosk.metrics import KioskMetrics, get_metrics
from kiosk.officer_effects import OFFICER_EFFECTS, OfficerEffects
from kiosk.service_model import QueueProblem, TicketInfo, VerifyInfo, VerifyOutcome, slip_lines
from printjobs.consumables import Level
from printjobs.errors import FetchFailed, PrinterBlocked, PrintJobError
from printjobs.journal import JobState
from printjobs.outbox import RatingReport
from printjobs.pipeline import FetchedDocument, Outcome, PrintPipeline

log = logging.getLogger(__name__)

#: Central errors during a fetch -> the cause word the journal keeps and the message the resident sees.
_FETCH_CAUSES: dict[type[cc.CentralError], tuple[str, str]] = {
    cc.NotYourDocument: ("wrong-holder", N_("print.not_yours")),
    cc.BadSignature: ("bad-signature", N_("print.bad_signature")),
    cc.ContractMismatch: ("contract-mismatch", "central.contract"),
    cc.AlreadyPrinted: ("already-printed", N_("print.already_printed")),
    cc.AlreadyClaimed: ("already-claimed", N_("print.already_printed")),
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


def fetch_order(documents: tuple[DocumentItem, ...]) -> list[DocumentItem]:
    """The order to fetch a resident's documents in: cards first, then the rest as chosen.

    One link carries them one after another, and a printer can start only once its document is here: the
    slowest printer should start first. A card takes 25-30 s on a card printer, an A4 page about 5 s, so the
    card printer is the one that sets the session's length."""
    return sorted(documents, key=lambda doc: doc.media is not Media.CARD)


def card_parts(content: bytes) -> list[bytes]:
    """front.png and back.png out of a verified card document (a ZIP)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read("front.png"), archive.read("back.png")]
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FetchFailed("bad-card-content", type(exc).__name__) from None


#: How often a capture under way checks that the flow still waits for it (else it is cancelled).
FINGER_WATCH_S = 0.25
#: How long a card's NIK may take to read, and a finger to come to the reader.
CARD_READ_TIMEOUT_S = 5.0
FINGER_TIMEOUT_S = 30.0


#: One kind of effect: a worker (``EffectRunner._login`` ...) is given the kind it takes.
E = TypeVar("E", bound=Effect)
#: The longest a rating waits before it is first sent (see :meth:`EffectRunner._rate`).
RATING_DELAY_MAX_S = 600.0


class EffectRunner:
    """``perform(effect)`` returns at once; results arrive through ``post``."""

    def __init__(self, central: cc.CentralClient, pipeline: PrintPipeline | None, post: Callable[[Event], None], *,
                 receipt: ReceiptPrinter | None = None, kiosk_id: str = "", office: str = "",
                 metrics: KioskMetrics | None = None, card_reader: CardReader | None = None,
                 fingerprint_reader: FingerprintReader | None = None,
                 awaited: Callable[[int], bool] | None = None, finger_timeout_s: float = FINGER_TIMEOUT_S):
        self.central = central
        self.metrics = metrics or get_metrics()
        #: None when the journal is unusable (the kiosk is out of service): nothing prints, no receipt is counted.
        self.pipeline = pipeline
        self.post = post
        #: The receipt printer for tickets and slips; None when there is none.
        self.receipt = receipt
        self.kiosk_id = kiosk_id
        self.office = office
        self._calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="central")
        self._printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printing")
        self._receipts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts")
        #: The officer role: sign-in, identity check, sign-out, audit.
        self.officer = OfficerEffects(central, post, self._calls,
                                      lambda: self.pipeline.store.audit if self.pipeline is not None else None,
                                      document_item)
        #: The KTP-el + finger login's readers (None: the kiosk has not both) and their one worker.
        self.card_reader = card_reader
        self.fingerprint_reader = fingerprint_reader
        self.finger_timeout_s = finger_timeout_s
        #: Whether the flow still waits for a login attempt (the UI's state); a finger taken for an attempt it
        #: no longer waits for (the resident went on to the PIN, or left) is dropped, never sent.
        self.awaited = awaited or (lambda attempt: True)
        self._readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readers")

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
        elif isinstance(effect, SendRating):
            self._calls.submit(self._guard, self._rate, effect)
        elif isinstance(effect, OFFICER_EFFECTS):
            self.officer.perform(effect)
        elif isinstance(effect, ReadCard):
            self._readers.submit(self._guard, self._read_card, effect)
        elif isinstance(effect, VerifyFinger):
            self._readers.submit(self._guard, self._verify_finger, effect)
        elif isinstance(effect, CallHelp):
            self._calls.submit(self._guard, self._call_help, effect)

    def _call_help(self, effect: CallHelp) -> None:
        """Tell the central service a resident needs an officer here: a random call id, the screen, the time."""
        try:
            self.central.call_help(uuid.uuid4().hex, effect.screen, datetime.now(UTC))
        except cc.TooManyRequests:  # the service had a call from this kiosk moments ago: it is on its way
            status, outcome = HelpStatus.ALREADY, "refused"
        except cc.CentralError as exc:
            log_event(log, "help.call_failed", logging.WARNING, screen=effect.screen, reason=type(exc).__name__)
            status, outcome = HelpStatus.FAILED, "failed"
        else:
            status, outcome = HelpStatus.SENT, "sent"
        self.metrics.help_requested(outcome)
        log_event(log, "help.call", screen=effect.screen, outcome=outcome)
        self.post(HelpAnswered(now=time.monotonic(), status=status))

    def _rate(self, effect: SendRating) -> None:
        """Into the outbox, anonymous: a random id, the month (its created_at is the month's start, never the
        time of day), the score; first sent after a random delay, so its arrival does not point at a session."""
        if self.pipeline is None:
            return
        month_start = datetime.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        rating = RatingReport(uuid.uuid4().hex, month_start.strftime("%Y-%m"), effect.score, month_start.timestamp())
        self.pipeline.store.outbox.enqueue_rating(rating, delay_s=random.uniform(0, RATING_DELAY_MAX_S))
        log_event(log, "rating.queued", score=effect.score)

    def shutdown(self, wait: bool = True) -> None:
        self._calls.shutdown(wait=wait, cancel_futures=True)
        self._printing.shutdown(wait=wait)
        self._receipts.shutdown(wait=wait)
        self.officer.shutdown(wait=wait)
        self._readers.shutdown(wait=wait, cancel_futures=True)

    # ----- work, on worker threads
    def _guard(self, work: Callable[[E], None], effect: E) -> None:
        """A failure in a worker must become a state, never a silent dead thread."""
        try:
            work(effect)
        except (cc.CentralError, PrintJobError, OSError) as exc:
            log_event(log, "effect.failed", logging.ERROR, effect=type(effect).__name__, error=type(exc).__name__)
            now = time.monotonic()
            attempt = getattr(effect, "attempt", 0)
            fallback: Event | None = {
                Login: LoginFailed(now=now, attempt=attempt, problem=LoginProblem.PROTOCOL),
                LoginWithQr: LoginFailed(now=now, attempt=attempt, problem=LoginProblem.PROTOCOL),
                VerifyFinger: LoginFailed(now=now, attempt=attempt, problem=LoginProblem.PROTOCOL),
                ReadCard: CardReadFailed(now=now, attempt=attempt, problem=CardProblem.READER),
                CheckIn: CheckInRefused(now=now, problem=QueueProblem.PROTOCOL),
                TakeWalkIn: CheckInRefused(now=now, problem=QueueProblem.PROTOCOL),
                VerifyDocument: VerifyFailed(now=now, problem="central.protocol"),
                RequestPin: PinRequestAnswered(now=now, problem="central.protocol"),
                PrintTicket: TicketPrinted(now=now, ok=False),
                PrintSlip: SlipPrinted(now=now, ok=False),
                CallHelp: HelpAnswered(now=now, status=HelpStatus.FAILED),
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

    def _read_card(self, effect: ReadCard) -> None:
        """The NIK of the card on the reader, to the flow only (never logged)."""
        problem: CardProblem | None = None
        if self.card_reader is None:
            problem = CardProblem.READER
        else:
            try:
                nik = self.card_reader.read_nik(timeout=CARD_READ_TIMEOUT_S)
            except CardUnreadable:
                problem = CardProblem.UNREADABLE
            except CardAbsent:
                problem = CardProblem.REMOVED
            except DeviceError:  # offline, timed out, pcscd gone
                problem = CardProblem.READER
        if problem is not None:
            log_event(log, "card.unread", problem=problem.name.lower())
            self.post(CardReadFailed(now=time.monotonic(), attempt=effect.attempt, problem=problem))
            return
        log_event(log, "card.read")
        self.post(CardRead(now=time.monotonic(), attempt=effect.attempt, nik=nik))

    def _verify_finger(self, effect: VerifyFinger) -> None:
        """A finger from the reader, then the login with the card's NIK; the template lives only in this call."""
        if self.fingerprint_reader is None:
            self.post(FingerNotRead(now=time.monotonic(), attempt=effect.attempt, problem=FingerProblem.READER))
            return
        problem: FingerProblem | None = None
        finished, cancelled = threading.Event(), threading.Event()
        reader = self.fingerprint_reader

        def watch() -> None:  # the resident left (back, time out, the PIN): free the reader for the next one
            while not finished.wait(FINGER_WATCH_S):
                if not self.awaited(effect.attempt):
                    cancelled.set()
                    reader.cancel()
                    return

        threading.Thread(target=watch, name="finger-watch", daemon=True).start()
        try:
            template = reader.capture(timeout=self.finger_timeout_s)
        except ScanTooPoor:
            problem = FingerProblem.RETRY
        except DeviceTimeout:
            problem = FingerProblem.TIMEOUT
        except DeviceError:  # offline, unplugged, a libfprint failure
            problem = FingerProblem.READER
        finally:
            finished.set()
        if cancelled.is_set():  # nobody waits for this capture any more: nothing to say, nothing to send
            log_event(log, "finger.cancelled")
            return
        if problem is not None:
            log_event(log, "finger.unread", problem=problem.name.lower())
            self.post(FingerNotRead(now=time.monotonic(), attempt=effect.attempt, problem=problem))
            return
        if not self.awaited(effect.attempt):  # taken for a login no one waits for: not sent, not counted
            log_event(log, "finger.dropped")
            return
        try:
            session = self.central.login_finger(effect.nik.digits, template)
        except cc.CentralError as exc:
            log_event(log, "login.finger_refused", reason=type(exc).__name__)
            self.post(login_failure(exc, effect.attempt))
            return
        finally:
            del template
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
        pipeline = self.pipeline
        if pipeline is None:  # no journal to trust (the flow shows the kiosk out of service first)
            for doc in effect.documents:
                self._update(doc, Phase.FAILED, error="print.failed")
            return
        lanes: dict[str, _PrinterLane] = {}
        try:
            for doc in fetch_order(effect.documents):
                media = doc.media
                printer = MEDIA_PRINTERS.get(media) if media is not None else None
                if media is None or printer is None or printer not in pipeline.printers:
                    # The flow never sends one: no printer for its media here.
                    self._update(doc, Phase.FAILED, error="print.failed")
                    continue
                lane = lanes.get(printer)
                if lane is None:
                    lane = lanes[printer] = _PrinterLane(
                        printer, lambda doc, job_id: self._print_fetched(pipeline, doc, job_id))
                elif not _stock_comfortable(pipeline, printer):
                    # Low stock: let the printer finish first, so an empty tray is seen before the next
                    # document is claimed at the service (then it is refused as 'blanko empty', unclaimed).
                    lane.drain()
                job_id = self._fetch_one(pipeline, effect.session, doc, media, nik, printer)
                if job_id is not None:
                    self._update(doc, Phase.WAITING)
                    lane.put(doc, job_id)
        finally:
            for lane in lanes.values():
                lane.close()

    def _update(self, doc: DocumentItem, phase: Phase, fraction: float = 0.0, error: str | None = None) -> None:
        self.post(PrintUpdate(now=time.monotonic(), document_id=doc.id, phase=phase, fraction=fraction, error=error))

    def _fetch_one(self, pipeline: PrintPipeline, session: cc.Session, doc: DocumentItem, media: Media, nik: str,
                   printer: str) -> str | None:
        """Claim, fetch, verify and spool one document: its FETCHED job's id, or None after posting why not."""
        failure: list[str] = []

        def fetch(job_id: str) -> FetchedDocument:
            self._update(doc, Phase.FETCHING)
            try:
                verified = self.central.fetch_document(session, doc.id, job_id)
            except cc.CentralError as exc:
                cause, message = fetch_cause(exc)
                failure.append(message)
                raise FetchFailed(cause) from None
            if media is Media.CARD:
                return FetchedDocument(card_parts(verified.content))
            return FetchedDocument([verified.content])

        try:
            prepared = pipeline.prepare(document_id=doc.id, document_type=doc.type, kind=media,
                                             printer=printer, nik=nik, fetch=fetch)
        except PrinterBlocked as exc:
            self._update(doc, Phase.FAILED, error=f"device.{exc.empty[0]}-empty" if exc.empty else "print.failed")
            return None
        if prepared.job.state is not JobState.FETCHED:
            self._finished(doc, prepared, failure)
            return None
        return prepared.job.job_id

    def _print_fetched(self, pipeline: PrintPipeline, doc: DocumentItem, job_id: str) -> None:
        """On a printer's lane: print one fetched job and post how it ended."""
        self._update(doc, Phase.PRINTING, 0.0)
        try:
            outcome = pipeline.print_job(job_id, title=doc.title or doc.type,
                                         progress=lambda f: self._update(doc, Phase.PRINTING, f))
        except Exception as exc:  # the job is UNCERTAIN or FAILED in the journal already; the resident is told
            log_event(log, "print.error", logging.ERROR, error=type(exc).__name__)
            self._update(doc, Phase.FAILED, error="print.failed")
            return
        self._finished(doc, outcome, [])

    def _finished(self, doc: DocumentItem, outcome: Outcome, failure: list[str]) -> None:
        state = outcome.job.state
        metrics = self.metrics
        if state in (JobState.PRINTED, JobState.REPORTED) and outcome.job.cause is None:
            metrics.document_printed(doc.type.lower(), "printed")
            self._update(doc, Phase.DONE, 1.0)
        elif state is JobState.UNCERTAIN:
            metrics.document_printed(doc.type.lower(), "uncertain")
            self._update(doc, Phase.FAILED, error=N_("print.uncertain"))
        else:
            metrics.document_printed(doc.type.lower(), "failed")
            self._update(doc, Phase.FAILED, error=failure[0] if failure else f"device.{outcome.reason}")

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
        if self.pipeline is not None:
            self.pipeline.store.receipt_printed()
        log_event(log, "receipt.printed", what=type(effect).__name__)
        self.post(done(now=time.monotonic(), ok=True))


def _stock_comfortable(pipeline: PrintPipeline, printer: str) -> bool:
    """Whether every counted consumable of ``printer`` is above its low mark."""
    return all(s.state is not Level.WARNING and s.state is not Level.EMPTY
               for s in pipeline.store.consumables.status(printer))


class _PrinterLane:
    """One printer's worker: prints the fetched jobs put to it, in order, one at a time."""

    def __init__(self, printer: str, work: Callable[[DocumentItem, str], None]):
        self._work = work
        self._jobs: queue.Queue[tuple[DocumentItem, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"print-{printer}", daemon=True)
        self._thread.start()

    def put(self, doc: DocumentItem, job_id: str) -> None:
        self._jobs.put((doc, job_id))

    def drain(self) -> None:
        """Wait until every job put so far has been printed (or has failed)."""
        self._jobs.join()

    def close(self) -> None:
        """Print what is queued, then stop; returns when the printer's last job has ended."""
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            try:
                if item is None:
                    return
                self._work(*item)
            finally:
                self._jobs.task_done()
