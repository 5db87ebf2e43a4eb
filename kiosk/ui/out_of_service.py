"""Out of service: nothing can print; say why and where help is. Never a blank or a stack trace."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import FlowState, Media
from kiosk.service_model import NoticeKind
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import reason_text


class OutOfServiceScreen(KioskScreen):
    title = StringProperty("")
    help_text = StringProperty("")
    why = StringProperty("")
    location = StringProperty("")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.location = ctx.location
        self.help_text = ctx.tr("oos.help", help=ctx.help_location)
        notice = state.notice
        if notice is not None and notice.kind is NoticeKind.OUT_OF_SERVICE:  # the operator's own words
            self.title = ctx.tr("oos.operator_title")
            self.why = notice.message_en if ctx.tr.language == "en" else notice.message_id
            return
        self.title = ctx.tr("oos.title")
        reasons = []
        for kind, key in ((Media.A4, "printer.document"), (Media.CARD, "printer.card")):
            if not state.printer_ok(kind):
                reasons.append(f"{ctx.tr(key)}: {reason_text(state.printer_reason(kind), ctx.tr)}")
        self.why = ctx.tr("oos.why", reasons="; ".join(reasons)) if reasons else ""
