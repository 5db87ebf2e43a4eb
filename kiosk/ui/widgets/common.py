"""Shared widgets: the keypad, the PIN dots, the idle overlay, the call for help and the rows of document lists."""

from __future__ import annotations

from collections.abc import Callable

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget


class Keypad(GridLayout):
    """A 3x4 numeric keypad of large keys. It never opens a system keyboard and holds no text itself:
    ``on_key`` reports digits, 'delete' and 'clear' to whoever owns the value."""

    delete_text = StringProperty("Hapus")
    clear_text = StringProperty("Hapus semua")
    enabled = BooleanProperty(True)

    __events__ = ("on_key",)

    def on_key(self, key: str) -> None:
        pass

    def press(self, key: str) -> None:
        if self.enabled:
            self.dispatch("on_key", key)


class PinDots(Widget):
    """``length`` circles, the first ``filled`` of them solid: how many PIN digits were typed, never which."""

    length = NumericProperty(6)
    filled = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, filled=self._draw, length=self._draw)

    def _draw(self, *_args) -> None:
        self.canvas.clear()
        count = int(self.length)
        if count <= 0 or self.width <= 0:
            return
        diameter = min(self.height, self.width / (count * 1.6))
        gap = (self.width - count * diameter) / (count + 1)
        y = self.y + (self.height - diameter) / 2
        with self.canvas:
            for i in range(count):
                x = self.x + gap + i * (diameter + gap)
                Color(0.043, 0.31, 0.54, 1)
                if i < self.filled:
                    Ellipse(pos=(x, y), size=(diameter, diameter))
                else:
                    Line(ellipse=(x, y, diameter, diameter), width=max(1.5, diameter / 14))


class StartCover(FloatLayout):
    """What the screen shows while the app draws every screen once at start; it takes every touch."""

    title = StringProperty("")

    def on_touch_down(self, touch):
        return True

    def on_touch_move(self, touch):
        return True

    def on_touch_up(self, touch):
        return True


class ModalLayer(FloatLayout):
    """A layer over the screens that, while ``active``, takes every touch (nothing underneath gets one)."""

    active = BooleanProperty(False)

    def on_touch_down(self, touch):  # while shown, nothing underneath takes touches
        if not self.active:
            return False
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch):
        return self.active and super().on_touch_move(touch) or self.active

    def on_touch_up(self, touch):
        if not self.active:
            return False
        super().on_touch_up(touch)
        return True


class IdleOverlay(ModalLayer):
    """The 'Masih di sana?' warning laid over any screen, with its countdown."""

    title = StringProperty("")
    body = StringProperty("")
    more_text = StringProperty("")
    end_text = StringProperty("")
    more_action = ObjectProperty(None, allownone=True)
    end_action = ObjectProperty(None, allownone=True)


class HelpPanel(ModalLayer):
    """The call for help over any resident screen: whether the call went out and where help is. 'Tutup' closes
    it; the screen underneath is as it was."""

    title = StringProperty("")
    body = StringProperty("")
    close_text = StringProperty("")
    severity = StringProperty("info")
    close_action = ObjectProperty(None, allownone=True)


class HelpButton(Button):
    """'Panggil petugas' in the header band of every resident screen; says so when a call is on its way."""

    shown = BooleanProperty(False)

    def on_touch_down(self, touch):  # hidden (technician, accessibility mode): the header keeps its touches
        return not self.disabled and super().on_touch_down(touch)


class DocumentRow(BoxLayout):
    """One document in a list: a check box, its type, its date and its state."""

    document_id = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    status_text = StringProperty("")
    selectable = BooleanProperty(True)
    selected = BooleanProperty(False)
    toggle_action = ObjectProperty(None, allownone=True)


class ProgressRow(BoxLayout):
    """One document while printing: its type, its phase in words and a bar."""

    title = StringProperty("")
    phase_text = StringProperty("")
    fraction = NumericProperty(0.0)
    failed = BooleanProperty(False)
    done = BooleanProperty(False)


class RowPool:
    """The rows of one list, built once and reused for every resident.

    Building a row from its kv rule took 8-25 ms on the main thread; a screen that built its rows anew
    at each show stalled a frame by that much times the rows. ``show(n)`` puts the first ``n`` rows in
    ``container`` (building only the missing ones); ``clear()`` takes them out and blanks them, so no text
    of one resident stays in a row the next one could see.
    """

    def __init__(self, container: Widget, build: Callable[[], Widget], blank: Callable[[Widget], None],
                 ready: int = 0):
        self.container = container
        self._build = build
        self._blank = blank
        self._rows: list[Widget] = [build() for _ in range(ready)]

    @property
    def rows(self) -> tuple[Widget, ...]:
        """Every row built, shown or not."""
        return tuple(self._rows)

    def show(self, count: int) -> list[Widget]:
        while len(self._rows) < count:
            self._rows.append(self._build())
        wanted = self._rows[:count]
        if list(reversed(self.container.children)) != wanted:
            self.container.clear_widgets()
            for row in wanted:
                self.container.add_widget(row)
        return wanted

    def clear(self) -> None:
        self.container.clear_widgets()
        for row in self._rows:
            self._blank(row)
