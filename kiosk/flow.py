"""The resident flow as a pure state machine: events in, a new state and effects out.

No Kivy, no I/O, no clock: time arrives inside events (``now``, seconds on a monotonic clock), so tests
drive every transition, timeouts included, without waiting. Screens render :class:`FlowState` and turn
touches into events; the app turns :class:`Effect` objects into work off the main thread and feeds the
results back as events.

Which handler takes which event is one table, :data:`HANDLERS`, keyed by the event's type: this module's
handlers (the resident's path, :data:`RESIDENT`), :mod:`kiosk.flow_services`' (the paths beyond
printing, :data:`~kiosk.flow_services.SERVICES`) and :mod:`kiosk.flow_officer`'s (an officer printing for a
resident without a phone, :data:`~kiosk.flow_officer.OFFICER`). Importing this module proves that every event of
:mod:`kiosk.flow_model` has exactly one handler. ``python -m kiosk.flow_graph`` prints the table and every
screen transition the handlers make.

Every way out of a session (cancel, idle timeout, done, a lost session) goes through
:func:`~kiosk.flow_table.logout`, which keeps nothing of the resident: no NIK, no session, no names, no
documents.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from central.vocabulary import PIN_DIGITS
from kiosk.flow_card import CARD_LOGIN, finger_refused
from kiosk.flow_help import HELP
from kiosk.flow_model import *  # noqa: F403 - the flow's vocabulary is part of its interface
from kiosk.flow_model import (
    HOME_SCREENS,
    IDLE_SCREENS,
    LOGIN_SCREENS,
    OFFICER_SCREENS,
    RATING_SCORES,
    RESULT_EVENTS,
    SERVICE_SCREENS,
    TERMINAL_PHASES,
    UNPRINTED_TICKET_FACTOR,
    AccessibilityToggled,
    BackPressed,
    CancelPressed,
    Confirmed,
    DevicesChanged,
    DocProgress,
    DocStatus,
    DocumentToggled,
    Effect,
    EndSession,
    Event,
    ExtendTime,
    FlowSettings,
    FlowState,
    LanguageToggled,
    Login,
    LoginFailed,
    LoginProblem,
    LoginQrScanned,
    LoginSucceeded,
    LoginWithQr,
    Message,
    NikSubmitted,
    Phase,
    PinSubmitted,
    PrintDocuments,
    PrinterAvailability,
    PrintPressed,
    PrintSlip,
    PrintUpdate,
    RatingGiven,
    Screen,
    SendRating,
    SessionLost,
    StartPressed,
    TechnicianClosed,
    TechnicianOpened,
    Tick,
    Touched,
    UnknownScan,
)
from kiosk.flow_officer import OFFICER, officer_back, officer_printed, officer_settings, officer_tick
from kiosk.flow_services import SERVICES
from kiosk.flow_table import (
    Transition,
    Transitions,
    UnhandledEvent,
    home,
    logout,
    vocabulary_events,
    with_documents,
    wrong_scan,
)
from kiosk.nik import InvalidNik, parse_nik
from kiosk.service_model import slip_for


# --------------------------------------------------------------------------- the machine
class Flow:
    """Holds the settings and the transition table; :meth:`handle` is a pure function of (state, event)."""

    def __init__(self, settings: FlowSettings | None = None, handlers: Transitions | None = None):
        self.settings = settings or FlowSettings()
        self.handlers = HANDLERS if handlers is None else handlers

    def initial(self, printers: tuple[PrinterAvailability, ...] = ()) -> FlowState:
        state = FlowState(language=self.settings.default_language, printers=printers)
        return replace(state, screen=home(state))

    def handle(self, state: FlowState, event: Event) -> Transition:
        """The new state and the effects of ``event``; :class:`UnhandledEvent` if its type has no handler.

        Looked up by the event's exact type. :data:`HANDLERS` is proven complete for the vocabulary at
        import, so only an event class from outside :mod:`kiosk.flow_model` can get here unhandled: a
        programming error, raised loudly (the controller decides what the running kiosk does with it)."""
        handler = self.handlers.get(type(event))
        if handler is None:
            raise UnhandledEvent(type(event))
        if not isinstance(event, RESULT_EVENTS):
            state = replace(state, last_activity=event.now, idle_warning_since=None)
        new, effects = handler(state, event, self.settings)
        if new.accessible and new.screen in HOME_SCREENS and state.screen not in HOME_SCREENS:
            new = replace(new, accessible=False)  # the mode is the session's: the next visitor starts plain
        return new, effects


# --------------------------------------------------------------------------- the resident's handlers
#: The handlers of this module, by event type.
RESIDENT = Transitions("resident")


@RESIDENT.on(DevicesChanged)
def devices_changed(state: FlowState, event: DevicesChanged, settings: FlowSettings) -> Transition:
    state = replace(state, printers=event.printers)
    if state.screen in HOME_SCREENS:
        return replace(state, screen=home(state)), []
    if state.documents and state.screen in (Screen.DOCUMENTS, Screen.CONFIRM):
        state = with_documents(state, state.documents)
        if state.screen is Screen.CONFIRM and not state.selected:
            state = replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down"))
    return state, []


@RESIDENT.on(Touched, ExtendTime)
def activity(state: FlowState, event: Touched | ExtendTime, settings: FlowSettings) -> Transition:
    """A touch, or 'Tambah waktu': :meth:`Flow.handle` already reset the idle timer and closed the warning."""
    return state, []


@RESIDENT.on(Tick)
def tick(state: FlowState, event: Tick, settings: FlowSettings) -> Transition:
    ended = officer_tick(state, event, settings)  # the officer role's session end
    if ended is not None:
        return ended
    # the accessibility mode, or waiting for the officer called: longer timeouts (an officer's are shorter)
    s = officer_settings(state, settings.for_resident(state.longer_timeouts))
    if state.screen is Screen.TECHNICIAN:
        if event.now - state.last_activity >= s.technician_idle_s:
            return replace(state, screen=home(state)), []
        return state, []
    if state.screen is Screen.DONE or (state.screen in SERVICE_SCREENS and state.done_since is not None):
        linger = s.done_logout_s
        if state.screen is Screen.QUEUE and state.ticket is not None and state.ticket.printed is False:
            linger *= UNPRINTED_TICKET_FACTOR
        if state.done_since is not None and event.now - state.done_since >= linger:
            return logout(state, settings)
        return state, []
    if state.screen not in IDLE_SCREENS or state.busy:
        return state, []
    if state.idle_warning_since is None:
        if event.now - state.last_activity >= s.idle_warning_s:
            return replace(state, idle_warning_since=event.now), []
        return state, []
    if event.now - state.idle_warning_since >= s.idle_logout_s:
        return logout(state, settings)
    return state, []


@RESIDENT.on(StartPressed)
def start_pressed(state: FlowState, event: StartPressed, settings: FlowSettings) -> Transition:
    if state.screen is Screen.ATTRACT:
        return replace(state, screen=Screen.NIK_ENTRY, message=None), []
    return state, []


@RESIDENT.on(RatingGiven)
def rating_given(state: FlowState, event: RatingGiven, settings: FlowSettings) -> Transition:
    """The done screen's optional rating: one tap, once; skipping it changes nothing."""
    if state.screen is not Screen.DONE or state.rated is not None or event.score not in RATING_SCORES:
        return state, []
    return replace(state, rated=event.score), [SendRating(event.score)]


