"""The Kivy application: builds the screens, locks the window down, pumps events to the controller.

Kivy owns the main thread. Everything blocking happens in ``perform`` (off this thread); results
come back through :meth:`KioskApp.post`, which is safe to call from any thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.controller import Controller
from kiosk.flow import (
    AccessibilityToggled,
    CancelPressed,
    Event,
    ExtendTime,
    FlowState,
    HelpDismissed,
    HelpPressed,
    LanguageToggled,
    Screen,
    TechnicianOpened,
    Tick,
    Touched,
)
from kiosk.technician import TechnicianServices
from kiosk.ui.attract import AttractScreen
from kiosk.ui.base import KioskScreen
from kiosk.ui.closed import ClosedScreen
from kiosk.ui.confirm import ConfirmScreen
from kiosk.ui.documents import DocumentsScreen
from kiosk.ui.done import DoneScreen
from kiosk.ui.finger import FingerScreen
from kiosk.ui.keys import KeypadInput
from kiosk.ui.labels import fresh_label_textures
from kiosk.ui.navigator import STAFF_SCREENS, Navigator, Screens
from kiosk.ui.nik_entry import NikEntryScreen
from kiosk.ui.officer_check import OfficerCheckScreen
from kiosk.ui.officer_login import OfficerLoginScreen
from kiosk.ui.officer_requests import OfficerRequestsScreen
from kiosk.ui.out_of_service import OutOfServiceScreen
from kiosk.ui.pin_entry import PinEntryScreen
from kiosk.ui.pin_reset import PinResetScreen
from kiosk.ui.printing import PrintingScreen
from kiosk.ui.queue import QueueScreen
from kiosk.ui.renderer import flush_each_frame
from kiosk.ui.technician import TechnicianScreen
from kiosk.ui.theme import ACCESSIBLE_TEXT_SCALE, HIGH_CONTRAST, STANDARD
from kiosk.ui.verify import VerifyScreen
from kiosk.ui.warmup import SAMPLE_NIK, sample_states
from kiosk.ui.widgets.common import HelpButton, HelpPanel, IdleOverlay, StartCover
from kiosk.voice import SpeechLine

UI_DIR = Path(__file__).resolve().parent
SCREENS: dict[Screen, type[KioskScreen]] = {
    Screen.ATTRACT: AttractScreen,
    Screen.NIK_ENTRY: NikEntryScreen,
    Screen.PIN_ENTRY: PinEntryScreen,
    Screen.DOCUMENTS: DocumentsScreen,
    Screen.CONFIRM: ConfirmScreen,
    Screen.PRINTING: PrintingScreen,
    Screen.DONE: DoneScreen,
    Screen.OUT_OF_SERVICE: OutOfServiceScreen,
    Screen.CLOSED: ClosedScreen,
    Screen.TECHNICIAN: TechnicianScreen,
    Screen.QUEUE: QueueScreen,
    Screen.VERIFY: VerifyScreen,
    Screen.PIN_RESET: PinResetScreen,
    # the officer role
    Screen.OFFICER_LOGIN: OfficerLoginScreen,
    Screen.OFFICER_REQUESTS: OfficerRequestsScreen,
    Screen.OFFICER_CHECK: OfficerCheckScreen,
    Screen.FINGER: FingerScreen,
}
#: The accessibility mode's header band, in px at 1080 lines: it pushes every control below the top quarter.
ACCESSIBLE_REACH_BAND = 110
#: Keys a resident's keyboard could use to leave or reconfigure the app: Escape, F1, F4 (Alt+F4).
BLOCKED_KEYS = {27, 282, 285}
TICK_S = 0.25
#: Frames each screen is drawn at start: one to lay it out, one for the labels that the layout resized.
WARM_UP_FRAMES = 2


def load_kv() -> None:
    """Load the shared widget rules, then one .kv per screen."""
    fresh_label_textures()
    Builder.load_file(str(UI_DIR / "widgets" / "common.kv"))
    for kind in SCREENS.values():
        Builder.load_file(str(UI_DIR / f"{kind.__module__.rsplit('.', 1)[-1]}.kv"))


#: The technician's way in: hold the top-left corner (this many pixels at 1080 lines) for HOLD_S seconds.
CORNER_PX = 140
HOLD_S = 5.0


class KioskRoot(FloatLayout):
    """Screens underneath, the idle overlay on top; any touch counts as activity. A long press on the
    top-left corner opens the technician area (the flow allows it only from attract or out of service)."""

    def __init__(self, on_touch: Callable[[], None], on_corner_hold: Callable[[], None], **kwargs):
        super().__init__(**kwargs)
        self._on_touch = on_touch
        self._on_corner_hold = on_corner_hold
        self._hold = None

    def _in_corner(self, touch) -> bool:
        size = CORNER_PX * self.height / 1080
        return touch.x <= self.x + size and touch.y >= self.top - size

    def on_touch_up(self, touch):
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None
        return super().on_touch_up(touch)

    def on_touch_down(self, touch):
        # Children first: a touch on the idle warning must land on the warning, not on what the
        # warning covered (counting the touch as activity closes the warning).
        if self._in_corner(touch):
            self._hold = Clock.schedule_once(lambda _dt: self._on_corner_hold(), HOLD_S)
        handled = super().on_touch_down(touch)
        self._on_touch()
        return handled


class KioskApp(App):
    """``controller`` holds the flow; ``location`` and ``help_location`` come from config."""

    title = "Anjungan Dukcapil Mandiri"
    #: Scale: every size in the .kv files is in pixels at 1080 lines.
    u = NumericProperty(1.0)
    #: The look (kiosk.ui.theme): text scale, palette, and the accessibility mode's header band (px at 1080).
    fs = NumericProperty(1.0)
    c = ObjectProperty(STANDARD)
    accessible = BooleanProperty(False)
    reach_band = NumericProperty(ACCESSIBLE_REACH_BAND)
    mode_text = StringProperty("")

    def __init__(
        self,
        controller: Controller,
        *,
        location: str,
        help_location: str,
        help_location_en: str = "",
        on_first_frame: Callable[[], object] | None = None,
        on_tick: Callable[[], object] | None = None,
        technician: TechnicianServices | None = None,
        announce: Callable[[SpeechLine], None] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.controller = controller
        self.location = location
        self.help_location = help_location
        self.help_location_en = help_location_en
        self._on_first_frame = on_first_frame
        self._on_tick = on_tick
        self.technician = technician
        self.announce = announce
        self.navigator: Navigator | None = None
        self.screens = Screens(self._make_screen, self._drop_screen)
        self._manager: ScreenManager | None = None

    # ----- building
    def build(self):
        self.u = Window.height / 1080.0
        load_kv()
        # The screens' paper is the window's clear colour, not a rectangle each screen draws: a software
        # renderer clears a tile at a time, and filling the screen with a rectangle cost 8 ms per frame.
        Window.clearcolor = self.c.PAPER
        manager = self._manager = ScreenManager(transition=NoTransition())
        for state_screen in SCREENS:
            if state_screen not in STAFF_SCREENS:  # built when shown (kiosk.ui.navigator.Screens)
                self.screens[state_screen] = self._make_screen(state_screen)
        overlay = IdleOverlay(more_action=lambda: self._emit(ExtendTime), end_action=lambda: self._emit(CancelPressed))
        root = KioskRoot(on_touch=lambda: self._emit(Touched), on_corner_hold=lambda: self._emit(TechnicianOpened))
        # The call for help lies over every resident screen, under the idle warning (which stays on top).
        help_button = HelpButton(on_release=lambda *_a: self._emit(HelpPressed))
        help_panel = HelpPanel(close_action=lambda: self._emit(HelpDismissed))
        root.add_widget(manager)
        root.add_widget(help_button)
        root.add_widget(help_panel)
        root.add_widget(overlay)
        self.help_button, self.help_panel = help_button, help_panel
        self.navigator = Navigator(
            manager, self.screens, overlay, self.controller.flow.settings, self.location, self.help_location,
            on_look=self.set_look, help_location_en=self.help_location_en, help_button=help_button,
            help_panel=help_panel,
        )
        self._cover = StartCover(title=self.navigator.context(self.controller.state).tr("app.title"))
        root.add_widget(self._cover)
        Window.bind(on_request_close=lambda *_a, **_k: True, on_keyboard=self._on_keyboard)
        self.keys = KeypadInput(
            root, screen=lambda: self.screens[self.controller.state.screen],
            overlay=lambda: overlay if overlay.active else (help_panel if help_panel.active else None),
            on_activity=lambda: self._emit(Touched),
            on_accessibility=self._star_key, on_language=lambda: self._emit(LanguageToggled),
            extra=lambda: [help_button] if not help_button.disabled else [],
            scale=lambda: self.u, colours=lambda: (self.c.INK, self.c.MARK))
        Window.bind(on_key_down=self.keys.on_key_down)
        flush_each_frame(Window)
        return root

    def _make_screen(self, state_screen: Screen) -> KioskScreen:
        assert self._manager is not None, "screens are made once the app is built"
        screen = SCREENS[state_screen](name=state_screen.value)
        screen.emit_callback = self.controller.dispatch
        screen.announce_callback = self.announce
        if isinstance(screen, TechnicianScreen):
            screen.services = self.technician
        self._manager.add_widget(screen)
        return screen

    def _drop_screen(self, screen: KioskScreen) -> None:
        assert self._manager is not None
        self._manager.remove_widget(screen)
        screen.close()

    def on_start(self) -> None:
        """Draw every resident screen once under the cover, then a made-up session (:mod:`kiosk.ui.warmup`),
        then follow the flow. The first resident then waits for no screen's first layout and drawing."""
        assert self.navigator is not None
        ctx = self.navigator.context(self.controller.state)
        manager = self.navigator.manager
        for screen in self.screens.values():
            screen.translate(ctx)
            manager.current = screen.name
            self._frames(WARM_UP_FRAMES)
        self.screens[Screen.NIK_ENTRY].digits = SAMPLE_NIK[:6]
        self.screens[Screen.PIN_ENTRY].pin = SAMPLE_NIK[:3]
        for state in sample_states(self.controller.state):
            self.navigator.show(None, state)
            self._frames(WARM_UP_FRAMES)
        for screen in self.screens.values():
            screen.wipe()
        self.root.remove_widget(self._cover)
        self.controller.subscribe(self.navigator.show)
        self.controller.subscribe(self._follow_focus)
        self.navigator.show(None, self.controller.state)
        Clock.schedule_interval(self._tick, TICK_S)
        if self._on_first_frame:
            Clock.schedule_once(lambda _dt: self._on_first_frame(), 0)

    def _follow_focus(self, old: FlowState, new: FlowState) -> None:
        """A new screen starts without a focus; on the same screen the outline follows its control."""
        if old.screen is not new.screen or (old.idle_warning_since is None) != (new.idle_warning_since is None):
            self.keys.clear()
        else:
            Clock.schedule_once(lambda _dt: self.keys.draw(), 0)  # after the layout moved

    def set_look(self, accessible: bool, mode_text: str) -> None:
        """The accessibility mode's look (1.5x text, high contrast, controls low) or the standard one."""
        self.mode_text = mode_text
        if accessible == self.accessible:
            return
        self.accessible = accessible
        self.fs = ACCESSIBLE_TEXT_SCALE if accessible else 1.0
        self.c = HIGH_CONTRAST if accessible else STANDARD
        Window.clearcolor = self.c.PAPER

    @staticmethod
    def _frames(count: int) -> None:
        for _ in range(count):
            EventLoop.idle()

    def open_settings(self, *args) -> bool:  # F1 and the settings panel stay shut
        return False

    def on_request_close(self, *args, **kwargs) -> bool:  # the window close button does nothing
        return True

    @staticmethod
    def _on_keyboard(_window, key, *_args) -> bool:
        return key in BLOCKED_KEYS  # True = handled: Kivy takes no further action

    # ----- events
    def _star_key(self) -> None:
        """The keypad's '*': the accessibility mode on the attract screen, 'Panggil petugas' everywhere else."""
        self._emit(AccessibilityToggled if self.controller.state.screen is Screen.ATTRACT else HelpPressed)

    def _emit(self, event_type: Callable[..., Event]) -> None:
        self.controller.dispatch(event_type(now=time.monotonic()))

    def post(self, event: Event) -> None:
        """Deliver an event from any thread on the main thread."""
        Clock.schedule_once(lambda _dt: self.controller.dispatch(event), 0)

    def post_stop(self) -> None:
        """Stop the app from a signal handler or another thread."""
        Clock.schedule_once(lambda _dt: self.stop(), 0)

    def _tick(self, _dt: float) -> None:
        self.controller.dispatch(Tick(now=time.monotonic()))
        state = self.controller.state
        if self.navigator and (state.idle_warning_since is not None or state.screen is Screen.DONE):
            self.navigator.show(None, state)  # countdowns move without a state change
        elif self.navigator and state.help_called_at is not None:
            self.navigator.show_help(state)  # 'already called' turns back into 'Panggil petugas' in time
        if self._on_tick:
            self._on_tick()
