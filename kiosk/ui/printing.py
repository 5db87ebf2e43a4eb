"""Printing: progress per document, in words, and what to take from which slot."""

from __future__ import annotations

from kiosk.flow import FlowState, Media, Phase
from kiosk.i18n import Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import READY_ROWS, doc_title
from kiosk.ui.widgets.common import ProgressRow, RowPool


def phase_text(phase: Phase, error: str | None, tr: Translator) -> str:
    if phase is Phase.FAILED:
        detail = tr(error) if error and tr.has(error) else tr("print.failed")
        return f"{tr('phase.failed')}: {detail}"
    return tr(f"phase.{phase.value}")


def blank_progress_row(row: ProgressRow) -> None:
    row.title = row.phase_text = ""
    row.fraction = 0.0
    row.failed = row.done = False


class PrintingScreen(KioskScreen):
    KEYS = ("printing.title", "printing.wait", "confirm.take_a4", "confirm.take_card")

    pool: RowPool

    def on_kv_post(self, base_widget) -> None:
        self.pool = RowPool(self.ids.rows, ProgressRow, blank_progress_row, ready=READY_ROWS)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        docs = {d.id: d for d in state.documents}
        for row, progress in zip(self.pool.show(len(state.progress)), state.progress, strict=True):
            doc = docs.get(progress.id)
            row.title = doc_title(doc, ctx.tr) if doc else ""
            row.phase_text = phase_text(progress.phase, progress.error, ctx.tr)
            row.fraction = progress.fraction
            row.failed = progress.phase is Phase.FAILED
            row.done = progress.phase is Phase.DONE
        kinds = {docs[p.id].media for p in state.progress if p.id in docs}
        slots = ((Media.A4, "confirm.take_a4"), (Media.CARD, "confirm.take_card"))
        self.ids.where.text = "\n".join(ctx.tr(key) for kind, key in slots if kind in kinds)

    def wipe(self) -> None:
        self.pool.clear()
        self.ids.where.text = ""
