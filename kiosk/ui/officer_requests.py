"""The officer's requests: verified, not yet printed, each resident by initials; one tap chooses."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.flow import CancelPressed, FlowState, OfficerRequestChosen, OfficerRequestItem
from kiosk.i18n import Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.widgets.common import DocumentRow, RowPool


def blank_request_row(row: DocumentRow) -> None:
    row.document_id = row.title = row.detail = row.status_text = ""
    row.selected = False


def request_detail(request: OfficerRequestItem, tr: Translator) -> str:
    titles = request.titles_en if tr.language == "en" and request.titles_en else request.titles
    return tr("officer.request_detail", code=request.code, documents=", ".join(titles))


class OfficerRequestsScreen(KioskScreen):
    KEYS = ("officer.requests_title", "officer.requests_hint")

    signed_in_as = StringProperty("")
    _shown: tuple = ()
    pool: RowPool

    def on_kv_post(self, base_widget) -> None:
        self.pool = RowPool(self.ids.rows, lambda: DocumentRow(toggle_action=self.choose), blank_request_row, ready=3)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        tr = ctx.tr
        officer = state.officer
        self.signed_in_as = tr("officer.signed_in_as", name=officer.masked_name, officer=officer.officer_id) \
            if officer is not None and officer.officer_id else ""
        self.show_message(state, ctx)
        requests = officer.requests if officer is not None else ()
        key = (requests, tr.language)
        if key == self._shown:
            return
        self._shown = key
        for row, request in zip(self.pool.show(len(requests)), requests, strict=True):
            row.document_id = request.code
            row.title = request.initials
            row.detail = request_detail(request, tr)
            row.status_text = tr("officer.choose")
            row.selectable = True
            row.selected = False

    def choose(self, code: str) -> None:
        self.emit(OfficerRequestChosen, code=code)

    def cancel(self) -> None:
        self.emit(CancelPressed)

    def wipe(self) -> None:
        self.pool.clear()
        self._shown = ()
        self.signed_in_as = ""
