"""Holds the one FlowState and feeds it events; no Kivy, no I/O.

The UI calls :meth:`Controller.dispatch` on its main thread only. Effects go to ``perform``, which
must return at once (work runs elsewhere) and later sends result events back through the UI's
thread-safe ``post``.

An event the flow has no handler for (:class:`~kiosk.flow_table.UnhandledEvent`) is a bug: the flow's table
is proven complete for its vocabulary at import, so only an event class from outside it can get here. On a
running kiosk (``strict`` off) it is logged as ``flow.unhandled`` with its class name only, never its fields
(a PIN, a NIK, a token), and the state stays as it was: one touch that does nothing, while the idle timer
still ends the session, beats an exception on the UI thread that restarts the kiosk under a resident whose
documents are printing. Tests pass ``strict=True`` and get the exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flow import Effect, Event, Flow, FlowState
from kiosk.flow_table import UnhandledEvent
from kiosk.logs import event as log_event

log = logging.getLogger(__name__)


class Controller:
    def __init__(
        self,
        flow: Flow,
        state: FlowState,
        perform: Callable[[Effect], None],
        strict: bool = False,
    ):
        self.flow = flow
        self.strict = strict
        self.state = state
        self._perform = perform
        self._listeners: list[Callable[[FlowState, FlowState], None]] = []

    def subscribe(self, listener: Callable[[FlowState, FlowState], None]) -> None:
        """``listener(old, new)`` after every event that changed the state."""
        self._listeners.append(listener)

    def dispatch(self, event: Event) -> None:
        old = self.state
        try:
            new, effects = self.flow.handle(old, event)
        except UnhandledEvent:
            if self.strict:
                raise
            log_event(log, "flow.unhandled", logging.ERROR, event=type(event).__name__, screen=old.screen.value)
            return
        self.state = new
        if new.screen is not old.screen:
            log_event(log, "flow.screen", screen=new.screen.value, after=type(event).__name__)
        if new is not old:
            for listener in self._listeners:
                listener(old, new)
        for effect in effects:
            self._perform(effect)
