"""The Kivy touchscreen UI: renders :class:`kiosk.flow.FlowState`, turns touches into flow events.

Kivy only: the app, the navigator, one module and one .kv per screen, widgets. What the UI needs (the
controller, the technician's services, systemd's hooks) is handed in by :mod:`kiosk.assembly`; the demo
that drives it lives in :mod:`kiosk.demo`.

:func:`prepare_kivy` must run before anything imports ``kivy.core.window``: Kivy reads its
configuration once, when the window is created.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

#: glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Blocks this large or larger are mapped on their own and given back to the system when freed.
MMAP_THRESHOLD = 64 * 1024


def return_freed_memory() -> bool:
    """Hand memory back to the system once freed, instead of keeping it for later.

    The software renderer and the label textures allocate and free many blocks of 64 KB to a few MB; with
    glibc's default, which raises its mmap threshold after each such free, they stayed in the heap and the
    UI process grew by 14 MB more over a few sessions (bench/stall.py). False where the C library is not glibc.
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD))


def prepare_kivy(*, width: int, height: int, fullscreen: bool, home: Path) -> None:
    """Lock Kivy down for a public kiosk, before its window exists.

    No console or file log (a resident's data could end up in one), no config file, no command-line
    parsing, no Escape-to-exit, no multitouch emulation, no settings panel, a private KIVY_HOME.
    """
    home.mkdir(parents=True, exist_ok=True)
    return_freed_memory()
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
