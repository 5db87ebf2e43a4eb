"""The resident flow as a pure state machine: events in, a new state and effects out.

No Kivy, no I/O, no clock: time arrives inside events (``now``, seconds on a monotonic clock), so tests
drive every transition, timeouts included, without waiting. Screens render :class:`FlowState` and turn
touches into events; the app turns :class:`Effect` objects into work off the main thread and feeds the
results back as events.

Every way out of a session (cancel, idle timeout, done, a lost session) goes through :func:`_logout`,
which keeps nothing of the resident: no NIK, no session, no names, no documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from kiosk.nik import InvalidNik, Nik, parse_nik
from kiosk.services import QueueProblem, Slip, TicketInfo, VerifyInfo, booking_code, slip_for


class Screen(Enum):
    OUT_OF_SERVICE = "out_of_service"
    ATTRACT = "attract"
    NIK_ENTRY = "nik_entry"
    PIN_ENTRY = "pin_entry"
    DOCUMENTS = "documents"
    CONFIRM = "confirm"
    PRINTING = "printing"
    DONE = "done"
    TECHNICIAN = "technician"
    QUEUE = "queue"  # queue check-in: booking code or walk-in, then the ticket
    VERIFY = "verify"  # document verification: scan the QR on a document, then green/yellow/red
    PIN_RESET = "pin_reset"  # 'Lupa PIN?': the NIK, then the same answer whether it exists or not


#: Screens where a resident is in a session and the idle timer runs.
SESSION_SCREENS = frozenset({Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.DOCUMENTS, Screen.CONFIRM})
#: Screens of the paths beyond printing; no session, but the idle timer runs and leaving wipes them.
SERVICE_SCREENS = frozenset({Screen.QUEUE, Screen.VERIFY, Screen.PIN_RESET})
IDLE_SCREENS = SESSION_SCREENS | SERVICE_SCREENS
#: Where a scan that means nothing there gets a plain message (elsewhere it is ignored).
SCAN_MESSAGE_SCREENS = frozenset({Screen.ATTRACT, Screen.NIK_ENTRY}) | SERVICE_SCREENS
_WRONG_SCAN = {Screen.QUEUE: "queue.scan_wrong", Screen.VERIFY: "verify.scan_wrong"}
#: How much longer a ticket stays on screen when the receipt printer could not print it (to note the number).
UNPRINTED_TICKET_FACTOR = 3


class PrinterKind(Enum):
    DOCUMENT = "document"  # A4: KK, akta
    CARD = "card"  # KTP-el, KIA


class DocStatus(Enum):
    READY = "ready"
    PRINTED = "printed"  # already printed with this PIN
    UNAVAILABLE = "unavailable"  # its printer cannot print now


class Phase(Enum):
    WAITING = "waiting"
    FETCHING = "fetching"
    PRINTING = "printing"
    DONE = "done"
    FAILED = "failed"


TERMINAL_PHASES = frozenset({Phase.DONE, Phase.FAILED})


class LoginProblem(Enum):
    """Why a login did not go through; each has a resident-facing message."""

    INVALID_CREDENTIALS = "login.invalid"
    LOCKED = "login.locked"
    UNREACHABLE = "central.unreachable"
    TIMEOUT = "central.timeout"
    PROTOCOL = "central.protocol"
    QR_EXPIRED = "login.qr_invalid"


@dataclass(frozen=True)
class Message:
    """A message id from the catalogs (``assets/locale``) with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict, compare=True)
    severity: str = "error"  # error | warning | info


@dataclass(frozen=True)
class PrinterAvailability:
    """Whether one printer can take work now; ``reason`` is a device reason word when not."""

    kind: PrinterKind
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class DocumentItem:
    """A document as the resident sees it in the list (no content, no personal data beyond the type)."""

    id: str
    type: str  # KK, AKTA_KELAHIRAN, AKTA_KEMATIAN, KTP_EL, KIA, ...
    issued: str  # ISO date
    printer: PrinterKind
    status: DocStatus = DocStatus.READY
    reason: str | None = None
    verify_url: str = ""  # the link in the document's own QR (goes on the printed-documents slip)


@dataclass(frozen=True)
class DocProgress:
    id: str
    phase: Phase = Phase.WAITING
    fraction: float = 0.0
    error: str | None = None  # a message key when FAILED


