"""The flow's handlers beyond printing: queue check-in, document verification, PIN resend, the slip.

A mixin of :class:`kiosk.flow.Flow`: pure functions of (state, event), like the rest of the machine.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow_model import (
    BookingScanned,
    BookingSubmitted,
    CheckIn,
    CheckInRefused,
    Effect,
    EnterPinPressed,
    FlowState,
    ForgotPinPressed,
    Message,
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
from kiosk.nik import InvalidNik, parse_nik
from kiosk.services import QueueProblem, booking_code


class ServiceHandlers:
    """Handlers for the screens beyond printing; relies on Flow's ``_home`` and ``_logout``."""

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
