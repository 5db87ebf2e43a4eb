"""Officer sign-in: the officer card scanned at the reader, then the officer's PIN, masked."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import BackPressed, FlowState, OfficerPinSubmitted
from kiosk.ui.base import PinPadScreen, ViewContext


class OfficerLoginScreen(PinPadScreen):
    KEYS = ("officer.login_title", "officer.login_hint", "keypad.delete", "keypad.clear", "common.busy")
    SUBMITTED = OfficerPinSubmitted

    card_text = StringProperty("")
    card_read = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.follow_busy(state)
        self.card_read = state.officer is not None and bool(state.officer.card)
        self.card_text = ctx.tr("officer.card_read" if self.card_read else "officer.card_none")
        self.show_message(state, ctx)

    def back(self) -> None:
        self.pin = ""
        self.emit(BackPressed)
