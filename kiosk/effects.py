"""Turns flow effects into work off the main thread, and the results back into flow events.

Logins and logouts run on a small pool; print jobs run one after another on their own worker, so
two documents never race for a printer. ``post`` must be safe to call from any thread (the UI's
``KioskApp.post``); nothing here touches Kivy.
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import kiosk.central as cc
from central import contract as c
from kiosk.flow import (
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
    Phase,
    PrintDocuments,
    PrinterKind,
    PrintUpdate,
)
from kiosk.logs import event as log_event
from kiosk.metrics import get_metrics
from printjobs.errors import FetchFailed, PrinterBlocked, PrintJobError
from printjobs.journal import JobState
from printjobs.pipeline import FetchedDocument, PrintPipeline

log = logging.getLogger(__name__)

#: Which configured printer prints which kind of document.
PRINTER_NAMES = {PrinterKind.DOCUMENT: "document_printer", PrinterKind.CARD: "card_printer"}
_TYPE_KEYS = {t.value: t.name for t in c.DocumentType}
#: Central errors during a fetch -> the cause word the journal keeps and the message the resident sees.
_FETCH_CAUSES: dict[type[cc.CentralError], tuple[str, str]] = {
    cc.BadSignature: ("bad-signature", "print.bad_signature"),
    cc.AlreadyPrinted: ("already-printed", "print.already_printed"),
    cc.AlreadyClaimed: ("already-claimed", "print.already_printed"),
    cc.Unreachable: ("unreachable", "central.unreachable"),
    cc.Timeout: ("timeout", "central.timeout"),
    cc.SessionExpired: ("session-expired", "session.expired"),
}


def document_item(summary: c.DocumentSummary) -> DocumentItem:
    """The flow's view of a document from the central service's list."""
    printer = PrinterKind.CARD if summary.media == c.Media.CARD else PrinterKind.DOCUMENT
    status = DocStatus.READY if summary.status == c.DocumentStatus.READY else DocStatus.PRINTED
    issued = getattr(summary, "issued_at", None)
    return DocumentItem(
        id=summary.id,
        type=_TYPE_KEYS.get(summary.type.value, "OTHER"),
        issued=issued.date().isoformat() if issued is not None else "",
        printer=printer,
        status=status,
    )


def login_failure(exc: cc.CentralError, qr: bool = False) -> LoginFailed:
    """The flow event for a refused or failed login."""
    now = time.monotonic()
    if isinstance(exc, cc.InvalidCredentials):
        if qr:
            return LoginFailed(now=now, problem=LoginProblem.QR_EXPIRED)
        return LoginFailed(now=now, problem=LoginProblem.INVALID_CREDENTIALS, attempts_left=exc.attempts_left)
    if isinstance(exc, cc.Locked):
        return LoginFailed(now=now, problem=LoginProblem.LOCKED, retry_after_s=exc.retry_after)
    if isinstance(exc, cc.Timeout):
        return LoginFailed(now=now, problem=LoginProblem.TIMEOUT)
    if isinstance(exc, cc.Unreachable):
        return LoginFailed(now=now, problem=LoginProblem.UNREACHABLE)
    if qr and isinstance(exc, (cc.NotFound, cc.SessionExpired)):
        return LoginFailed(now=now, problem=LoginProblem.QR_EXPIRED)
    return LoginFailed(now=now, problem=LoginProblem.PROTOCOL)


def card_parts(content: bytes) -> list[bytes]:
    """front.png and back.png out of a verified card document (a ZIP)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read("front.png"), archive.read("back.png")]
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FetchFailed("bad-card-content", type(exc).__name__) from None


class EffectRunner:
    """``perform(effect)`` returns at once; results arrive through ``post``."""

    def __init__(self, central: cc.CentralClient, pipeline: PrintPipeline, post: Callable[[Event], None]):
        self.central = central
        self.pipeline = pipeline
        self.post = post
        self._calls = ThreadPoolExecutor(max_workers=2, thread_name_prefix="central")
        self._printing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printing")

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

    def shutdown(self, wait: bool = True) -> None:
        self._calls.shutdown(wait=wait, cancel_futures=True)
        self._printing.shutdown(wait=wait)

    # ----- work, on worker threads
    def _guard(self, work: Callable[[Effect], None], effect: Effect) -> None:
        """A failure in a worker must become a state, never a silent dead thread."""
        try:
            work(effect)
        except (cc.CentralError, PrintJobError, OSError) as exc:
            log_event(log, "effect.failed", logging.ERROR, effect=type(effect).__name__, error=type(exc).__name__)
            if isinstance(effect, (Login, LoginWithQr)):
                self.post(LoginFailed(now=time.monotonic(), problem=LoginProblem.PROTOCOL))

    def _login(self, effect: Login) -> None:
        try:
            session = self.central.login(effect.nik.digits, effect.pin)
        except cc.CentralError as exc:
            log_event(log, "login.refused", reason=type(exc).__name__)
            self.post(login_failure(exc))
            return
        self._logged_in(session)

    def _login_qr(self, effect: LoginWithQr) -> None:
        try:
            session = self.central.login_qr(effect.token)
        except cc.CentralError as exc:
            log_event(log, "login.qr_refused", reason=type(exc).__name__)
            self.post(login_failure(exc, qr=True))
            return
        self._logged_in(session)

    def _logged_in(self, session: cc.Session) -> None:
        documents = tuple(document_item(d) for d in session.documents)
        log_event(log, "login.ok", documents=len(documents))
        self.post(LoginSucceeded(now=time.monotonic(), session=session, masked_name=session.masked_name,
                                 documents=documents))

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
                cause, message = next(
                    (v for k, v in _FETCH_CAUSES.items() if isinstance(exc, k)), ("protocol", "central.protocol")
                )
                failure.append(message)
                raise FetchFailed(cause) from None
            update(Phase.PRINTING, 0.0)
            if doc.printer is PrinterKind.CARD:
                return FetchedDocument(card_parts(verified.content))
            return FetchedDocument([verified.content])

        kind = "card" if doc.printer is PrinterKind.CARD else "a4"
        try:
            outcome = self.pipeline.run(
                document_id=doc.id, document_type=doc.type, kind=kind, printer=PRINTER_NAMES[doc.printer], nik=nik,
                fetch=fetch, title=doc.type, progress=lambda f: update(Phase.PRINTING, f),
            )
        except PrinterBlocked as exc:
            update(Phase.FAILED, error=f"device.{exc.empty[0]}-empty" if exc.empty else "print.failed")
            return
        state = outcome.job.state
        metrics = get_metrics()
        if state in (JobState.PRINTED, JobState.REPORTED) and outcome.job.cause is None:
            metrics.document_printed(doc.type.lower(), "printed")
            update(Phase.DONE, 1.0)
        elif state is JobState.UNCERTAIN:
            metrics.document_printed(doc.type.lower(), "uncertain")
            update(Phase.FAILED, error="print.uncertain")
        else:
            metrics.document_printed(doc.type.lower(), "failed")
            update(Phase.FAILED, error=failure[0] if failure else f"device.{outcome.reason}")
