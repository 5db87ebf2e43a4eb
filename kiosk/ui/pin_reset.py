"""'Lupa PIN?': the NIK on the kiosk's keypad, then one answer for every NIK, registered or not."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import NIK_DIGITS
from kiosk.flow import BackPressed, CancelPressed, EnterPinPressed, FlowState, PinRequestSubmitted
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.ui.nik_entry import group_digits


class PinResetScreen(KioskScreen):
    KEYS = ("pin_reset.title", "pin_reset.hint", "pin_reset.send", "pin_reset.sent", "pin_reset.sent_detail",
            "pin_reset.enter_pin", "keypad.delete", "keypad.clear", "common.busy")

    phase = StringProperty("entry")  # entry | sent
    digits = StringProperty("")
    shown = StringProperty(group_digits(""))
    busy = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        if self.manager is not None and self.manager.current != self.name:
            # A new visit: from the PIN screen the NIK is already known, so it is not typed twice.
            self.digits = state.nik.digits if state.nik is not None else ""
        self.busy = state.busy
        self.phase = "sent" if state.pin_request_sent else "entry"
        if state.pin_request_sent:
            self.digits = ""  # the NIK leaves the widgets as soon as the request is out
        self.show_message(state, ctx)
        self.shown = group_digits(self.digits)

    def on_key(self, key: str) -> None:
        self.digits = keyed(self.digits, key, NIK_DIGITS)
        self.message = ""
        self.shown = group_digits(self.digits)

    def submit(self) -> None:
        self.emit(PinRequestSubmitted, text=self.digits)

    def back(self) -> None:
        self.emit(BackPressed)

    def enter_pin(self) -> None:
        self.emit(EnterPinPressed)

    def finish(self) -> None:
        self.emit(CancelPressed)

    def wipe(self) -> None:
        self.digits = ""
        self.shown = group_digits("")
        self.message = ""
