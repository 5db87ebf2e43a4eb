"""The touch robot: uses the real app as a resident would, finding what is on screen, tapping it, looking at it.

Used by the headless demo (:mod:`kiosk.demo.script`) and the UI tests, never by the kiosk itself. Taps go
through the window like a finger's (:class:`Touch`), so a button that is hidden, disabled or covered cannot
be pressed by a script either.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.graphics import opengl as GL
from kivy.input.motionevent import MotionEvent
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget
from PIL import Image

from kiosk.ui.widgets.tree import visible, walk

D = TypeVar("D")


def simulated(device: object, driver: type[D]) -> D:
    """A device of the demo's config as its simulated driver, whose faults and records the script uses."""
    if not isinstance(device, driver):
        raise TypeError(f"the demo needs {driver.__name__}, not {type(device).__name__}")
    return device


class Touch(MotionEvent):
    """One finger on the window at (x, y) pixels: ``touch_down()``, ``touch_move(x, y)``, ``touch_up()``.

    The same as Kivy's ``kivy.tests.common.UnitTestTouch``, which the demo cannot use: that module imports
    pytest, which an installed kiosk does not have."""

    def __init__(self, x: float, y: float):
        super().__init__("Touch", 99, self._position(x, y), is_touch=True, type_id="touch")
        self.profile = ["pos"]

    @staticmethod
    def _position(x: float, y: float) -> dict[str, float]:
        return {"x": x / (EventLoop.window.width - 1.0), "y": y / (EventLoop.window.height - 1.0)}

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def touch_down(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def touch_move(self, x: float, y: float) -> None:
        self.move(self._position(x, y))
        EventLoop.post_dispatch_input("update", self)

    def touch_up(self) -> None:
        EventLoop.post_dispatch_input("end", self)


def find_button(root: Widget, text: str) -> Button:
    """The enabled, visible button showing exactly ``text``."""
    matches = [w for w in walk(root) if isinstance(w, Button) and w.text == text and visible(w) and not w.disabled]
    if not matches:
        shown = sorted({w.text for w in walk(root) if isinstance(w, Button) and w.text})
        raise LookupError(f"no enabled button {text!r}; buttons: {shown}")
    return matches[0]


def tap(widget: Widget) -> None:
    """Press and release at the widget's centre, through the window (after a frame, so a widget made
    just now has its place)."""
    frames(1)
    x, y = widget.to_window(*widget.center)
    touch = Touch(x, y)
    touch.touch_down()
    touch.touch_up()
    frames(2)


def key(code: int, modifiers: list[str] | None = None) -> None:
    """One key press and release on the window, as a USB keypad sends it (Kivy key codes: 13 Enter, 270 keypad +)."""
    Window.dispatch("on_key_down", code, 0, None, modifiers or [])
    Window.dispatch("on_keyboard", code, 0, None, modifiers or [])
    Window.dispatch("on_key_up", code, 0)
    frames(1)


def frames(count: int = 1) -> None:
    for _ in range(count):
        EventLoop.idle()


def screenshot(path: Path) -> Path:
    """Write the current frame to ``path`` (Kivy numbers its file names; we keep ours)."""
    frames(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = (int(n) for n in Window.size)
    # The window's pixels, bottom row first; Pillow's fastest PNG level (a third of the time of SDL_image's save).
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    pixels = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGB", (width, height), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    image.save(path, compress_level=1)
    return path


def overflowing(root: Widget, slack: float = 2.0) -> list[str]:
    """Texts that do not fit their widget (texture larger than the box), as 'text' descriptions."""
    problems = []
    for widget in walk(root):
        if not isinstance(widget, Label) or not widget.text or not visible(widget):
            continue
        widget.texture_update()
        tw, th = widget.texture_size
        if widget.shorten:
            continue  # shortened on purpose (the header's title)
        if tw > widget.width + slack or th > widget.height + slack:
            box = f"{widget.width:.0f}x{widget.height:.0f}"
            problems.append(f"{widget.text[:40]!r}: text {tw:.0f}x{th:.0f} > box {box}")
    return problems


def _window_rect(widget: Widget) -> tuple[float, float, float, float]:
    """The part of ``widget`` on the window (x0, y0, x1, y1): clipped by any ScrollView it lies in."""
    from kivy.uix.scrollview import ScrollView

    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = x0 + widget.width, y0 + widget.height
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            sx0, sy0 = node.to_window(node.x, node.y)
            x0, y0, x1, y1 = max(x0, sx0), max(y0, sy0), min(x1, sx0 + node.width), min(y1, sy0 + node.height)
        node = node.parent
    return x0, y0, x1, y1


def _inside(widget: Widget, outer: Widget) -> bool:
    node = widget.parent
    while node is not None and node is not node.parent:
        if node is outer:
            return True
        node = node.parent
    return False


def _on_overlay(widget: Widget) -> bool:
    node = widget
    while node is not None and node is not node.parent:
        if type(node).__name__ in ("IdleOverlay", "HelpPanel"):
            return True
        node = node.parent
    return False


def overlapping(root: Widget, slack: float = 2.0) -> list[str]:
    """Texts drawn over one another (a layout with too little room squeezes its labels on top of each other)."""
    labels = [w for w in walk(root) if isinstance(w, Label) and w.text and visible(w)]
    rects = [(w, _window_rect(w)) for w in labels]
    problems = []
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            if _inside(a, b) or _inside(b, a):
                continue  # one inside the other (a button's own label)
            if _on_overlay(a) != _on_overlay(b):
                continue  # the idle warning and the help panel cover the screen on purpose
            width = min(ra[2], rb[2]) - max(ra[0], rb[0])
            height = min(ra[3], rb[3]) - max(ra[1], rb[1])
            if width > slack and height > slack:
                problems.append(f"{a.text[:30]!r} over {b.text[:30]!r} by {height:.0f} px")
    return problems


def wait_until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Run frames until ``condition()`` holds; raise TimeoutError naming ``what`` after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        EventLoop.idle()
        time.sleep(0.01)
