"""Attract screen: what the kiosk prints today, and the way in."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import (
    AccessibilityToggled,
    FlowState,
    Media,
    OfficerPressed,
    QueuePressed,
    StartPressed,
    VerifyPressed,
)
from kiosk.service_model import NoticeKind
from kiosk.ui.base import KioskScreen, ViewContext


def availability_text(state: FlowState, kind: Media, ctx: ViewContext) -> str:
    if state.printer_ok(kind):
        return ctx.tr("attract.available")
    reason = state.printer_reason(kind) or "unknown"
    reason_text = ctx.tr(f"reason.{reason}") if ctx.tr.has(f"reason.{reason}") else ctx.tr("reason.unknown")
    return ctx.tr("attract.unavailable", reason=reason_text)


class AttractScreen(KioskScreen):
    KEYS = ("attract.welcome", "attract.subtitle", "attract.today", "attract.start", "attract.scan_hint",
            "attract.queue", "attract.verify", "a11y.button", "a11y.off", "attract.officer", "attract.card_login")
    location = StringProperty("")
    a4_text = StringProperty("")
    a4_status = StringProperty("")
    card_text = StringProperty("")
    card_status = StringProperty("")
    notice = StringProperty("")
    a4_ok = BooleanProperty(True)
    card_ok = BooleanProperty(True)
    #: The kiosk has both readers: 'Tempelkan KTP-el Anda' shows.
    card_login = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.location = ctx.location
        self.card_login = ctx.settings.card_login
        self.a4_text = ctx.tr("attract.a4")
        self.card_text = ctx.tr("attract.cards")
        self.a4_status = availability_text(state, Media.A4, ctx)
        self.card_status = availability_text(state, Media.CARD, ctx)
        self.a4_ok = state.printer_ok(Media.A4)
        self.card_ok = state.printer_ok(Media.CARD)
        offline = state.notice is not None and state.notice.kind is NoticeKind.UNREACHABLE
        self.notice = ctx.tr("attract.offline", help=ctx.help_location) if offline else ""
        self.show_message(state, ctx)

    def start(self) -> None:
        self.emit(StartPressed)

    def toggle_accessibility(self) -> None:
        self.emit(AccessibilityToggled)

    def queue(self) -> None:
        self.emit(QueuePressed)

    def verify(self) -> None:
        self.emit(VerifyPressed)

    def officer(self) -> None:
        """The officer role's discreet entry."""
        self.emit(OfficerPressed)
