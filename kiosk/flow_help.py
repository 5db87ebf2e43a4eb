"""The call for help: 'Panggil petugas' from any resident screen, handled beside the screen, never instead of it.

Pure functions of (state, event, settings), registered by event type in :data:`HELP`; :mod:`kiosk.flow`
merges this table with the others. A press sends one :class:`~kiosk.flow_model.CallHelp` (the screen's name,
nothing of the resident) and shows the help panel over the screen; the screen, the session, the documents
and any print under way stay exactly as they were. One call per ``help_call_interval_s`` per kiosk: a press
sooner says the call is already on its way and sends nothing. A call that could not go out says so and
where to go; the resident may press again.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow_model import (
    CallHelp,
    FlowSettings,
    FlowState,
    HelpAnswered,
    HelpDismissed,
    HelpPressed,
    HelpStatus,
    Screen,
)
from kiosk.flow_table import Transition, Transitions

#: The handlers of this module, by event type.
HELP = Transitions("help")

#: The screens with the 'Panggil petugas' button: every screen a resident sees (the technician's area has none).
HELP_SCREENS = frozenset({
    Screen.ATTRACT, Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.DOCUMENTS, Screen.CONFIRM, Screen.PRINTING,
    Screen.DONE, Screen.QUEUE, Screen.VERIFY, Screen.PIN_RESET, Screen.CLOSED, Screen.OUT_OF_SERVICE, Screen.FINGER,
})


def help_offered(state: FlowState) -> bool:
    """Whether this state shows 'Panggil petugas': a resident's screen, and no officer at the kiosk already (an
    officer printing for a resident is the help)."""
    return state.screen in HELP_SCREENS and state.officer is None


def call_on_its_way(state: FlowState, settings: FlowSettings, now: float) -> bool:
    """Whether a call from this kiosk went out less than ``help_call_interval_s`` ago."""
    at = state.help_called_at
    return at is not None and now - at < settings.help_call_interval_s


@HELP.on(HelpPressed)
def help_pressed(state: FlowState, event: HelpPressed, settings: FlowSettings) -> Transition:
    if not help_offered(state) or state.help is HelpStatus.SENDING:
        return state, []
    if call_on_its_way(state, settings, event.now):
        return replace(state, help=HelpStatus.ALREADY), []
    return replace(state, help=HelpStatus.SENDING), [CallHelp(state.screen.value)]


@HELP.on(HelpAnswered)
def help_answered(state: FlowState, event: HelpAnswered, settings: FlowSettings) -> Transition:
    """The answer shows only while the panel waits for it; the time of a call that went out counts anyway."""
    if event.status is not HelpStatus.FAILED:
        state = replace(state, help_called_at=event.now)
    if state.help is HelpStatus.SENDING:
        state = replace(state, help=event.status)
    return state, []


@HELP.on(HelpDismissed)
def help_dismissed(state: FlowState, event: HelpDismissed, settings: FlowSettings) -> Transition:
    return replace(state, help=None), []
