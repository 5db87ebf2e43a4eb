"""A fake ``evdev`` module: keyboard-wedge barcode readers as input devices (these machines have no
/dev/uinput, so real input events cannot be made). Only the library is faked; the driver above it is real.

A :class:`FakeKeyboard` is plugged in at a path; :meth:`FakeKeyboard.type` turns text into the key-down/up
events (with shift) a US-layout HID reader sends, and wakes ``select`` through a pipe like a real event fd.
"""

from __future__ import annotations

import errno
import os
import threading
import types
from dataclasses import dataclass

EV_SYN, EV_KEY = 0, 1
KEY_ENTER, KEY_LEFTSHIFT = 28, 42
#: Linux key codes of a US keyboard, row by row (the first code of each row, then its keys).
_ROWS = ((2, "1234567890-="), (16, "qwertyuiop[]"), (30, "asdfghjkl;'`"), (43, "\\zxcvbnm,./"), (57, " "))
_SHIFTED = str.maketrans("1234567890-=[];',./`\\", "!@#$%^&*()_+{}:\"<>?~|")
_CODES = {ch: (first + i, False) for first, row in _ROWS for i, ch in enumerate(row)}
_CODES |= {ch.translate(_SHIFTED): (code, True) for ch, (code, _) in list(_CODES.items())
           if ch.translate(_SHIFTED) != ch}
_CODES |= {ch.upper(): (code, True) for ch, (code, _) in list(_CODES.items()) if ch.isalpha()}


@dataclass(frozen=True)
class InputEvent:
    type: int
    code: int
    value: int  # 1 down, 0 up, 2 repeat


class FakeKeyboard:
    """One reader at ``path``: what it "scans" comes out as key events."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.grabbed = False
        self.plugged = True
        self._events: list[InputEvent] = []
        self._lock = threading.Lock()
        self._read_fd, self._write_fd = os.pipe()

    def type(self, text: str, enter: bool = True) -> None:
        events = []
        for ch in text:
            code, shift = _CODES[ch]
            if shift:
                events.append(InputEvent(EV_KEY, KEY_LEFTSHIFT, 1))
            events += [InputEvent(EV_KEY, code, 1), InputEvent(EV_SYN, 0, 0), InputEvent(EV_KEY, code, 0)]
            if shift:
                events.append(InputEvent(EV_KEY, KEY_LEFTSHIFT, 0))
        if enter:
            events += [InputEvent(EV_KEY, KEY_ENTER, 1), InputEvent(EV_KEY, KEY_ENTER, 0)]
        with self._lock:
            self._events += events
        os.write(self._write_fd, b"x")

    def unplug(self) -> None:
        self.plugged = False
        os.write(self._write_fd, b"x")  # a real fd turns readable, and read() fails with ENODEV

    def plug(self) -> None:
        self.plugged = True


class FakeEvdev(types.ModuleType):
    """Stands in for the ``evdev`` module: ``InputDevice(path)`` and ``ecodes``."""

    def __init__(self) -> None:
        super().__init__("evdev")
        self.keyboards: dict[str, FakeKeyboard] = {}
        self.ecodes = types.SimpleNamespace(EV_SYN=EV_SYN, EV_KEY=EV_KEY)
        module = self

        class InputDevice:
            def __init__(self, path: str) -> None:
                keyboard = module.keyboards.get(path)
                if keyboard is None or not keyboard.plugged:
                    raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
                self.keyboard, self.path, self.fd = keyboard, path, keyboard._read_fd

            def grab(self) -> None:
                self.keyboard.grabbed = True

            def read(self) -> list[InputEvent]:
                os.read(self.fd, 4096)
                if not self.keyboard.plugged:
                    raise OSError(errno.ENODEV, "No such device")
                with self.keyboard._lock:
                    events, self.keyboard._events = self.keyboard._events, []
                return events

            def close(self) -> None:
                self.keyboard.grabbed = False

        self.InputDevice = InputDevice

    def plug(self, path: str) -> FakeKeyboard:
        keyboard = self.keyboards.get(path) or FakeKeyboard(path)
        keyboard.plug()
        self.keyboards[path] = keyboard
        return keyboard
