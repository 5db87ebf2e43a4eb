"""The resident flow's vocabulary: screens, state, events and effects (plain data, no behaviour).

:mod:`kiosk.flow` holds the machine that moves between them; both are free of Kivy and I/O. Every event class
defined here needs exactly one handler, registered by its type (``@RESIDENT.on(...)`` in :mod:`kiosk.flow`,
``@SERVICES.on(...)`` in :mod:`kiosk.flow_services`, ``@OFFICER.on(...)`` in :mod:`kiosk.flow_officer`):
:mod:`kiosk.flow` does not import otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from central.vocabulary import Media
from kiosk.message_keys import N_
from kiosk.nik import Nik
from kiosk.service_model import QueueProblem, ServiceNotice, Slip, TicketInfo, VerifyInfo


class Screen(Enum):
    OUT_OF_SERVICE = "out_of_service"
    CLOSED = "closed"  # outside opening hours, or the day's cap reached: where to go instead
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
    # the officer role: card + PIN, the officer's requests, the identity check; then DOCUMENTS...
    OFFICER_LOGIN = "officer_login"
    OFFICER_REQUESTS = "officer_requests"
    OFFICER_CHECK = "officer_check"
    FINGER = "finger"  # the KTP-el on the reader: its NIK read, then a finger on the fingerprint reader


#: Screens where a resident is in a session and the idle timer runs.
SESSION_SCREENS = frozenset({Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.FINGER, Screen.DOCUMENTS, Screen.CONFIRM})
#: Screens on which a login's answer is awaited (busy) and shown.
LOGIN_SCREENS = frozenset({Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.FINGER})
#: Screens of the paths beyond printing; no session, but the idle timer runs and leaving wipes them.
SERVICE_SCREENS = frozenset({Screen.QUEUE, Screen.VERIFY, Screen.PIN_RESET})
#: The officer's own screens: the idle timer runs (shorter), 'Batal' ends the officer's visit.
OFFICER_SCREENS = frozenset({Screen.OFFICER_LOGIN, Screen.OFFICER_REQUESTS, Screen.OFFICER_CHECK})
IDLE_SCREENS = SESSION_SCREENS | SERVICE_SCREENS | OFFICER_SCREENS
#: Where a scan that means nothing there gets a plain message (elsewhere it is ignored).
SCAN_MESSAGE_SCREENS = frozenset({Screen.ATTRACT, Screen.NIK_ENTRY}) | SERVICE_SCREENS
_WRONG_SCAN = {Screen.QUEUE: N_("queue.scan_wrong"), Screen.VERIFY: N_("verify.scan_wrong")}
#: How much longer a ticket stays on screen when the receipt printer could not print it (to note the number).
UNPRINTED_TICKET_FACTOR = 3


class HelpStatus(Enum):
    """Where a resident's call for help stands ("Panggil petugas"); each has its words, ``help.<value>``."""

    SENDING = "sending"
    SENT = "sent"  # the central service has it: an officer is told
    ALREADY = "already"  # a call from this kiosk went out moments ago: it is on its way
    FAILED = "failed"  # the central service could not be reached: go to the help location


class DocStatus(Enum):
    READY = "ready"
    PRINTED = "printed"  # already printed with this PIN
    UNAVAILABLE = "unavailable"  # its printer cannot print now
    NOT_HERE = "not_here"  # this kiosk has no printer for its media: never printable here


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
    CONTRACT = "central.contract"  # the central service speaks another contract version: an officer must act
    QR_EXPIRED = "login.qr_invalid"


class FingerProblem(Enum):
    """Why a finger gave no answer to send (the reader's side); each has a resident-facing message."""

    RETRY = "finger.retry"  # a scan too poor to judge: the reader asks again, it does not count
    TIMEOUT = "finger.timeout"  # no finger came in time: 'Coba lagi'
    READER = "finger.reader_down"  # the reader failed or is gone: on to NIK + PIN


class CardProblem(Enum):
    """Why the NIK could not be read from the card; each has a resident-facing message."""

    UNREADABLE = "card.unreadable"  # not a card the kiosk can read (or a damaged one)
    REMOVED = "card.removed"  # taken away before its NIK was read
    READER = "card.reader_down"  # the reader failed or is gone


