"""The flow's handlers beyond printing: queue check-in, document verification, PIN resend, the slip.

Pure functions of (state, event, settings), registered by event type in :data:`SERVICES`; :mod:`kiosk.flow`
merges this table with the resident's. They use nothing of another module but the shared steps of
:mod:`kiosk.flow_table`.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow_model import (
    HOME_SCREENS,
    BookingScanned,
    BookingSubmitted,
    CheckIn,
    CheckInRefused,
    EnterPinPressed,
    FlowSettings,
    FlowState,
    ForgotPinPressed,
    Message,
    NoticeChanged,
    PinRequestAnswered,
    PinRequestSubmitted,
    PrintTicket,
    QueuePressed,
    RequestPin,
    Screen,
    SlipPrinted,
    TakeWalkIn,
    TicketIssued,
    TicketPrinted,
    VerifyAnswered,
    VerifyDocument,
    VerifyFailed,
    VerifyPressed,
    VerifyScanned,
    WalkInPressed,
)
from kiosk.flow_table import Transition, Transitions, home, wrong_scan
from kiosk.nik import InvalidNik, parse_nik
from kiosk.service_model import QueueProblem, booking_code

#: The handlers of this module, by event type.
SERVICES = Transitions("services")


@SERVICES.on(NoticeChanged)
def notice_changed(state: FlowState, event: NoticeChanged, settings: FlowSettings) -> Transition:
    """Out of service, closed, capped or the central service gone: the resting screen says so at once; a
    resident already in a session finishes, and the next one meets the notice before typing anything."""
    state = replace(state, notice=event.notice)
    if state.screen in HOME_SCREENS:
        return replace(state, screen=home(state)), []
    return state, []


@SERVICES.on(QueuePressed)
def queue_pressed(state: FlowState, event: QueuePressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.ATTRACT:
        return state, []
    return replace(state, screen=Screen.QUEUE, ticket=None, message=None, done_since=None), []


@SERVICES.on(BookingSubmitted)
def booking_submitted(state: FlowState, event: BookingSubmitted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.QUEUE or state.busy:
        return state, []
    code = booking_code(event.text)
    if code is None:
        return replace(state, message=Message(QueueProblem.MALFORMED.value)), []
    return _checking_in(state), [CheckIn(code)]


@SERVICES.on(BookingScanned)
def booking_scanned(state: FlowState, event: BookingScanned, settings: FlowSettings) -> Transition:
    code = booking_code(event.code)
    if state.screen not in (Screen.ATTRACT, Screen.QUEUE) or state.busy or code is None:
        return wrong_scan(state)
    return _checking_in(state), [CheckIn(code)]


@SERVICES.on(WalkInPressed)
def walk_in_pressed(state: FlowState, event: WalkInPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.QUEUE or state.busy:
        return state, []
    return _checking_in(state), [TakeWalkIn()]


def _checking_in(state: FlowState) -> FlowState:
    return replace(state, screen=Screen.QUEUE, busy=True, ticket=None, message=None, done_since=None)


@SERVICES.on(TicketIssued)
def ticket_issued(state: FlowState, event: TicketIssued, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.QUEUE or not state.busy or event.ticket is None:
        return state, []
    ticket = replace(event.ticket, printed=None)
    return replace(state, busy=False, ticket=ticket, message=None, last_activity=event.now), [PrintTicket(ticket)]


@SERVICES.on(TicketPrinted)
def ticket_printed(state: FlowState, event: TicketPrinted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.QUEUE or state.ticket is None or state.ticket.printed is not None:
        return state, []
    message = None if event.ok else Message("queue.not_printed", severity="warning")
    return replace(state, ticket=replace(state.ticket, printed=event.ok), message=message,
                   done_since=event.now), []


@SERVICES.on(CheckInRefused)
def check_in_refused(state: FlowState, event: CheckInRefused, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.QUEUE or not state.busy:
        return state, []
    key = event.problem.value
    params: dict[str, int] = {}
    if event.problem is QueueProblem.EARLY and event.retry_after_s is not None:
        minutes = max(1, int(-(-event.retry_after_s // 60)))
        key, params = ("queue.early_hours", {"hours": round(minutes / 60)}) if minutes >= 120 else \
            ("queue.early", {"minutes": minutes})
    return replace(state, busy=False, message=Message(key, params), last_activity=event.now), []


@SERVICES.on(VerifyPressed)
def verify_pressed(state: FlowState, event: VerifyPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.ATTRACT:
        return state, []
    return replace(state, screen=Screen.VERIFY, verification=None, message=None, done_since=None), []


@SERVICES.on(VerifyScanned)
def verify_scanned(state: FlowState, event: VerifyScanned, settings: FlowSettings) -> Transition:
    if state.screen not in (Screen.ATTRACT, Screen.VERIFY) or state.busy or not event.code:
        return wrong_scan(state)
    return replace(state, screen=Screen.VERIFY, busy=True, verification=None, message=None,
                   done_since=None), [VerifyDocument(event.code)]


@SERVICES.on(VerifyAnswered)
def verify_answered(state: FlowState, event: VerifyAnswered, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.VERIFY or not state.busy or event.info is None:
        return state, []
    return replace(state, busy=False, verification=event.info, done_since=event.now,
                   last_activity=event.now), []


@SERVICES.on(VerifyFailed)
def verify_failed(state: FlowState, event: VerifyFailed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.VERIFY or not state.busy:
        return state, []
    return replace(state, busy=False, message=Message(event.problem), last_activity=event.now), []


@SERVICES.on(ForgotPinPressed)
def forgot_pin_pressed(state: FlowState, event: ForgotPinPressed, settings: FlowSettings) -> Transition:
    if state.screen not in (Screen.NIK_ENTRY, Screen.PIN_ENTRY) or state.busy:
        return state, []
    return replace(state, screen=Screen.PIN_RESET, reset_from=state.screen, pin_request_sent=False,
                   message=None), []


@SERVICES.on(PinRequestSubmitted)
def pin_request_submitted(state: FlowState, event: PinRequestSubmitted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.PIN_RESET or state.busy or state.pin_request_sent:
        return state, []
    try:
        nik = parse_nik(event.text)
    except InvalidNik as exc:
        return replace(state, message=Message(exc.problem.value)), []
    return replace(state, nik=nik, busy=True, message=None), [RequestPin(nik)]


@SERVICES.on(PinRequestAnswered)
def pin_request_answered(state: FlowState, event: PinRequestAnswered, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.PIN_RESET or not state.busy:
        return state, []
    state = replace(state, busy=False, last_activity=event.now)
    if event.problem is not None:
        return replace(state, message=Message(event.problem)), []
    # The same words for every NIK: the kiosk must not tell whether a NIK is registered.
    return replace(state, pin_request_sent=True, message=Message("pin_reset.sent", severity="info")), []


@SERVICES.on(EnterPinPressed)
def enter_pin_pressed(state: FlowState, event: EnterPinPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.PIN_RESET or not state.pin_request_sent or state.nik is None:
        return state, []
    return replace(state, screen=Screen.PIN_ENTRY, pin_request_sent=False, reset_from=None, message=None), []


@SERVICES.on(SlipPrinted)
def slip_printed(state: FlowState, event: SlipPrinted, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.DONE:
        return state, []
    return replace(state, slip_printed=event.ok), []
