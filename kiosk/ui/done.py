"""Done: take your documents; what failed and whom to ask; logs out by itself."""

from __future__ import annotations

import math

from kivy.properties import BooleanProperty, StringProperty

from kiosk.flow import CancelPressed, FlowState, Phase, RatingGiven
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.documents import doc_title
from kiosk.ui.printing import phase_text


class DoneScreen(KioskScreen):
    KEYS = ("done.title", "rating.1", "rating.2", "rating.3", "rating.4")

    summary = StringProperty("")
    take_text = StringProperty("")
    slip_text = StringProperty("")
    failed_text = StringProperty("")
    countdown = StringProperty("")
    any_failed = BooleanProperty(False)
    rating_text = StringProperty("")
    rated = BooleanProperty(False)

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        docs = {d.id: d for d in state.documents}
        lines = []
        for progress in state.progress:
            title = doc_title(docs[progress.id], ctx.tr) if progress.id in docs else ""
            lines.append(f"{title}: {phase_text(progress.phase, progress.error, ctx.tr)}")
        self.summary = "\n".join(lines)
        self.any_failed = any(p.phase is Phase.FAILED for p in state.progress)
        any_done = any(p.phase is Phase.DONE for p in state.progress)
        self.take_text = ctx.tr("done.take") if any_done else ctx.tr("done.none_printed")
        self.slip_text = ctx.tr("done.take_slip") if state.slip_printed else ""
        if self.any_failed:
            self.failed_text = ctx.tr("done.some_failed" if any_done else "done.ask_help", help=ctx.help_location)
        else:
            self.failed_text = ""
        self.rated = state.rated is not None
        self.rating_text = ctx.tr("rating.thanks" if self.rated else "rating.question")
        if state.done_since is not None:
            left = max(0, math.ceil(ctx.settings.done_logout_s - (ctx.now - state.done_since)))
            self.countdown = ctx.tr("done.logout", seconds=left)

    def rate(self, score: int) -> None:
        """One tap on a face: the anonymous satisfaction rating (optional)."""
        self.emit(RatingGiven, score=score)

    def finish(self) -> None:
        self.emit(CancelPressed)

    def wipe(self) -> None:
        self.summary = ""
        self.failed_text = ""