@dataclass(frozen=True)
class Message:
    """A message id from the catalogs (``assets/locale``) with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict, compare=True)
    severity: str = "error"  # error | warning | info


@dataclass(frozen=True)
class PrinterAvailability:
    """Whether the printer of one media can take work now; ``reason`` is a device reason word when not."""

    media: Media
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class DocumentItem:
    """A document as the resident sees it in the list (no content, no personal data beyond the type).

    Types, titles and media come from the central service's catalogue; the kiosk knows none by heart."""

    id: str
    type: str  # the catalogue's code: kk, akta_kelahiran, ktp_el, akta_perkawinan, ...
    issued: str  # ISO date
    media: Media | None  # None: a media no printer of any kiosk prints (one the service added later)
    status: DocStatus = DocStatus.READY
    reason: str | None = None
    verify_url: str = ""  # the link in the document's own QR (goes on the printed-documents slip)
    title: str = ""  # the service's title in Bahasa Indonesia
    title_en: str = ""  # and in English

    def title_in(self, language: str) -> str:
        """The service's title in ``language`` (Bahasa Indonesia when there is no other); the code at worst."""
        return (self.title_en if language == "en" and self.title_en else self.title) or self.type


@dataclass(frozen=True)
class DocProgress:
    id: str
    phase: Phase = Phase.WAITING
    fraction: float = 0.0
    error: str | None = None  # a message key when FAILED


#: How much longer every resident timeout is in the accessibility mode.
ACCESSIBLE_TIME_FACTOR = 2.0
#: Where the kiosk rests between residents (closed hours and a capped day too); coming back here ends the
#: accessibility mode.
HOME_SCREENS = frozenset({Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.CLOSED})


@dataclass(frozen=True)
class FlowSettings:
    idle_warning_s: float = 60
    idle_logout_s: float = 20
    done_logout_s: float = 15
    default_language: str = "id"
    technician_idle_s: float = 120
    #: The officer role: the idle warning comes sooner, and the officer session ends this long after
    #: sign-in whatever happens (a print under way finishes and is recorded first).
    officer_idle_s: float = 30
    officer_session_s: float = 240
    #: The kiosk has both a card reader and a fingerprint reader: the attract screen offers the KTP-el login.
    card_login: bool = False
    #: The least time between two help calls from this kiosk; a press sooner says the call is on its way.
    help_call_interval_s: float = 120

    def for_resident(self, accessible: bool) -> FlowSettings:
        """The timeouts a resident gets: doubled in the accessibility mode (the technician's stay)."""
        if not accessible:
            return self
        f = ACCESSIBLE_TIME_FACTOR
        return replace(self, idle_warning_s=self.idle_warning_s * f, idle_logout_s=self.idle_logout_s * f,
                       done_logout_s=self.done_logout_s * f)


@dataclass(frozen=True)
class FlowState:
    screen: Screen = Screen.ATTRACT
    language: str = "id"
    printers: tuple[PrinterAvailability, ...] = ()
    notice: ServiceNotice | None = None  # said on the attract, closed or out-of-service screen
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
    #: Which login the flow waits for. It counts across sessions (it says nothing of anyone), so that the answer
    #: to a login someone abandoned is never taken for the next visitor's own.
    login_attempt: int = 0
    #: The accessibility mode (voice, larger text, high contrast, controls within seated reach, longer
    #: timeouts): on from the attract screen's button or the keypad's key, off when the session ends.
    accessible: bool = False
    #: The done screen's satisfaction rating, once given (one tap; anonymous, sent through the outbox).
    rated: int | None = None
    #: An officer printing for a resident without a phone; None in a resident's own session.
    officer: OfficerVisit | None = None
    #: Wrong fingers (the central service's refusals) since this card was placed; at FINGER_TRIES: NIK + PIN.
    finger_failures: int = 0
    #: The call for help shown over the screen (None: no panel); the screen and session stay as they are.
    help: HelpStatus | None = None
    #: When this kiosk's last help call went out (monotonic); it outlives sessions: the limit is the kiosk's.
    help_called_at: float | None = None

    @property
    def longer_timeouts(self) -> bool:
        """The accessibility mode, or a resident waiting for the officer they called: the timeouts doubled."""
        return self.accessible or self.help in (HelpStatus.SENT, HelpStatus.ALREADY)

    @property
    def in_session(self) -> bool:
        return self.nik is not None or self.session is not None or self.officer is not None

    def printer_ok(self, media: Media | None) -> bool:
        return any(p.media is media and p.available for p in self.printers)

    def printer_installed(self, media: Media | None) -> bool:
        """Whether this kiosk has a printer for ``media`` at all (working or not)."""
        return media is not None and self.printer_reason(media) != "not-installed"

    def printer_reason(self, media: Media | None) -> str | None:
        for p in self.printers:
            if p.media is media:
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
class NoticeChanged(Event):
    """The operator's commands, the clock or the central service changed what residents may do."""

    notice: ServiceNotice | None = None


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


