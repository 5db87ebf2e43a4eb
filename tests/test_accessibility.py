"""The accessibility mode in the flow: on from the attract screen, timeouts doubled, over with the session."""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow import (
    AccessibilityToggled,
    BackPressed,
    Flow,
    FlowSettings,
    Media,
    PrinterAvailability,
    Screen,
    StartPressed,
    Tick,
)

PRINTERS = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
SETTINGS = FlowSettings(idle_warning_s=60, idle_logout_s=20, done_logout_s=15)


def step(flow, state, event):
    return flow.handle(state, event)[0]


def test_the_attract_button_turns_the_mode_on_for_the_session_and_it_ends_with_it():
    flow = Flow(SETTINGS)
    state = step(flow, flow.initial(PRINTERS), AccessibilityToggled(now=1))
    assert state.accessible and state.screen is Screen.ATTRACT
    state = step(flow, state, StartPressed(now=2))
    assert state.accessible and state.screen is Screen.NIK_ENTRY
    state = step(flow, state, BackPressed(now=3))
    assert state.screen is Screen.ATTRACT and not state.accessible  # the next visitor starts plain


def test_the_mode_can_only_be_switched_on_the_attract_screen():
    flow = Flow(SETTINGS)
    entry = step(flow, flow.initial(PRINTERS), StartPressed(now=1))
    assert not step(flow, entry, AccessibilityToggled(now=2)).accessible
    on = step(flow, flow.initial(PRINTERS), AccessibilityToggled(now=1))
    assert not step(flow, on, AccessibilityToggled(now=2)).accessible  # pressed again: off


def test_timeouts_are_doubled_in_the_mode():
    flow = Flow(SETTINGS)
    plain = step(flow, flow.initial(PRINTERS), StartPressed(now=0))
    accessible = replace(plain, accessible=True)
    assert step(flow, plain, Tick(now=61)).idle_warning_since == 61
    assert step(flow, accessible, Tick(now=61)).idle_warning_since is None
    warned = step(flow, accessible, Tick(now=121))
    assert warned.idle_warning_since == 121
    assert step(flow, warned, Tick(now=121 + 39)).screen is Screen.NIK_ENTRY
    gone = step(flow, warned, Tick(now=121 + 40))
    assert gone.screen is Screen.ATTRACT and not gone.accessible
    assert SETTINGS.for_resident(True).done_logout_s == 30 and SETTINGS.for_resident(False) is SETTINGS
