"""Officer sign-in: the officer card scanned at the reader, then the officer's PIN, masked."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import PIN_DIGITS
from kiosk.flow import BackPressed, FlowState, OfficerPinSubmitted
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.voice_script import digit_count


class OfficerLoginScreen(KioskScreen):
    KEYS = ("officer.login_title", "officer.login_hint", "keypad.delete", "keypad.clear", "common.busy")

    # The digits live only here and in the OfficerLogin effect; never in a Label's text.
    pin = StringProperty("")
    card_text = StringProperty("")
    card_read = BooleanProperty(False)
    busy = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        was_busy, self.busy = self.busy, state.busy
        if was_busy and not state.busy:
            self.pin = ""
        self.card_read = state.officer is not None and bool(state.officer.card)
        self.card_text = ctx.tr("officer.card_read" if self.card_read else "officer.card_none")
        self.show_message(state, ctx)

    def on_key(self, key: str) -> None:
        self.pin = keyed(self.pin, key, PIN_DIGITS)
        self.message = ""
        self.announce(digit_count(len(self.pin), PIN_DIGITS))

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self.emit(OfficerPinSubmitted, pin=pin)

    def back(self) -> None:
        self.pin = ""
        self.emit(BackPressed)

    def wipe(self) -> None:
        self.pin = ""
        self.message = ""
