"""Documents: what is ready for this resident, on which printer, and what cannot be printed now or here.

Titles are the central service's (its catalogue), in the resident's language: no type is known by heart."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from kivy.properties import StringProperty

from kiosk.flow import CancelPressed, DocStatus, DocumentItem, DocumentToggled, FlowState, Media, PrintPressed
from kiosk.i18n import LANGUAGES, Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.widgets.common import DocumentRow, RowPool


def doc_title(doc: DocumentItem, tr: Translator) -> str:
    """The service's title of the document's type, in the language shown (Bahasa Indonesia by default)."""
    return doc.title_in(tr.language)


def long_date(iso: str, language: str) -> str:
    """'2026-11-20' -> '20 November 2026' (id) or 'November 20, 2026' (en)."""
    try:
        return format_date(date.fromisoformat(iso), format="long", locale=language)
    except ValueError:
        return iso


def reason_text(reason: str | None, tr: Translator) -> str:
    key = f"reason.{reason or 'unknown'}"
    return tr(key) if tr.has(key) else tr("reason.unknown")


#: Rows built with the screen: most residents have up to this many documents.
READY_ROWS = 4


def blank_document_row(row: DocumentRow) -> None:
    row.document_id = row.title = row.detail = row.status_text = ""
    row.selected = False


class DocumentsScreen(KioskScreen):
    KEYS = ("documents.title",)

    hello = StringProperty("")
    print_text = StringProperty("")
    _shown: tuple = ()
    pool: RowPool

    def on_kv_post(self, base_widget) -> None:
        self.pool = RowPool(self.ids.rows, lambda: DocumentRow(toggle_action=self.toggle), blank_document_row,
                            ready=READY_ROWS)
        for language in LANGUAGES:  # Babel reads its locale data on first use: 10 ms each, not at a resident's tap
            long_date("2000-01-01", language)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        tr = ctx.tr
        self.hello = tr("documents.hello", name=state.masked_name) if state.masked_name else ""
        self.print_text = tr("documents.print", count=len(state.selected))
        self.show_message(state, ctx)
        key = (state.documents, state.selected, tr.language)
        if key == self._shown:
            return
        self._shown = key
        for row, doc in zip(self.pool.show(len(state.documents)), state.documents, strict=True):
            printer = {Media.CARD: tr("printer.card"), Media.A4: tr("printer.document")}.get(
                doc.media, tr("printer.none")) if doc.media is not None else tr("printer.none")
            if doc.status is DocStatus.READY:
                status = tr("documents.ready")
            elif doc.status is DocStatus.PRINTED:
                status = tr("documents.printed")
            elif doc.status is DocStatus.NOT_HERE:
                status = tr("documents.not_here")
            else:
                status = tr("documents.unavailable", reason=reason_text(doc.reason, tr))
            row.document_id = doc.id
            row.title = doc_title(doc, tr)
            row.detail = (f"{tr('documents.issued', date=long_date(doc.issued, tr.language))}  ·  {printer}"
                          if doc.issued else printer)
            row.status_text = status
            row.selectable = doc.status is DocStatus.READY
            row.selected = doc.id in state.selected

    def toggle(self, document_id: str) -> None:
        self.emit(DocumentToggled, document_id=document_id)

    def print_selected(self) -> None:
        self.emit(PrintPressed)

    def cancel(self) -> None:
        self.emit(CancelPressed)

    def wipe(self) -> None:
        self.pool.clear()
        self._shown = ()
        self.hello = ""