@dataclass(frozen=True)
class FlowSettings:
    idle_warning_s: float = 60
    idle_logout_s: float = 20
    done_logout_s: float = 15
    default_language: str = "id"
    technician_idle_s: float = 120


@dataclass(frozen=True)
class FlowState:
    screen: Screen = Screen.ATTRACT
    language: str = "id"
    printers: tuple[PrinterAvailability, ...] = ()
    nik: Nik | None = None
    session: Any = None  # opaque to the flow; the central client's session object
    masked_name: str = ""
    documents: tuple[DocumentItem, ...] = ()
    selected: frozenset[str] = frozenset()
    progress: tuple[DocProgress, ...] = ()
    message: Message | None = None
    busy: bool = False  # waiting for the central service
    last_activity: float = 0.0
    idle_warning_since: float | None = None
    done_since: float | None = None  # the done screen, or a shown ticket/verification, since then
    ticket: TicketInfo | None = None
    verification: VerifyInfo | None = None
    pin_request_sent: bool = False
    reset_from: Screen | None = None  # where 'Lupa PIN?' was pressed, for 'Kembali'
    slip_printed: bool | None = None  # None: printing (or no slip); then whether the slip came out

    @property
    def in_session(self) -> bool:
        return self.nik is not None or self.session is not None

    def printer_ok(self, kind: PrinterKind) -> bool:
        return any(p.kind is kind and p.available for p in self.printers)

    def printer_reason(self, kind: PrinterKind) -> str | None:
        for p in self.printers:
            if p.kind is kind:
                return p.reason
        return "not-installed"


# --------------------------------------------------------------------------- events
@dataclass(frozen=True)
class Event:
    now: float = 0.0


@dataclass(frozen=True)
class DevicesChanged(Event):
    printers: tuple[PrinterAvailability, ...] = ()


@dataclass(frozen=True)
class Touched(Event):
    """Any touch: resets the idle timer."""


@dataclass(frozen=True)
class Tick(Event):
    """The clock: drives idle warning, idle logout and the done screen."""


@dataclass(frozen=True)
class StartPressed(Event):
    pass


@dataclass(frozen=True)
class LanguageToggled(Event):
    pass


@dataclass(frozen=True)
class NikSubmitted(Event):
    text: str = ""


@dataclass(frozen=True)
class LoginQrScanned(Event):
    """The QR from the WhatsApp message was scanned; ``token`` already extracted by :mod:`kiosk.scans`."""

    token: str = ""


@dataclass(frozen=True)
class UnknownScan(Event):
    """The reader read something that is no code this kiosk knows (or a code for a screen not shown)."""


@dataclass(frozen=True)
class PinSubmitted(Event):
    pin: str = ""

    def __repr__(self) -> str:  # the PIN never reaches a log through an event's repr
        return f"PinSubmitted(now={self.now}, pin='******')"


@dataclass(frozen=True)
class LoginSucceeded(Event):
    session: Any = None
    masked_name: str = ""
    documents: tuple[DocumentItem, ...] = ()


@dataclass(frozen=True)
class LoginFailed(Event):
    problem: LoginProblem = LoginProblem.UNREACHABLE
    attempts_left: int | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class DocumentToggled(Event):
    document_id: str = ""


@dataclass(frozen=True)
class PrintPressed(Event):
    pass


@dataclass(frozen=True)
class Confirmed(Event):
    pass


@dataclass(frozen=True)
class BackPressed(Event):
    pass


@dataclass(frozen=True)
class CancelPressed(Event):
    """'Selesai' / 'Batal': the resident leaves; the session is wiped."""


@dataclass(frozen=True)
class ExtendTime(Event):
    """'Tambah waktu' on the idle warning."""


@dataclass(frozen=True)
class PrintUpdate(Event):
    document_id: str = ""
    phase: Phase = Phase.PRINTING
    fraction: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class SessionLost(Event):
    """The central service says the session expired or was revoked."""


@dataclass(frozen=True)
class TechnicianOpened(Event):
    pass


@dataclass(frozen=True)
class TechnicianClosed(Event):
    pass


