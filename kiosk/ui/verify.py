"""Document verification: scan the QR on a document; green (valid), yellow (replaced), red (not genuine)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.flow import BackPressed, CancelPressed, FlowState
from kiosk.service_model import VerifyOutcome
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import long_date

#: Panel colour and text colour per outcome; text contrast is at least 4.5:1 on each.
COLOURS = {
    VerifyOutcome.ACTIVE: ((0.05, 0.45, 0.20, 1), (1, 1, 1, 1)),
    VerifyOutcome.SUPERSEDED: ((0.98, 0.80, 0.18, 1), (0.09, 0.11, 0.14, 1)),
    VerifyOutcome.UNKNOWN: ((0.70, 0.07, 0.07, 1), (1, 1, 1, 1)),
}


class VerifyScreen(KioskScreen):
    KEYS = ("verify.title", "verify.hint", "verify.again", "common.busy")

    phase = StringProperty("scan")  # scan | result
    outcome = StringProperty("")  # active | superseded | unknown (tests and the demo read it)
    busy = BooleanProperty(False)
    headline = StringProperty("")
    document = StringProperty("")
    advice = StringProperty("")
    panel_rgba = ListProperty([1, 1, 1, 1])
    panel_text_rgba = ListProperty([0, 0, 0, 1])

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        self.busy = state.busy
        self.show_message(state, ctx)
        info = state.verification
        self.phase = "result" if info is not None else "scan"
        if info is None:
            self.outcome = ""
            return
        tr = ctx.tr
        self.outcome = info.outcome.value
        self.panel_rgba, self.panel_text_rgba = (list(c) for c in COLOURS[info.outcome])
        self.headline = tr(f"verify.{info.outcome.value}")
        if info.outcome is VerifyOutcome.UNKNOWN:
            self.document = ""
        else:
            kind = info.title_in(tr.language)  # the service's title: any type reads well
            self.document = tr("verify.document", type=kind, date=long_date(info.issued, tr.language))
            if info.masked_name:
                self.document += "\n" + info.masked_name
        self.advice = tr(f"verify.{info.outcome.value}_detail", help=ctx.help_location)

    def back(self) -> None:
        self.emit(BackPressed)

    def finish(self) -> None:
        self.emit(CancelPressed)