#: The satisfaction rating's four faces (SKM), worst to best; each score's words are ``rating.<score>``.
RATING_SCORES = (1, 2, 3, 4)


@dataclass(frozen=True)
class RatingGiven(Event):
    """One tap on a face after 'Selesai' (done screen): 1 tidak puas ... 4 sangat puas."""

    score: int = 0


@dataclass(frozen=True)
class AccessibilityToggled(Event):
    """The attract screen's accessibility button, or its key on the keypad: the mode on (or off again)."""


@dataclass(frozen=True)
class NikSubmitted(Event):
    text: str = ""


@dataclass(frozen=True)
class LoginQrScanned(Event):
    """The QR from the WhatsApp message was scanned; ``token`` and ``holder`` extracted by :mod:`kiosk.scans`."""

    token: str = ""
    holder: str = ""

    def __repr__(self) -> str:  # a login token is a credential, the holder digest stands for a NIK
        return f"LoginQrScanned(now={self.now}, token='***')"


@dataclass(frozen=True)
class CardPlaced(Event):
    """A card was placed on the card reader (nothing of it is in the event)."""


@dataclass(frozen=True)
class CardRead(Event):
    """The NIK read from the card placed (the ReadCard effect's ``attempt``)."""

    attempt: int = 0
    nik: str = ""

    def __repr__(self) -> str:  # a NIK never reaches a log through an event's repr
        return f"CardRead(now={self.now}, attempt={self.attempt}, nik='***')"


@dataclass(frozen=True)
class CardReadFailed(Event):
    attempt: int = 0
    problem: CardProblem = CardProblem.UNREADABLE


@dataclass(frozen=True)
class FingerNotRead(Event):
    """The finger reader gave nothing to send (the VerifyFinger effect's ``attempt``)."""

    attempt: int = 0
    problem: FingerProblem = FingerProblem.TIMEOUT


@dataclass(frozen=True)
class FingerAgainPressed(Event):
    """'Coba lagi' on the finger screen after no finger came or the reader could not be asked."""


@dataclass(frozen=True)
class UsePinPressed(Event):
    """'Pakai PIN' on the finger screen: on to the PIN with the NIK read from the card."""


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
    attempt: int = 0  # the Login/LoginWithQr effect's attempt this answers
    session: Any = None
    masked_name: str = ""
    documents: tuple[DocumentItem, ...] = ()


@dataclass(frozen=True)
class LoginFailed(Event):
    attempt: int = 0  # the Login/LoginWithQr effect's attempt this answers
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


# ----- the officer role
@dataclass(frozen=True)
class OfficerRequestItem:
    """One of the officer's requests as the list shows it: the code, the resident's initials, the titles."""

    code: str
    initials: str
    titles: tuple[str, ...] = ()
    titles_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfficerVisit:
    """An officer at the kiosk: the scanned card until sign-in, then the officer session and their requests."""

    card: str = field(default="", repr=False)  # the card's secret, kept only until the PIN is sent
    session: Any = None  # the central client's OfficerSession
    officer_id: str = ""  # what the audit log records
    masked_name: str = ""
    started: float = 0.0  # sign-in (monotonic): the officer session ends officer_session_s later
    requests: tuple[OfficerRequestItem, ...] = ()
    chosen: str | None = None  # the request whose resident is present
    timed_out: bool = False  # the officer session ended while a print was under way


@dataclass(frozen=True)
class OfficerPressed(Event):
    """The attract screen's discreet 'Petugas' entry."""


@dataclass(frozen=True)
class OfficerCardScanned(Event):
    """The officer card's QR was scanned; ``card`` extracted by :mod:`kiosk.scans`."""

    card: str = ""

    def __repr__(self) -> str:  # the card's token is a credential
        return f"OfficerCardScanned(now={self.now}, card='***')"


@dataclass(frozen=True)
class OfficerPinSubmitted(Event):
    pin: str = ""

    def __repr__(self) -> str:
        return f"OfficerPinSubmitted(now={self.now}, pin='******')"


@dataclass(frozen=True)
class OfficerSignedIn(Event):
    attempt: int = 0
    session: Any = None
    officer_id: str = ""
    masked_name: str = ""
    requests: tuple[OfficerRequestItem, ...] = ()


@dataclass(frozen=True)
class OfficerLoginFailed(Event):
    """Sign-in or the identity check refused; ``problem`` is a message key."""

    attempt: int = 0
    problem: str = "central.unreachable"
    attempts_left: int | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class OfficerRequestChosen(Event):
    code: str = ""