# ----- beyond printing: queue, verification, PIN resend, slip
@dataclass(frozen=True)
class QueuePressed(Event):
    """'Ambil / cek antrean' on the attract screen."""


@dataclass(frozen=True)
class BookingSubmitted(Event):
    """The booking code typed on the keypad (the digits after 'ANTRI-', or the whole code)."""

    text: str = ""


@dataclass(frozen=True)
class BookingScanned(Event):
    """A booking QR was scanned; ``code`` already extracted by :mod:`kiosk.scans`."""

    code: str = ""


@dataclass(frozen=True)
class WalkInPressed(Event):
    """'Ambil nomor tanpa booking'."""


@dataclass(frozen=True)
class TicketIssued(Event):
    ticket: TicketInfo | None = None


@dataclass(frozen=True)
class CheckInRefused(Event):
    problem: QueueProblem = QueueProblem.UNKNOWN
    retry_after_s: float | None = None


@dataclass(frozen=True)
class TicketPrinted(Event):
    ok: bool = False


@dataclass(frozen=True)
class VerifyPressed(Event):
    """'Cek keaslian dokumen' on the attract screen."""


@dataclass(frozen=True)
class VerifyScanned(Event):
    """The QR printed on a document was scanned; ``code`` already extracted by :mod:`kiosk.scans`."""

    code: str = ""


@dataclass(frozen=True)
class VerifyAnswered(Event):
    info: VerifyInfo | None = None


@dataclass(frozen=True)
class VerifyFailed(Event):
    problem: str = "central.unreachable"  # a message key


@dataclass(frozen=True)
class ForgotPinPressed(Event):
    """'Lupa PIN?'."""


@dataclass(frozen=True)
class PinRequestSubmitted(Event):
    text: str = ""

    def __repr__(self) -> str:  # a NIK never reaches a log through an event's repr
        return f"PinRequestSubmitted(now={self.now}, text='***')"


@dataclass(frozen=True)
class PinRequestAnswered(Event):
    """The central service took the request (``problem`` None) or could not be asked (a message key)."""

    problem: str | None = None


@dataclass(frozen=True)
class EnterPinPressed(Event):
    """'Masukkan PIN' after a PIN request: on to the PIN screen with the same NIK."""


@dataclass(frozen=True)
class SlipPrinted(Event):
    ok: bool = False


#: Answers from work done elsewhere: they are not the resident's activity.
RESULT_EVENTS = (Tick, DevicesChanged, LoginSucceeded, LoginFailed, PrintUpdate, SessionLost, TicketIssued,
                 CheckInRefused, TicketPrinted, VerifyAnswered, VerifyFailed, PinRequestAnswered, SlipPrinted)


# --------------------------------------------------------------------------- effects
@dataclass(frozen=True)
class Effect:
    pass


@dataclass(frozen=True)
class Login(Effect):
    nik: Nik
    pin: str

    def __repr__(self) -> str:
        return f"Login(nik={self.nik!r}, pin='******')"


@dataclass(frozen=True)
class LoginWithQr(Effect):
    token: str

    def __repr__(self) -> str:
        return "LoginWithQr(token='***')"


@dataclass(frozen=True)
class PrintDocuments(Effect):
    """Print these documents; ``nik`` (None after a QR login) only feeds the journal's keyed hash."""

    session: Any
    documents: tuple[DocumentItem, ...]
    nik: Nik | None = None


@dataclass(frozen=True)
class EndSession(Effect):
    """Revoke the session at the central service and wipe every trace of it on the kiosk."""

    session: Any


@dataclass(frozen=True)
class CheckIn(Effect):
    booking_code: str


@dataclass(frozen=True)
class TakeWalkIn(Effect):
    """A queue number without a booking."""


@dataclass(frozen=True)
class PrintTicket(Effect):
    ticket: TicketInfo


@dataclass(frozen=True)
class VerifyDocument(Effect):
    code: str


@dataclass(frozen=True)
class RequestPin(Effect):
    nik: Nik


@dataclass(frozen=True)
class PrintSlip(Effect):
    """The printed-documents slip on the receipt printer."""

    slip: Slip