@RESIDENT.on(AccessibilityToggled)
def accessibility_toggled(state: FlowState, event: AccessibilityToggled, settings: FlowSettings) -> Transition:
    """On the attract screen only: voice, larger text, high contrast, reachable controls, longer timeouts."""
    if state.screen is Screen.ATTRACT:
        return replace(state, accessible=not state.accessible, message=None), []
    return state, []


@RESIDENT.on(LanguageToggled)
def language_toggled(state: FlowState, event: LanguageToggled, settings: FlowSettings) -> Transition:
    return replace(state, language="en" if state.language == "id" else "id"), []


@RESIDENT.on(NikSubmitted)
def nik_submitted(state: FlowState, event: NikSubmitted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.NIK_ENTRY or state.busy:
        return state, []
    try:
        nik = parse_nik(event.text)
    except InvalidNik as exc:
        return replace(state, message=Message(exc.problem.value)), []
    return replace(state, nik=nik, screen=Screen.PIN_ENTRY, message=None), []


@RESIDENT.on(LoginQrScanned)
def login_qr_scanned(state: FlowState, event: LoginQrScanned, settings: FlowSettings) -> Transition:
    if state.screen not in (Screen.ATTRACT, Screen.NIK_ENTRY) or state.busy or not event.token \
            or not event.holder:
        return wrong_scan(state)
    attempt = state.login_attempt + 1
    return replace(state, screen=Screen.NIK_ENTRY, busy=True, message=None, login_attempt=attempt), [
        LoginWithQr(event.token, event.holder, attempt=attempt)]


@RESIDENT.on(UnknownScan)
def unknown_scan(state: FlowState, event: UnknownScan, settings: FlowSettings) -> Transition:
    return wrong_scan(state)


@RESIDENT.on(PinSubmitted)
def pin_submitted(state: FlowState, event: PinSubmitted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.PIN_ENTRY or state.busy or state.nik is None:
        return state, []
    if len(event.pin) != PIN_DIGITS or not event.pin.isascii() or not event.pin.isdigit():
        return replace(state, message=Message("pin.length")), []
    attempt = state.login_attempt + 1
    return replace(state, busy=True, message=None, login_attempt=attempt), [
        Login(state.nik, event.pin, attempt=attempt)]


def _login_under_way(state: FlowState, answer: LoginSucceeded | LoginFailed) -> bool:
    """Busy on a login screen with this very login. Busy elsewhere is the next visitor's own request (a check-in,
    a verification, a PIN request), and another attempt is the next visitor's own login, after the resident
    left mid-login: that login's answer is not theirs to see."""
    return state.busy and state.screen in LOGIN_SCREENS and answer.attempt == state.login_attempt \
        and (state.screen is not Screen.FINGER or state.nik is not None)  # not while the card is being read


@RESIDENT.on(LoginSucceeded)
def login_succeeded(state: FlowState, event: LoginSucceeded, settings: FlowSettings) -> Transition:
    if not _login_under_way(state, event):  # a late answer after the resident left: end that session too
        return state, [EndSession(event.session)]
    state = replace(
        state, busy=False, session=event.session, masked_name=event.masked_name, screen=Screen.DOCUMENTS,
        message=None, documents=(), selected=frozenset(), last_activity=event.now,
    )
    state = with_documents(state, event.documents)
    if not event.documents:
        state = replace(state, message=Message("documents.none", severity="info"))
    return state, []


@RESIDENT.on(LoginFailed)
def login_failed(state: FlowState, event: LoginFailed, settings: FlowSettings) -> Transition:
    if not _login_under_way(state, event):
        return state, []
    if state.screen is Screen.FINGER:
        return finger_refused(state, event)
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


@RESIDENT.on(DocumentToggled)
def document_toggled(state: FlowState, event: DocumentToggled, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.DOCUMENTS:
        return state, []
    doc = next((d for d in state.documents if d.id == event.document_id), None)
    if doc is None or doc.status is not DocStatus.READY:
        return state, []
    return replace(state, selected=state.selected ^ {doc.id}, message=None), []


@RESIDENT.on(PrintPressed)
def print_pressed(state: FlowState, event: PrintPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.DOCUMENTS:
        return state, []
    if not state.selected:
        return replace(state, message=Message("documents.choose_one", severity="warning")), []
    return replace(state, screen=Screen.CONFIRM, message=None), []


@RESIDENT.on(Confirmed)
def confirmed(state: FlowState, event: Confirmed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.CONFIRM:
        return state, []
    chosen = tuple(d for d in state.documents if d.id in state.selected and d.status is DocStatus.READY)
    if not chosen:
        return replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down")), []
    progress = tuple(DocProgress(d.id) for d in chosen)
    return replace(state, screen=Screen.PRINTING, progress=progress, message=None), [
        PrintDocuments(state.session, chosen, state.nik)
    ]


@RESIDENT.on(BackPressed)
def back_pressed(state: FlowState, event: BackPressed, settings: FlowSettings) -> Transition:
    back = {Screen.PIN_ENTRY: Screen.NIK_ENTRY, Screen.CONFIRM: Screen.DOCUMENTS}
    if state.screen is Screen.FINGER:  # even while the reader waits for a finger: its answer is then not awaited
        return logout(state, settings)
    if state.busy:
        return state, []
    if state.screen in OFFICER_SCREENS:
        return officer_back(state, settings)
    if state.screen in (Screen.NIK_ENTRY, Screen.QUEUE, Screen.VERIFY):
        return logout(state, settings)
    if state.screen is Screen.PIN_RESET:
        to = Screen.PIN_ENTRY if state.reset_from is Screen.PIN_ENTRY and state.nik else Screen.NIK_ENTRY
        return replace(state, screen=to, nik=state.nik if to is Screen.PIN_ENTRY else None, message=None,
                       pin_request_sent=False, reset_from=None), []
    if state.screen in back:
        nik = None if state.screen is Screen.PIN_ENTRY else state.nik
        return replace(state, screen=back[state.screen], nik=nik, message=None), []
    return state, []


@RESIDENT.on(CancelPressed)
def cancel_pressed(state: FlowState, event: CancelPressed, settings: FlowSettings) -> Transition:
    if state.screen is Screen.PRINTING and not _printing_over(state):
        return state, []  # never abandon a job mid-print; the done screen follows
    if state.screen in IDLE_SCREENS or state.screen is Screen.DONE:
        return logout(state, settings)
    return state, []


@RESIDENT.on(PrintUpdate)
def print_update(state: FlowState, event: PrintUpdate, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.PRINTING:
        return state, []
    progress = tuple(
        replace(p, phase=event.phase, fraction=max(0.0, min(1.0, event.fraction)), error=event.error)
        if p.id == event.document_id and p.phase not in TERMINAL_PHASES
        else p
        for p in state.progress
    )
    old, state = state, replace(state, progress=progress)
    audited = officer_printed(old, state)
    if not _printing_over(state):
        return state, audited
    state = replace(state, screen=Screen.DONE, done_since=event.now, last_activity=event.now)
    docs = {d.id: d for d in state.documents}
    slip = slip_for((docs[p.id].title_in("id"), docs[p.id].verify_url) for p in state.progress
                    if p.phase is Phase.DONE and p.id in docs)
    effects: list[Effect] = [*audited, PrintSlip(slip)] if slip else audited
    if state.officer is not None and state.officer.timed_out:
        # The officer session ended during the print: the print is over and recorded; back to the attract screen.
        state, out = logout(state, settings)
        return replace(state, message=Message("officer.session_ended", severity="info")), effects + out
    return (replace(state, slip_printed=None), effects) if slip else (state, effects)


def _printing_over(state: FlowState) -> bool:
    return all(p.phase in TERMINAL_PHASES for p in state.progress)


@RESIDENT.on(SessionLost)
def session_lost(state: FlowState, event: SessionLost, settings: FlowSettings) -> Transition:
    if state.screen is Screen.PRINTING:
        return state, []  # jobs already hold what they need; the outbox reports without the session
    if state.in_session:
        state, effects = logout(state, settings)
        return replace(state, message=Message("session.expired", severity="info")), effects
    return state, []


@RESIDENT.on(TechnicianOpened)
def technician_opened(state: FlowState, event: TechnicianOpened, settings: FlowSettings) -> Transition:
    if state.screen in HOME_SCREENS:  # closed or out of service too: that is when a technician comes
        return replace(state, screen=Screen.TECHNICIAN, message=None), []
    return state, []


@RESIDENT.on(TechnicianClosed)
def technician_closed(state: FlowState, event: TechnicianClosed, settings: FlowSettings) -> Transition:
    if state.screen is Screen.TECHNICIAN:
        return replace(state, screen=home(state)), []
    return state, []


# --------------------------------------------------------------------------- the whole table
#: Every event type of the vocabulary -> its one handler. Built and checked at import: an event without a
#: handler (or a handler for an event that no longer exists) stops this module from importing.
HANDLERS = RESIDENT | SERVICES | OFFICER | CARD_LOGIN | HELP
HANDLERS.check_complete(vocabulary_events())
