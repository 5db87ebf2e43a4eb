"""The one place that decides which screen shows: it follows FlowState.screen."""

from __future__ import annotations

import time
from collections.abc import Callable

from kivy.uix.screenmanager import ScreenManager

from kiosk.flow import OFFICER_SCREENS, FlowSettings, FlowState, HelpStatus, Screen
from kiosk.flow_help import call_on_its_way, help_offered
from kiosk.i18n import Translator
from kiosk.ui.base import KioskScreen, ViewContext
from kiosk.ui.widgets.common import HelpButton, HelpPanel, IdleOverlay

#: Screens only staff see. They are built when first shown, not at start, and let go when the staff member
#: leaves: their widgets and textures are 13 MB (RSS at READY 239.5 -> 226.2 MB) a resident never needs.
TECHNICIAN_SCREENS = frozenset({Screen.TECHNICIAN})
STAFF_SCREENS = TECHNICIAN_SCREENS | OFFICER_SCREENS


class Screens(dict[Screen, KioskScreen]):
    """The app's screens by flow screen. A screen not built yet (a staff screen) is built by ``make`` on first
    use, by ``[]`` or :meth:`get`; :meth:`release` lets staff screens go once their visit is over."""

    def __init__(self, make: Callable[[Screen], KioskScreen], drop: Callable[[KioskScreen], None]):
        super().__init__()
        self._make = make
        self._drop = drop

    def __missing__(self, key: Screen) -> KioskScreen:
        screen = self[key] = self._make(key)
        return screen

    def get(self, key: Screen, default: KioskScreen | None = None) -> KioskScreen | None:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:  # a screen no class draws
            return default

    def release(self, state: FlowState) -> None:
        """Let go of the technician's screen once the technician has left it, and the officer's once the
        officer's visit has ended; never the screen ``state`` shows."""
        done = set(TECHNICIAN_SCREENS) if state.screen not in TECHNICIAN_SCREENS else set()
        if state.officer is None:
            done |= OFFICER_SCREENS
        for key in done.intersection(self) - {state.screen}:
            screen = self.pop(key)
            screen.wipe()
            self._drop(screen)


class Navigator:
    """Renders a state: the right screen, in the right language, with the idle overlay when due."""

    def __init__(
        self,
        manager: ScreenManager,
        screens: Screens,
        overlay: IdleOverlay,
        settings: FlowSettings,
        location: str,
        help_location: str,
        on_look: Callable[[bool, str], None] | None = None,
        *,
        help_location_en: str = "",
        help_button: HelpButton | None = None,
        help_panel: HelpPanel | None = None,
    ):
        self.manager = manager
        self.screens = screens
        self.overlay = overlay
        self.settings = settings
        self.location = location
        self.help_location = help_location
        self.help_location_en = help_location_en
        self.help_button = help_button
        self.help_panel = help_panel
        self._translators = {lang: Translator(lang) for lang in ("id", "en")}
        self._on_look = on_look

    def context(self, state: FlowState) -> ViewContext:
        return ViewContext(
            tr=self._translators.get(state.language, self._translators["id"]),
            now=time.monotonic(),
            settings=self.settings.for_resident(state.longer_timeouts),
            location=self.location,
            help_location=self.help_location_en if state.language == "en" and self.help_location_en
            else self.help_location,
        )

    def show(self, old: FlowState | None, state: FlowState) -> None:
        if old is not None and old.in_session and not state.in_session:
            for each in self.screens.values():
                each.wipe()
        ctx = self.context(state)
        if self._on_look is not None:
            # In the mode the header holds no control: it says which key calls for help instead.
            hint = help_offered(state) and state.screen is not Screen.ATTRACT
            self._on_look(state.accessible and state.screen is not Screen.TECHNICIAN,
                          ctx.tr("a11y.on") + (f" · {ctx.tr('help.keypad')}" if hint else ""))
        screen = self.screens.get(state.screen)
        if screen is not None:
            screen.translate(ctx)
            screen.render(state, ctx)
            if self.manager.current != screen.name:
                self.manager.current = screen.name
        self.screens.release(state)
        self._overlay(state, ctx)
        self.show_help(state, ctx)

    def show_help(self, state: FlowState, ctx: ViewContext | None = None) -> None:
        """The 'Panggil petugas' button (its words say when a call is on its way) and the help panel."""
        ctx = ctx or self.context(state)
        button, panel = self.help_button, self.help_panel
        if button is not None:
            button.shown = help_offered(state)
            on_its_way = call_on_its_way(state, ctx.settings, ctx.now)
            button.text = ctx.tr("help.on_its_way" if on_its_way else "help.call")
        if panel is not None:
            status = state.help if help_offered(state) else None
            panel.active = status is not None
            if status is not None:
                panel.title = ctx.tr(f"help.{status.value}.title")
                panel.body = ctx.tr(f"help.{status.value}.body", help=ctx.help_location)
                panel.close_text = ctx.tr("help.close")
                panel.severity = "error" if status is HelpStatus.FAILED else "info"

    def _overlay(self, state: FlowState, ctx: ViewContext) -> None:
        since = state.idle_warning_since
        self.overlay.active = since is not None
        if since is not None:
            left = max(0, int(round(ctx.settings.idle_logout_s - (ctx.now - since))))
            self.overlay.title = ctx.tr("idle.title")
            self.overlay.body = ctx.tr("idle.body", seconds=left)
            self.overlay.more_text = ctx.tr("idle.more")
            self.overlay.end_text = ctx.tr("idle.end")
