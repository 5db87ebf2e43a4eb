"""The KTP-el + finger login's screen: the card being read, then 'put your finger on the reader'."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import FINGER_TRIES
from kiosk.flow import BackPressed, FingerAgainPressed, FlowState, UsePinPressed
from kiosk.ui.base import KioskScreen, ViewContext


class FingerScreen(KioskScreen):
    KEYS = ("finger.title", "finger.reading", "finger.hint", "finger.again", "finger.use_pin")

    #: 'reading' while the card's NIK is read, then 'finger' (the reader waits, or waits for 'Coba lagi').
    phase = StringProperty("reading")
    busy = BooleanProperty(False)
    for_nik = StringProperty("")
    tries = StringProperty("")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.busy = state.busy
        self.phase = "finger" if state.nik is not None else "reading"
        self.for_nik = ctx.tr("finger.for_nik", nik=state.nik.masked()) if state.nik else ""
        self.tries = ctx.tr("finger.tries", tries=FINGER_TRIES) if state.nik and not state.finger_failures else ""
        self.show_message(state, ctx)

    def again(self) -> None:
        self.emit(FingerAgainPressed)

    def use_pin(self) -> None:
        self.emit(UsePinPressed)

    def back(self) -> None:
        self.emit(BackPressed)

    def wipe(self) -> None:
        self.for_nik = ""
        self.message = ""
        self.phase = "reading"
