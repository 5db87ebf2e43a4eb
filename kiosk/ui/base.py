"""What every screen shares: the render contract and the context the app hands it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from central.vocabulary import PIN_DIGITS
from kiosk.flow import Event, FlowSettings, FlowState, LanguageToggled
from kiosk.i18n import Translator
from kiosk.voice import SpeechLine
from kiosk.voice_script import digit_count


def keyed(value: str, key: str, limit: int) -> str:
    """``value`` after one keypad key: a digit (up to ``limit`` of them), 'delete' or 'clear'."""
    if key == "delete":
        return value[:-1]
    if key == "clear":
        return ""
    if key.isdigit() and len(key) == 1 and len(value) < limit:
        return value + key
    return value


@dataclass(frozen=True)
class ViewContext:
    """Everything a screen may use to render: text, time, and the kiosk's own facts."""

    tr: Translator
    now: float
    settings: FlowSettings
    location: str
    help_location: str


class KioskScreen(Screen):
    """A screen renders state and emits events; it never switches screens or reaches for services."""

    emit_callback = ObjectProperty(None, allownone=True)
    #: Speaks one line in the accessibility mode (a keypad's digit count); set by the app, None without voice.
    announce_callback = ObjectProperty(None, allownone=True)
    #: The flow's message for this screen, translated, and how it looks (error, warning, info).
    message = StringProperty("")
    severity = StringProperty("error")
    #: Translated texts of the catalog keys in KEYS (and the header's), bound in the .kv as root.t['key'].
    t = DictProperty({})
    #: The catalog keys this screen's .kv shows as they are.
    KEYS: tuple[str, ...] = ()
    _COMMON_KEYS = ("app.title", "lang.switch", "common.back", "common.next", "common.cancel", "common.finish")

    def translate(self, ctx: ViewContext) -> None:
        """Refresh ``t`` when the language changed (or on first show)."""
        if self.t.get("_lang") != ctx.tr.language:
            texts = {key: ctx.tr(key) for key in self._COMMON_KEYS + self.KEYS}
            texts["_lang"] = ctx.tr.language
            self.t = texts

    def emit(self, event_type: Callable[..., Event], **fields: Any) -> None:
        """Send one flow event, stamped with the monotonic time."""
        if self.emit_callback is not None:
            self.emit_callback(event_type(now=time.monotonic(), **fields))

    def announce(self, line: SpeechLine) -> None:
        """Speak ``line`` when voice guidance is on; the app decides (it knows the mode)."""
        if self.announce_callback is not None:
            self.announce_callback(line)

    def show_message(self, state: FlowState, ctx: ViewContext) -> None:
        """Put the flow's current message (or none) into ``message`` and ``severity``."""
        self.message = ctx.tr(state.message.key, **state.message.params) if state.message else ""
        self.severity = state.message.severity if state.message else "error"

    def toggle_language(self) -> None:
        self.emit(LanguageToggled)

    def render(self, state: FlowState, ctx: ViewContext) -> None:  # pragma: no cover - each screen overrides
        raise NotImplementedError

    def wipe(self) -> None:
        """Forget whatever the resident typed or saw; called at every logout."""

    def close(self) -> None:
        """Let go of what the screen holds beyond its widgets (threads); called when the app drops it."""


class PinPadScreen(KioskScreen):
    """A screen that takes a PIN on the keypad, masked (a resident's, an officer's). ``SUBMITTED`` is the flow
    event the PIN goes in; the digits live only in ``pin`` and that event, never in a Label's text."""

    SUBMITTED: Callable[..., Event]
    pin = StringProperty("")
    busy = BooleanProperty(False)

    def follow_busy(self, state: FlowState) -> None:
        """Call from render: when an answer came back (busy ends), a new attempt starts empty."""
        was_busy, self.busy = self.busy, state.busy
        if was_busy and not state.busy:
            self.pin = ""

    def on_key(self, key: str) -> None:
        self.pin = keyed(self.pin, key, PIN_DIGITS)
        self.message = ""
        self.announce(digit_count(len(self.pin), PIN_DIGITS))

    def submit(self) -> None:
        pin, self.pin = self.pin, ""
        self.emit(self.SUBMITTED, pin=pin)

    def wipe(self) -> None:
        self.pin = ""
        self.message = ""
