"""PIN entry: six masked digits from the resident's WhatsApp message; attempts left on a wrong PIN."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import BackPressed, FlowState, ForgotPinPressed, PinSubmitted
from kiosk.ui.base import PinPadScreen, ViewContext


class PinEntryScreen(PinPadScreen):
    KEYS = ("pin.title", "pin.hint", "pin.forgot", "keypad.delete", "keypad.clear", "common.busy")
    SUBMITTED = PinSubmitted

    for_nik = StringProperty("")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.follow_busy(state)
        self.for_nik = ctx.tr("pin.for_nik", nik=state.nik.masked()) if state.nik else ""
        self.show_message(state, ctx)

    def back(self) -> None:
        self.emit(BackPressed)

    def forgot(self) -> None:
        self.pin = ""
        self.emit(ForgotPinPressed)

    def wipe(self) -> None:
        super().wipe()
        self.for_nik = ""
