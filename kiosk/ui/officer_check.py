"""The identity check: the officer types the last four digits of the resident's NIK from the KTP-el
or KK and ticks that the card was checked; the central service compares the digits, never the kiosk."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import NIK_CHECK_DIGITS
from kiosk.flow import BackPressed, FlowState, IdentitySubmitted
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.ui.widgets.common import DocumentRow


class OfficerCheckScreen(KioskScreen):
    KEYS = ("officer.check_title", "officer.check_box", "officer.check_box_detail", "keypad.delete", "keypad.clear",
            "common.busy")
    DIGITS = NIK_CHECK_DIGITS

    digits = StringProperty("")
    checked = BooleanProperty(False)
    hint = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:
        self.tick_row = DocumentRow(toggle_action=lambda _code: self.toggle_checked())
        self.ids.tick.add_widget(self.tick_row)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        was_busy, self.busy = self.busy, state.busy
        if was_busy and not state.busy:
            self.digits = ""
        officer = state.officer
        chosen = next((r for r in officer.requests if r.code == officer.chosen), None) if officer else None
        self.hint = ctx.tr("officer.check_hint", code=chosen.code, initials=chosen.initials) if chosen else ""
        row = self.tick_row
        row.title = ctx.tr("officer.check_box")
        row.detail = ctx.tr("officer.check_box_detail")
        row.selected = self.checked
        self.show_message(state, ctx)

    def on_key(self, key: str) -> None:
        self.digits = keyed(self.digits, key, NIK_CHECK_DIGITS)
        self.message = ""

    def toggle_checked(self) -> None:
        self.checked = not self.checked
        self.tick_row.selected = self.checked
        self.message = ""

    def submit(self) -> None:
        digits, self.digits = self.digits, ""
        self.emit(IdentitySubmitted, digits=digits, checked=self.checked)

    def back(self) -> None:
        self.wipe()
        self.emit(BackPressed)

    def wipe(self) -> None:
        self.digits = ""
        self.checked = False
        self.hint = ""
        self.message = ""
        if hasattr(self, "tick_row"):
            self.tick_row.selected = False