@dataclass(frozen=True)
class IdentitySubmitted(Event):
    """The identity check: the NIK's last digits as typed from the KTP/KK, and the 'checked' tick."""

    digits: str = ""
    checked: bool = False

    def __repr__(self) -> str:
        return f"IdentitySubmitted(now={self.now}, digits='****', checked={self.checked})"


@dataclass(frozen=True)
class OfficerResidentOpened(Event):
    """The service opened the resident's session for the chosen request: on to the normal printing screens."""

    attempt: int = 0
    session: Any = None
    masked_name: str = ""
    documents: tuple[DocumentItem, ...] = ()
# ----- a call for help, from any resident screen
@dataclass(frozen=True)
class HelpPressed(Event):
    """'Panggil petugas': call an officer to this kiosk; the screen and the session stay as they are."""


@dataclass(frozen=True)
class HelpAnswered(Event):
    """What became of the call: sent, already on its way (the service had one moments ago) or failed."""

    status: HelpStatus = HelpStatus.SENT


@dataclass(frozen=True)
class HelpDismissed(Event):
    """'Tutup' on the help panel: back to the screen as it was."""


#: Answers from work done elsewhere: they are not the resident's activity.
RESULT_EVENTS = (Tick, DevicesChanged, NoticeChanged, LoginSucceeded, LoginFailed, PrintUpdate, SessionLost,
                 TicketIssued, CheckInRefused, TicketPrinted, VerifyAnswered, VerifyFailed, PinRequestAnswered,
                 SlipPrinted, OfficerSignedIn, OfficerLoginFailed, OfficerResidentOpened,
                 CardRead, CardReadFailed, FingerNotRead, HelpAnswered)


# --------------------------------------------------------------------------- effects
@dataclass(frozen=True)
class Effect:
    pass


@dataclass(frozen=True)
class Login(Effect):
    nik: Nik
    pin: str
    attempt: int = field(default=0, compare=False)  # echoed by the answer (LoginSucceeded/LoginFailed)

    def __repr__(self) -> str:
        return f"Login(nik={self.nik!r}, pin='******')"


@dataclass(frozen=True)
class LoginWithQr(Effect):
    token: str
    holder: str = ""  # from the QR: the only documents this session may print
    attempt: int = field(default=0, compare=False)  # echoed by the answer (LoginSucceeded/LoginFailed)

    def __repr__(self) -> str:
        return "LoginWithQr(token='***')"


@dataclass(frozen=True)
class ReadCard(Effect):
    """Read the NIK from the card on the reader; answered by CardRead or CardReadFailed."""

    attempt: int = field(default=0, compare=False)


@dataclass(frozen=True)
class VerifyFinger(Effect):
    """Take a finger on the reader and log in with it and the card's NIK; answered by LoginSucceeded,
    LoginFailed or FingerNotRead."""

    nik: Nik
    attempt: int = field(default=0, compare=False)

    def __repr__(self) -> str:
        return f"VerifyFinger(nik={self.nik!r})"


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
class SendRating(Effect):
    """An anonymous satisfaction rating into the outbox: the score only (no NIK, no session)."""

    score: int


@dataclass(frozen=True)
class PrintSlip(Effect):
    """The printed-documents slip on the receipt printer."""

    slip: Slip


# ----- the officer role
@dataclass(frozen=True)
class OfficerLogin(Effect):
    card: str
    pin: str
    attempt: int = field(default=0, compare=False)

    def __repr__(self) -> str:
        return "OfficerLogin(card='***', pin='******')"


@dataclass(frozen=True)
class OpenForRequest(Effect):
    """The identity check for request ``code``: the service compares the digits, never the kiosk."""

    officer: Any
    code: str
    digits: str
    checked: bool
    attempt: int = field(default=0, compare=False)

    def __repr__(self) -> str:
        return f"OpenForRequest(code={self.code!r}, digits='****')"


@dataclass(frozen=True)
class EndOfficerSession(Effect):
    """End the officer session at the service and write the sign-out to the audit log."""

    officer: Any
    officer_id: str
    reason: str = "signed_out"


@dataclass(frozen=True)
class AuditOfficer(Effect):
    """One officer action for the kiosk's audit log, with the officer's id (never a NIK or a name)."""

    officer_id: str
    action: str
    fields: tuple[tuple[str, str], ...] = ()
@dataclass(frozen=True)
class CallHelp(Effect):
    """Tell the central service a resident needs an officer here: the screen's name only, nothing personal."""

    screen: str
