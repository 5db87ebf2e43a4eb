"""What the kiosk shows when its config cannot be used: the problems, on the screen, for the technician.

A kiosk that exited on a bad config would restart in a loop behind a black screen; this one stays up,
tells systemd it is ready (with the reason in its status) and keeps the watchdog fed, until the config
is fixed and the service restarted (the hooks come from :func:`kiosk.assembly.show_config_problems`).
Config problems name keys and files, never secrets.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

MAX_LINES = 12
TICK_S = 0.5


def show_config_error(problems: list[str], *, on_shown: Callable[[], object] | None = None,
                      on_tick: Callable[[], object] | None = None) -> int:
    """Run a full-screen page listing ``problems`` until SIGTERM; returns the exit code (2).

    Kivy must be configured first (:func:`kiosk.ui.prepare_kivy`). ``on_shown`` runs once the page is up,
    ``on_tick`` every half second on the UI clock (a hung main thread stops it)."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.factory import Factory
    from kivy.lang import Builder
    from kivy.properties import NumericProperty, ObjectProperty, StringProperty

    from kiosk.i18n import Translator
    from kiosk.ui.theme import STANDARD

    tr = Translator("id")
    shown = problems[:MAX_LINES] + ([f"... (+{len(problems) - MAX_LINES})"] if len(problems) > MAX_LINES else [])
    ui = Path(__file__).resolve().parent
    Builder.load_file(str(ui / "widgets" / "common.kv"))
    Builder.load_file(str(ui / "config_error.kv"))

    class ConfigErrorApp(App):
        title = "Anjungan Dukcapil Mandiri"
        u = NumericProperty(1.0)
        fs = NumericProperty(1.0)  # the shared widgets' look (kiosk.ui.theme): always the standard one here
        c = ObjectProperty(STANDARD)
        heading = StringProperty(tr("config.title"))
        body = StringProperty(tr("config.body"))
        details = StringProperty("\n".join(shown))

        def build(self):
            self.u = Window.height / 1080.0
            Window.bind(on_request_close=lambda *_a, **_k: True, on_keyboard=lambda *_a: True)
            if on_tick:
                Clock.schedule_interval(lambda _dt: on_tick(), TICK_S)
            if on_shown:
                Clock.schedule_once(lambda _dt: on_shown(), 0)
            return Factory.ConfigErrorPage()

        def open_settings(self, *args) -> bool:
            return False

    app = ConfigErrorApp()
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop(), 0))
    app.run()
    return 2
