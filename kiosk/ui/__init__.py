"""The Kivy touchscreen UI: renders :class:`kiosk.flow.FlowState`, turns touches into flow events.

:func:`prepare_kivy` must run before anything imports ``kivy.core.window``: Kivy reads its
configuration once, when the window is created.
"""

from __future__ import annotations

import os
from pathlib import Path


def prepare_kivy(*, width: int, height: int, fullscreen: bool, home: Path) -> None:
    """Lock Kivy down for a public kiosk, before its window exists.

    No console or file log (a resident's data could end up in one), no config file, no command-line
    parsing, no Escape-to-exit, no multitouch emulation, no settings panel, a private KIVY_HOME.
    """
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        KIVY_NO_ARGS="1",
        KIVY_NO_CONSOLELOG="1",
        KIVY_NO_FILELOG="1",
        KIVY_NO_CONFIG="1",
        KIVY_HOME=str(home),
        KIVY_LOG_MODE="PYTHON",
        # SDL would turn SIGTERM into a window-close request, which a kiosk refuses: let Python handle it.
        SDL_NO_SIGNAL_HANDLERS="1",
    )
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_enable", "0")
    Config.set("kivy", "keyboard_mode", "system")  # no Kivy virtual keyboard: our own keypads only
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    if fullscreen:
        # 'auto' fullscreen clips without a window manager; a borderless window of the screen's size does not.
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "fullscreen", "auto")
    else:
        Config.set("graphics", "borderless", "0")
        Config.set("graphics", "fullscreen", "0")
