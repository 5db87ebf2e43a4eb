"""Confirm: the chosen documents once more, that each prints once per PIN, and where they come out."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import BackPressed, Confirmed, FlowState, Media
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import doc_title


class ConfirmScreen(KioskScreen):
    KEYS = ("confirm.title", "confirm.once", "confirm.yes")

    chosen = StringProperty("")
    where = StringProperty("")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        docs = [d for d in state.documents if d.id in state.selected]
        self.chosen = "\n".join(f"•  {doc_title(d, ctx.tr)}" for d in docs)
        kinds = {d.media for d in docs}
        lines = []
        if Media.A4 in kinds:
            lines.append(ctx.tr("confirm.take_a4"))
        if Media.CARD in kinds:
            lines.append(ctx.tr("confirm.take_card"))
        self.where = "\n".join(lines)
        self.show_message(state, ctx)

    def confirm(self) -> None:
        self.emit(Confirmed)

    def back(self) -> None:
        self.emit(BackPressed)

    def wipe(self) -> None:
        self.chosen = ""
