"""The call for help in the pure flow: beside any resident screen, never instead of it, once per interval."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import (
    CallHelp,
    CancelPressed,
    Flow,
    FlowSettings,
    HelpAnswered,
    HelpDismissed,
    HelpPressed,
    HelpStatus,
    Media,
    PrinterAvailability,
    Screen,
    TechnicianOpened,
)
from kiosk.flow_help import HELP_SCREENS
from kiosk.nik import parse_nik

PRINTERS = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
NIK = "3273010101900001"
flow = Flow(FlowSettings(help_call_interval_s=120))


def on(screen: Screen):
    state = flow.initial(PRINTERS)
    return replace(state, screen=screen, nik=parse_nik(NIK) if screen is not Screen.ATTRACT else None)


@pytest.mark.parametrize("screen", sorted(HELP_SCREENS, key=lambda s: s.value), ids=lambda s: s.value)
def test_every_resident_screen_calls_with_its_name_only_and_stays(screen):
    state = on(screen)
    new, effects = flow.handle(state, HelpPressed(now=10.0))
    assert effects == [CallHelp(screen.value)]
    assert new.help is HelpStatus.SENDING
    kept = (new.screen, new.nik, new.session, new.documents)
    assert kept == (state.screen, state.nik, state.session, state.documents)
    assert NIK not in repr(effects)


def test_the_technician_area_has_no_call_for_help():
    state = on(Screen.TECHNICIAN)
    new, effects = flow.handle(state, HelpPressed(now=1.0))
    assert effects == [] and new.help is None and new.screen is Screen.TECHNICIAN


def test_an_officer_at_the_kiosk_is_the_help_no_call_is_offered():
    from kiosk.flow_model import OfficerVisit

    state = replace(on(Screen.DOCUMENTS), officer=OfficerVisit(officer_id="OPSI-001"))
    new, effects = flow.handle(state, HelpPressed(now=1.0))
    assert effects == [] and new.help is None and new.screen is Screen.DOCUMENTS


def test_one_call_per_interval_then_again():
    state, _ = flow.handle(on(Screen.DOCUMENTS), HelpPressed(now=10.0))
    state, _ = flow.handle(state, HelpPressed(now=11.0))  # sending: a second press adds nothing
    assert state.help is HelpStatus.SENDING
    state, _ = flow.handle(state, HelpAnswered(now=12.0, status=HelpStatus.SENT))
    state, _ = flow.handle(state, HelpDismissed(now=13.0))
    assert state.help is None and state.screen is Screen.DOCUMENTS
    state, effects = flow.handle(state, HelpPressed(now=12.0 + 119))
    assert effects == [] and state.help is HelpStatus.ALREADY
    state, effects = flow.handle(state, HelpPressed(now=12.0 + 121))
    assert effects == [CallHelp("documents")]


def test_a_failed_call_leaves_no_limit_and_a_call_outlives_the_session():
    state, _ = flow.handle(on(Screen.CONFIRM), HelpPressed(now=10.0))
    state, _ = flow.handle(state, HelpAnswered(now=11.0, status=HelpStatus.FAILED))
    assert state.help is HelpStatus.FAILED and state.help_called_at is None
    state, effects = flow.handle(state, HelpPressed(now=12.0))
    assert effects == [CallHelp("confirm")]
    state, _ = flow.handle(state, HelpAnswered(now=13.0, status=HelpStatus.SENT))
    state, _ = flow.handle(state, CancelPressed(now=14.0))  # the resident leaves
    assert state.screen is Screen.ATTRACT and state.nik is None and state.help is None
    assert state.help_called_at == 13.0  # the kiosk's limit stays for the next visitor
    state, effects = flow.handle(state, HelpPressed(now=20.0))
    assert effects == [] and state.help is HelpStatus.ALREADY


def test_an_answer_after_the_panel_closed_counts_but_shows_nothing():
    state, _ = flow.handle(on(Screen.PRINTING), HelpPressed(now=10.0))
    state, _ = flow.handle(state, HelpDismissed(now=11.0))
    state, _ = flow.handle(state, HelpAnswered(now=12.0, status=HelpStatus.SENT))
    assert state.help is None and state.help_called_at == 12.0


def test_the_technician_corner_still_opens_under_a_call():
    state, _ = flow.handle(on(Screen.ATTRACT), HelpPressed(now=10.0))
    state, _ = flow.handle(state, TechnicianOpened(now=11.0))
    assert state.screen is Screen.TECHNICIAN


def test_waiting_for_an_officer_doubles_the_idle_timeouts_and_a_logout_still_ends_the_session():
    from kiosk.flow import Tick

    state, _ = flow.handle(on(Screen.DOCUMENTS), HelpPressed(now=0.0))
    state, _ = flow.handle(state, HelpAnswered(now=1.0, status=HelpStatus.SENT))
    state, _ = flow.handle(state, Tick(now=61.0))  # the plain warning would show after 60 s
    assert state.idle_warning_since is None and state.screen is Screen.DOCUMENTS
    state, _ = flow.handle(state, Tick(now=121.0))
    assert state.idle_warning_since == 121.0
    state, _ = flow.handle(state, Tick(now=121.0 + 41))
    assert state.screen is Screen.ATTRACT and state.nik is None and state.help is None
