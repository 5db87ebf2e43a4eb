"""Printing: progress per document, in words, and what to take from which slot."""

from __future__ import annotations

from kiosk.flow import FlowState, Phase, PrinterKind
from kiosk.i18n import Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import doc_title
from kiosk.ui.widgets.common import ProgressRow


def phase_text(phase: Phase, error: str | None, tr: Translator) -> str:
    if phase is Phase.FAILED:
        detail = tr(error) if error and tr.has(error) else tr("print.failed")
        return f"{tr('phase.failed')}: {detail}"
    return tr(f"phase.{phase.value}")


class PrintingScreen(KioskScreen):
    KEYS = ("printing.title", "printing.wait", "confirm.take_a4", "confirm.take_card")

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        docs = {d.id: d for d in state.documents}
        rows = self.ids.rows
        existing = list(reversed(rows.children))
        if len(existing) != len(state.progress):
            rows.clear_widgets()
            existing = [ProgressRow() for _ in state.progress]
            for row in existing:
                rows.add_widget(row)
        for row, progress in zip(existing, state.progress, strict=True):
            doc = docs.get(progress.id)
            row.title = doc_title(doc, ctx.tr) if doc else ""
            row.phase_text = phase_text(progress.phase, progress.error, ctx.tr)
            row.fraction = progress.fraction
            row.failed = progress.phase is Phase.FAILED
            row.done = progress.phase is Phase.DONE
        kinds = {docs[p.id].printer for p in state.progress if p.id in docs}
        slots = ((PrinterKind.DOCUMENT, "confirm.take_a4"), (PrinterKind.CARD, "confirm.take_card"))
        self.ids.where.text = "\n".join(ctx.tr(key) for kind, key in slots if kind in kinds)

    def wipe(self) -> None:
        self.ids.rows.clear_widgets()