# --------------------------------------------------------------------------- the machine
class Flow:
    """Holds the settings; :meth:`handle` is a pure function of (state, event)."""

    def __init__(self, settings: FlowSettings | None = None):
        self.settings = settings or FlowSettings()

    def initial(self, printers: tuple[PrinterAvailability, ...] = ()) -> FlowState:
        state = FlowState(language=self.settings.default_language, printers=printers)
        return replace(state, screen=self._home(state))

    def handle(self, state: FlowState, event: Event) -> tuple[FlowState, list[Effect]]:
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            return state, []
        if not isinstance(event, RESULT_EVENTS):
            state = replace(state, last_activity=event.now, idle_warning_since=None)
        return handler(state, event)

    # ----- helpers
    @staticmethod
    def _home(state: FlowState) -> Screen:
        return Screen.ATTRACT if any(p.available for p in state.printers) else Screen.OUT_OF_SERVICE

    def _logout(self, state: FlowState) -> tuple[FlowState, list[Effect]]:
        effects: list[Effect] = [EndSession(state.session)]
        fresh = FlowState(
            language=self.settings.default_language,
            printers=state.printers,
            last_activity=state.last_activity,
        )
        return replace(fresh, screen=self._home(fresh)), effects

    @staticmethod
    def _mark_availability(state: FlowState, documents: tuple[DocumentItem, ...]) -> tuple[DocumentItem, ...]:
        marked = []
        for doc in documents:
            if doc.status is DocStatus.PRINTED:
                marked.append(doc)
            elif state.printer_ok(doc.printer):
                marked.append(replace(doc, status=DocStatus.READY, reason=None))
            else:
                marked.append(replace(doc, status=DocStatus.UNAVAILABLE, reason=state.printer_reason(doc.printer)))
        return tuple(marked)

    def _with_documents(self, state: FlowState, documents: tuple[DocumentItem, ...]) -> FlowState:
        documents = self._mark_availability(state, documents)
        ready = {d.id for d in documents if d.status is DocStatus.READY}
        selected = frozenset(state.selected & ready) if state.documents else frozenset(ready)
        return replace(state, documents=documents, selected=selected)

    # ----- handlers
    def _on_DevicesChanged(self, state: FlowState, event: DevicesChanged) -> tuple[FlowState, list[Effect]]:
        state = replace(state, printers=event.printers)
        if state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            return replace(state, screen=self._home(state)), []
        if state.documents and state.screen in (Screen.DOCUMENTS, Screen.CONFIRM):
            state = self._with_documents(state, state.documents)
            if state.screen is Screen.CONFIRM and not state.selected:
                state = replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down"))
        return state, []

    def _on_Touched(self, state: FlowState, event: Touched) -> tuple[FlowState, list[Effect]]:
        return state, []

    def _on_Tick(self, state: FlowState, event: Tick) -> tuple[FlowState, list[Effect]]:
        s = self.settings
        if state.screen is Screen.TECHNICIAN:
            if event.now - state.last_activity >= s.technician_idle_s:
                return replace(state, screen=self._home(state)), []
            return state, []
        if state.screen is Screen.DONE or (state.screen in SERVICE_SCREENS and state.done_since is not None):
            linger = s.done_logout_s
            if state.screen is Screen.QUEUE and state.ticket is not None and state.ticket.printed is False:
                linger *= UNPRINTED_TICKET_FACTOR
            if state.done_since is not None and event.now - state.done_since >= linger:
                return self._logout(state)
            return state, []
        if state.screen not in IDLE_SCREENS or state.busy:
            return state, []
        if state.idle_warning_since is None:
            if event.now - state.last_activity >= s.idle_warning_s:
                return replace(state, idle_warning_since=event.now), []
            return state, []
        if event.now - state.idle_warning_since >= s.idle_logout_s:
            return self._logout(state)
        return state, []

    def _on_StartPressed(self, state: FlowState, event: StartPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.ATTRACT:
            return replace(state, screen=Screen.NIK_ENTRY, message=None), []
        return state, []

    def _on_LanguageToggled(self, state: FlowState, event: LanguageToggled) -> tuple[FlowState, list[Effect]]:
        return replace(state, language="en" if state.language == "id" else "id"), []

    def _on_NikSubmitted(self, state: FlowState, event: NikSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.NIK_ENTRY or state.busy:
            return state, []
        try:
            nik = parse_nik(event.text)
        except InvalidNik as exc:
            return replace(state, message=Message(exc.problem.value)), []
        return replace(state, nik=nik, screen=Screen.PIN_ENTRY, message=None), []

    def _on_LoginQrScanned(self, state: FlowState, event: LoginQrScanned) -> tuple[FlowState, list[Effect]]:
        if state.screen not in (Screen.ATTRACT, Screen.NIK_ENTRY) or state.busy or not event.token:
            return self._wrong_scan(state)
        return replace(state, screen=Screen.NIK_ENTRY, busy=True, message=None), [LoginWithQr(event.token)]

    def _on_UnknownScan(self, state: FlowState, event: UnknownScan) -> tuple[FlowState, list[Effect]]:
        return self._wrong_scan(state)

    @staticmethod
    def _wrong_scan(state: FlowState) -> tuple[FlowState, list[Effect]]:
        """A scan that means nothing here: a plain message where the resident can act on it, else nothing."""
        if state.screen in SCAN_MESSAGE_SCREENS and not state.busy:
            key = _WRONG_SCAN.get(state.screen, "scan.unknown")
            return replace(state, message=Message(key, severity="warning")), []
        return state, []

    def _on_PinSubmitted(self, state: FlowState, event: PinSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PIN_ENTRY or state.busy or state.nik is None:
            return state, []
        if len(event.pin) != 6 or not event.pin.isascii() or not event.pin.isdigit():
            return replace(state, message=Message("pin.length")), []
        return replace(state, busy=True, message=None), [Login(state.nik, event.pin)]

    def _on_LoginSucceeded(self, state: FlowState, event: LoginSucceeded) -> tuple[FlowState, list[Effect]]:
        if not state.busy:  # a late answer after the resident left: end that session too
            return state, [EndSession(event.session)]
        state = replace(
            state, busy=False, session=event.session, masked_name=event.masked_name, screen=Screen.DOCUMENTS,
            message=None, documents=(), selected=frozenset(), last_activity=event.now,
        )
        state = self._with_documents(state, event.documents)
        if not event.documents:
            state = replace(state, message=Message("documents.none", severity="info"))
        return state, []

    def _on_LoginFailed(self, state: FlowState, event: LoginFailed) -> tuple[FlowState, list[Effect]]:
        if not state.busy:
            return state, []
        state = replace(state, last_activity=event.now)  # the idle timer restarts when the answer shows
        params: dict[str, Any] = {}
        if event.attempts_left is not None:
            params["attempts_left"] = event.attempts_left
        if event.retry_after_s is not None:
            params["minutes"] = max(1, int(-(-event.retry_after_s // 60)))
        message = Message(event.problem.value, params)
        if event.problem is LoginProblem.QR_EXPIRED:
            return replace(state, busy=False, screen=Screen.NIK_ENTRY, message=message), []
        if event.problem is LoginProblem.LOCKED:
            # Locked: back to the NIK screen; the PIN screen would only invite more attempts.
            return replace(state, busy=False, screen=Screen.NIK_ENTRY, nik=None, message=message), []
        screen = state.screen if state.nik is not None else Screen.NIK_ENTRY
        return replace(state, busy=False, screen=screen, message=message), []

    def _on_DocumentToggled(self, state: FlowState, event: DocumentToggled) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.DOCUMENTS:
            return state, []
        doc = next((d for d in state.documents if d.id == event.document_id), None)
        if doc is None or doc.status is not DocStatus.READY:
            return state, []
        return replace(state, selected=state.selected ^ {doc.id}, message=None), []

    def _on_PrintPressed(self, state: FlowState, event: PrintPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.DOCUMENTS:
            return state, []
        if not state.selected:
            return replace(state, message=Message("documents.choose_one", severity="warning")), []
        return replace(state, screen=Screen.CONFIRM, message=None), []

    def _on_Confirmed(self, state: FlowState, event: Confirmed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.CONFIRM:
            return state, []
        chosen = tuple(d for d in state.documents if d.id in state.selected and d.status is DocStatus.READY)
        if not chosen:
            return replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down")), []
        progress = tuple(DocProgress(d.id) for d in chosen)
        return replace(state, screen=Screen.PRINTING, progress=progress, message=None), [
            PrintDocuments(state.session, chosen, state.nik)
        ]

    def _on_BackPressed(self, state: FlowState, event: BackPressed) -> tuple[FlowState, list[Effect]]:
        back = {Screen.PIN_ENTRY: Screen.NIK_ENTRY, Screen.CONFIRM: Screen.DOCUMENTS}
        if state.busy:
            return state, []
        if state.screen in (Screen.NIK_ENTRY, Screen.QUEUE, Screen.VERIFY):
            return self._logout(state)
        if state.screen is Screen.PIN_RESET:
            to = Screen.PIN_ENTRY if state.reset_from is Screen.PIN_ENTRY and state.nik else Screen.NIK_ENTRY
            return replace(state, screen=to, nik=state.nik if to is Screen.PIN_ENTRY else None, message=None,
                           pin_request_sent=False, reset_from=None), []
        if state.screen in back:
            nik = None if state.screen is Screen.PIN_ENTRY else state.nik
            return replace(state, screen=back[state.screen], nik=nik, message=None), []
        return state, []

    def _on_CancelPressed(self, state: FlowState, event: CancelPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.PRINTING and not self._printing_over(state):
            return state, []  # never abandon a job mid-print; the done screen follows
        if state.screen in IDLE_SCREENS or state.screen is Screen.DONE:
            return self._logout(state)
        return state, []

    def _on_ExtendTime(self, state: FlowState, event: ExtendTime) -> tuple[FlowState, list[Effect]]:
        return state, []  # handle() already reset the idle timer and closed the warning

    def _on_PrintUpdate(self, state: FlowState, event: PrintUpdate) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PRINTING:
            return state, []
        progress = tuple(
            replace(p, phase=event.phase, fraction=max(0.0, min(1.0, event.fraction)), error=event.error)
            if p.id == event.document_id and p.phase not in TERMINAL_PHASES
            else p
            for p in state.progress
        )
        state = replace(state, progress=progress)
        if not self._printing_over(state):
            return state, []
        state = replace(state, screen=Screen.DONE, done_since=event.now, last_activity=event.now)
        docs = {d.id: d for d in state.documents}
        slip = slip_for((docs[p.id].type, docs[p.id].verify_url) for p in state.progress
                        if p.phase is Phase.DONE and p.id in docs)
        return (replace(state, slip_printed=None), [PrintSlip(slip)]) if slip else (state, [])

    @staticmethod
    def _printing_over(state: FlowState) -> bool:
        return all(p.phase in TERMINAL_PHASES for p in state.progress)

    def _on_SessionLost(self, state: FlowState, event: SessionLost) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.PRINTING:
            return state, []  # jobs already hold what they need; the outbox reports without the session
        if state.in_session:
            state, effects = self._logout(state)
            return replace(state, message=Message("session.expired", severity="info")), effects
        return state, []

    def _on_TechnicianOpened(self, state: FlowState, event: TechnicianOpened) -> tuple[FlowState, list[Effect]]:
        if state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            return replace(state, screen=Screen.TECHNICIAN, message=None), []
        return state, []

    def _on_TechnicianClosed(self, state: FlowState, event: TechnicianClosed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.TECHNICIAN:
            return replace(state, screen=self._home(state)), []
        return state, []

    # ----- beyond printing: queue check-in, document verification, PIN resend, the slip
    def _on_QueuePressed(self, state: FlowState, event: QueuePressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.ATTRACT:
            return state, []
        return replace(state, screen=Screen.QUEUE, ticket=None, message=None, done_since=None), []

    def _on_BookingSubmitted(self, state: FlowState, event: BookingSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.QUEUE or state.busy:
            return state, []
        code = booking_code(event.text)
        if code is None:
            return replace(state, message=Message(QueueProblem.MALFORMED.value)), []
        return self._checking_in(state), [CheckIn(code)]

    def _on_BookingScanned(self, state: FlowState, event: BookingScanned) -> tuple[FlowState, list[Effect]]:
        code = booking_code(event.code)
        if state.screen not in (Screen.ATTRACT, Screen.QUEUE) or state.busy or code is None:
            return self._wrong_scan(state)
        return self._checking_in(state), [CheckIn(code)]

    def _on_WalkInPressed(self, state: FlowState, event: WalkInPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.QUEUE or state.busy:
            return state, []
        return self._checking_in(state), [TakeWalkIn()]

    @staticmethod
    def _checking_in(state: FlowState) -> FlowState:
        return replace(state, screen=Screen.QUEUE, busy=True, ticket=None, message=None, done_since=None)

    def _on_TicketIssued(self, state: FlowState, event: TicketIssued) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.QUEUE or not state.busy or event.ticket is None:
            return state, []
        ticket = replace(event.ticket, printed=None)
        return replace(state, busy=False, ticket=ticket, message=None, last_activity=event.now), [PrintTicket(ticket)]

    def _on_TicketPrinted(self, state: FlowState, event: TicketPrinted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.QUEUE or state.ticket is None or state.ticket.printed is not None:
            return state, []
        message = None if event.ok else Message("queue.not_printed", severity="warning")
        return replace(state, ticket=replace(state.ticket, printed=event.ok), message=message,
                       done_since=event.now), []

    def _on_CheckInRefused(self, state: FlowState, event: CheckInRefused) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.QUEUE or not state.busy:
            return state, []
        key, params = event.problem.value, {}
        if event.problem is QueueProblem.EARLY and event.retry_after_s is not None:
            minutes = max(1, int(-(-event.retry_after_s // 60)))
            key, params = ("queue.early_hours", {"hours": round(minutes / 60)}) if minutes >= 120 else \
                ("queue.early", {"minutes": minutes})
        return replace(state, busy=False, message=Message(key, params), last_activity=event.now), []

    def _on_VerifyPressed(self, state: FlowState, event: VerifyPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.ATTRACT:
            return state, []
        return replace(state, screen=Screen.VERIFY, verification=None, message=None, done_since=None), []

    def _on_VerifyScanned(self, state: FlowState, event: VerifyScanned) -> tuple[FlowState, list[Effect]]:
        if state.screen not in (Screen.ATTRACT, Screen.VERIFY) or state.busy or not event.code:
            return self._wrong_scan(state)
        return replace(state, screen=Screen.VERIFY, busy=True, verification=None, message=None,
                       done_since=None), [VerifyDocument(event.code)]

    def _on_VerifyAnswered(self, state: FlowState, event: VerifyAnswered) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.VERIFY or not state.busy or event.info is None:
            return state, []
        return replace(state, busy=False, verification=event.info, done_since=event.now,
                       last_activity=event.now), []

    def _on_VerifyFailed(self, state: FlowState, event: VerifyFailed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.VERIFY or not state.busy:
            return state, []
        return replace(state, busy=False, message=Message(event.problem), last_activity=event.now), []

    def _on_ForgotPinPressed(self, state: FlowState, event: ForgotPinPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen not in (Screen.NIK_ENTRY, Screen.PIN_ENTRY) or state.busy:
            return state, []
        return replace(state, screen=Screen.PIN_RESET, reset_from=state.screen, pin_request_sent=False,
                       message=None), []

    def _on_PinRequestSubmitted(self, state: FlowState, event: PinRequestSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PIN_RESET or state.busy or state.pin_request_sent:
            return state, []
        try:
            nik = parse_nik(event.text)
        except InvalidNik as exc:
            return replace(state, message=Message(exc.problem.value)), []
        return replace(state, nik=nik, busy=True, message=None), [RequestPin(nik)]

    def _on_PinRequestAnswered(self, state: FlowState, event: PinRequestAnswered) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PIN_RESET or not state.busy:
            return state, []
        state = replace(state, busy=False, last_activity=event.now)
        if event.problem is not None:
            return replace(state, message=Message(event.problem)), []
        # The same words for every NIK: the kiosk must not tell whether a NIK is registered.
        return replace(state, pin_request_sent=True, message=Message("pin_reset.sent", severity="info")), []

    def _on_EnterPinPressed(self, state: FlowState, event: EnterPinPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PIN_RESET or not state.pin_request_sent or state.nik is None:
            return state, []
        return replace(state, screen=Screen.PIN_ENTRY, pin_request_sent=False, reset_from=None, message=None), []

    def _on_SlipPrinted(self, state: FlowState, event: SlipPrinted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.DONE:
            return state, []
        return replace(state, slip_printed=event.ok), []
