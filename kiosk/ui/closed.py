"""Closed: outside the opening hours, or the day's print cap reached. Said before anyone types a NIK, with when
the kiosk opens again and where to go instead. The technician's corner still works here."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import FlowState
from kiosk.service_model import NoticeKind
from kiosk.ui.base import KioskScreen, ViewContext


class ClosedScreen(KioskScreen):
    title = StringProperty("")
    body = StringProperty("")
    help_text = StringProperty("")
    location = StringProperty("")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.location = ctx.location
        self.help_text = ctx.tr("closed.help", help=ctx.help_location)
        notice = state.notice
        if notice is not None and notice.kind is NoticeKind.CAPPED:
            self.title = ctx.tr("closed.capped_title")
            self.body = ctx.tr("closed.capped_body")
            return
        self.title = ctx.tr("closed.title")
        if notice is not None and notice.reopen_day is not None:
            self.body = ctx.tr("closed.reopens", day=ctx.tr(f"weekday.{notice.reopen_day}"),
                               time=notice.reopen_at.replace(":", "." if ctx.tr.language == "id" else ":"))
        else:
            self.body = ctx.tr("closed.no_hours")
