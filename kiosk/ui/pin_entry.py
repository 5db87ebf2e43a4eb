"""PIN entry: six masked digits from the resident's WhatsApp message; attempts left on a wrong PIN."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import PIN_DIGITS
from kiosk.flow import BackPressed, FlowState, ForgotPinPressed, PinSubmitted
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.voice_script import digit_count


class PinEntryScreen(KioskScreen):
    KEYS = ("pin.title", "pin.hint", "pin.forgot", "keypad.delete", "keypad.clear", "common.busy")

    # The digits live only here and in the Login effect; never in a Label's text.
    pin = StringProperty("")
    for_nik = StringProperty("")
    busy = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        was_busy, self.busy = self.busy, state.busy
        if was_busy and not state.busy:
            self.pin = ""  # an answer came back: a new attempt starts empty
        self.for_nik = ctx.tr("pin.for_nik", nik=state.nik.masked()) if state.nik else ""
        self.show_message(state, ctx)

    def on_key(self, key: str) -> None:
        self.pin = keyed(self.pin, key, PIN_DIGITS)
        self.message = ""
        self.announce(digit_count(len(self.pin), PIN_DIGITS))

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self.emit(PinSubmitted, pin=pin)

    def back(self) -> None:
        self.emit(BackPressed)

    def forgot(self) -> None:
        self.pin = ""
        self.emit(ForgotPinPressed)

    def wipe(self) -> None:
        self.pin = ""
        self.for_nik = ""
        self.message = ""
