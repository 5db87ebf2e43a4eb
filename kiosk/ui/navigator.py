"""The one place that decides which screen shows: it follows FlowState.screen."""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.uix.screenmanager import ScreenManager

from kiosk.flow import FlowSettings, FlowState, Screen
from kiosk.i18n import Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.widgets.common import IdleOverlay


class Navigator:
    """Renders a state: the right screen, in the right language, with the idle overlay when due."""

    def __init__(
        self,
        manager: ScreenManager,
        screens: dict[Screen, KioskScreen],
        overlay: IdleOverlay,
        settings: FlowSettings,
        location: str,
        help_location: str,
        on_look: Callable[[bool, str], None] | None = None,
    ):
        self.manager = manager
        self.screens = screens
        self.overlay = overlay
        self.settings = settings
        self.location = location
        self.help_location = help_location
        self._translators = {lang: Translator(lang) for lang in ("id", "en")}
        self._on_look = on_look

    def context(self, state: FlowState) -> ViewContext:
        return ViewContext(
            tr=self._translators.get(state.language, self._translators["id"]),
            now=time.monotonic(),
            settings=self.settings.for_resident(state.accessible),
            location=self.location,
            help_location=self.help_location,
        )

    def show(self, old: FlowState | None, state: FlowState) -> None:
        if old is not None and old.in_session and not state.in_session:
            for each in self.screens.values():
                each.wipe()
        ctx = self.context(state)
        if self._on_look is not None:
            self._on_look(state.accessible and state.screen is not Screen.TECHNICIAN, ctx.tr("a11y.on"))
        screen = self.screens.get(state.screen)
        if screen is not None:
            screen.translate(ctx)
            screen.render(state, ctx)
            if self.manager.current != screen.name:
                self.manager.current = screen.name
        self._overlay(state, ctx)

    def _overlay(self, state: FlowState, ctx: ViewContext) -> None:
        since = state.idle_warning_since
        self.overlay.active = since is not None
        if since is not None:
            left = max(0, int(round(ctx.settings.idle_logout_s - (ctx.now - since))))
            self.overlay.title = ctx.tr("idle.title")
            self.overlay.body = ctx.tr("idle.body", seconds=left)
            self.overlay.more_text = ctx.tr("idle.more")
            self.overlay.end_text = ctx.tr("idle.end")
