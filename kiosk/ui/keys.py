"""A physical keypad (a USB numeric keypad, HID) operating every resident screen through Kivy's keyboard input.

The keys (README, "Physical keypad"):

- ``0``-``9`` (top row or keypad): a digit on the NIK, PIN and booking keypads.
- Backspace or the keypad's ``.``/Del: delete the last digit.
- Enter or the keypad's Enter: press the control that has the focus; with none, the screen's main button
  (the blue one: Mulai, Lanjut, Cetak, Ya, cetak, Selesai, Tambah waktu).
- The keypad's ``+``, Tab, arrow down or right: the focus to the next control; ``-``, Shift+Tab, arrow up or
  left: to the previous one. The focused control has a thick outline, in reading order.
- The keypad's ``*``: the accessibility mode on or off on the attract screen; on every other resident screen
  'Panggil petugas' (the call for help). The keypad's ``/``: the language.
- Escape, F1 and Alt+F4 stay blocked (:data:`kiosk.ui.app.BLOCKED_KEYS`).

Every key counts as activity (the idle timer starts again), like a touch.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.clock import Clock
from kivy.graphics import Color, InstructionGroup, Line
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.ui.widgets.tree import visible, walk

DIGITS = {**{48 + n: str(n) for n in range(10)}, **{256 + n: str(n) for n in range(10)}}
BACKSPACE = {8, 266, 127}  # backspace, keypad '.'/Del, Delete
ENTER = {13, 271}
NEXT = {270, 9, 274, 275}  # keypad '+', Tab, down, right
PREVIOUS = {269, 273, 276}  # keypad '-', up, left (Shift+Tab: Tab with shift)
ACCESSIBILITY = 268  # keypad '*'
LANGUAGE = 267  # keypad '/'
#: Width of the focus outline, in px at 1080 lines.
FOCUS_WIDTH = 5


def is_primary(widget: Widget) -> bool:
    """The screen's main button: the kv class BigButton (blue)."""
    return type(widget).__name__ == "BigButton"


class KeypadInput:
    """Turns key presses into what a finger would do on the shown screen (or the idle warning over it).

    ``screen()`` gives the shown screen widget, ``overlay()`` the idle warning when it is up (else None),
    ``on_activity()`` is told of every key, ``on_accessibility()`` and ``on_language()`` of those keys.
    """

    def __init__(self, root: Widget, screen: Callable[[], Widget], overlay: Callable[[], Widget | None],
                 on_activity: Callable[[], None], on_accessibility: Callable[[], None],
                 on_language: Callable[[], None], scale: Callable[[], float],
                 colours: Callable[[], tuple[tuple, tuple]], extra: Callable[[], list[Widget]] | None = None):
        self.root = root
        self._screen = screen
        self._overlay = overlay
        self._on_activity = on_activity
        self._on_accessibility = on_accessibility
        self._on_language = on_language
        self._scale = scale
        self._colours = colours
        #: Controls laid over the screens that the focus visits too ('Panggil petugas'), when shown.
        self._extra = extra or (lambda: [])
        self.focused: Widget | None = None
        self._outline = InstructionGroup()
        root.canvas.after.add(self._outline)

    # ----- what can be focused
    def area(self) -> Widget:
        """Where the keys act: the idle warning when it is up, else the shown screen."""
        return self._overlay() or self._screen()

    def controls(self) -> list[Widget]:
        """Enabled, visible buttons of the area, in reading order (top to bottom, left to right).

        The on-screen keypad's digit keys are left out: the physical keys type digits directly."""
        area = self.area()
        extra = self._extra() if area is self._screen() else []
        found = [w for top in (area, *extra) for w in walk(top) if isinstance(w, ButtonBehavior) and visible(w)
                 and not getattr(w, "disabled", False) and not _is_digit_key(w)]
        return sorted(found, key=lambda w: (-round(w.to_window(w.x, w.top)[1]), round(w.to_window(w.x, w.y)[0])))

    # ----- keys
    def on_key_down(self, _window, key: int, _scancode, _codepoint, modifiers) -> bool:
        """Kivy's Window on_key_down; True when the key was used."""
        screen = self.area()
        if self._overlay() is None:
            self._on_activity()  # over the idle warning a key answers it, like a finger on its buttons
        if key in DIGITS and hasattr(screen, "on_key") and screen is self._screen():
            screen.on_key(DIGITS[key])
        elif key in BACKSPACE and hasattr(screen, "on_key") and screen is self._screen():
            screen.on_key("delete")
        elif key in ENTER:
            self.press()
        elif key in NEXT and not (key == 9 and "shift" in (modifiers or ())):
            self.move(+1)
        elif key in PREVIOUS or (key == 9 and "shift" in (modifiers or ())):
            self.move(-1)
        elif key == ACCESSIBILITY:
            self._on_accessibility()
        elif key == LANGUAGE:
            self._on_language()
        else:
            return False
        return True

    def move(self, step: int) -> None:
        """The focus to the next (``+1``) or previous (``-1``) control, round the end."""
        controls = self.controls()
        if not controls:
            self.clear()
            return
        if self.focused in controls:
            index = (controls.index(self.focused) + step) % len(controls)
        else:
            index = 0 if step > 0 else len(controls) - 1
        self.focus(controls[index])

    def press(self) -> None:
        """Press the focused control, or the screen's main one when nothing has the focus."""
        controls = self.controls()
        target = self.focused if self.focused in controls else next((w for w in controls if is_primary(w)), None)
        if target is not None:
            target.trigger_action(duration=0)

    def focus(self, widget: Widget) -> None:
        self.focused = widget
        scroller = next((p for p in _parents(widget) if isinstance(p, ScrollView)), None)
        if scroller is not None and not _shown_whole(widget, scroller):
            scroller.scroll_to(widget, padding=10, animate=False)
        self.draw()
        Clock.schedule_once(lambda _dt: self.draw(), 0)  # again once the layout (or the scroll) has moved it

    def clear(self) -> None:
        """No focus (a new screen starts without one)."""
        self.focused = None
        self._outline.clear()

    def draw(self) -> None:
        """The outline around the focused control, where it is now."""
        self._outline.clear()
        widget = self.focused
        if widget is None or widget not in self.controls():
            self.focused = None
            return
        x, y = widget.to_window(widget.x, widget.y)
        width = FOCUS_WIDTH * self._scale()
        outer, inner = self._colours()  # dark on light, light on dark: seen on any background
        for colour, grow in ((outer, 2 * width), (inner, width)):
            self._outline.add(Color(*colour))
            self._outline.add(Line(rectangle=(x - grow, y - grow, widget.width + 2 * grow, widget.height + 2 * grow),
                                   width=width / 2 if colour is inner else width))


def _parents(widget: Widget):
    node = widget.parent
    while node is not None and node is not node.parent:
        yield node
        node = node.parent


def _shown_whole(widget: Widget, scroller: ScrollView) -> bool:
    x, y = widget.to_window(widget.x, widget.y)
    sx, sy = scroller.to_window(scroller.x, scroller.y)
    return sy <= y and y + widget.height <= sy + scroller.height and sx <= x and x + widget.width <= sx + scroller.width


def _is_digit_key(widget: Widget) -> bool:
    return type(widget).__name__ == "KeyButton" and len(getattr(widget, "text", "")) == 1
