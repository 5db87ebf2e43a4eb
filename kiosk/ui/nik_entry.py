"""NIK entry: the kiosk's own numeric keypad (never a system keyboard), or a scan of the WhatsApp QR."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import NIK_DIGITS
from kiosk.flow import BackPressed, FlowState, ForgotPinPressed, NikSubmitted
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.voice_script import digit_count


def group_digits(digits: str) -> str:
    """'3273015503850002' -> '3273 0155 0385 0002', with placeholders for what is still to come."""
    padded = digits + "_" * (NIK_DIGITS - len(digits))
    return "  ".join(padded[i : i + 4] for i in range(0, NIK_DIGITS, 4))


class NikEntryScreen(KioskScreen):
    KEYS = ("nik.title", "nik.hint", "keypad.delete", "keypad.clear", "attract.scan_hint", "common.busy",
            "pin.forgot")

    digits = StringProperty("")
    shown = StringProperty(group_digits(""))
    count_text = StringProperty("")
    busy = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.busy = state.busy
        self.show_message(state, ctx)
        self._tr = ctx.tr
        self._refresh()

    def on_key(self, key: str) -> None:
        self.digits = keyed(self.digits, key, NIK_DIGITS)
        self.message = ""
        self._refresh()
        self.announce(digit_count(len(self.digits), NIK_DIGITS))

    def _refresh(self) -> None:
        self.shown = group_digits(self.digits)
        tr = getattr(self, "_tr", None)
        self.count_text = tr("nik.count", count=len(self.digits)) if tr else ""

    def submit(self) -> None:
        self.emit(NikSubmitted, text=self.digits)

    def back(self) -> None:
        self.emit(BackPressed)

    def forgot(self) -> None:
        """'Lupa PIN?': no PIN, or lost it; the flow asks for the NIK on its own screen."""
        self.emit(ForgotPinPressed)

    def wipe(self) -> None:
        self.digits = ""
        self.message = ""
        self._refresh()
