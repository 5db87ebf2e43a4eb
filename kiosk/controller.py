"""Holds the one FlowState and feeds it events; no Kivy, no I/O.

The UI calls :meth:`Controller.dispatch` on its main thread only. Effects go to ``perform``, which
must return at once (work runs elsewhere) and later sends result events back through the UI's
thread-safe ``post``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flow import Effect, Event, Flow, FlowState
from kiosk.logs import event as log_event

log = logging.getLogger(__name__)


class Controller:
    def __init__(
        self,
        flow: Flow,
        state: FlowState,
        perform: Callable[[Effect], None],
    ):
        self.flow = flow
        self.state = state
        self._perform = perform
        self._listeners: list[Callable[[FlowState, FlowState], None]] = []

    def subscribe(self, listener: Callable[[FlowState, FlowState], None]) -> None:
        """``listener(old, new)`` after every event that changed the state."""
        self._listeners.append(listener)

    def dispatch(self, event: Event) -> None:
        old = self.state
        new, effects = self.flow.handle(old, event)
        self.state = new
        if new.screen is not old.screen:
            log_event(log, "flow.screen", screen=new.screen.value, after=type(event).__name__)
        if new is not old:
            for listener in self._listeners:
                listener(old, new)
        for effect in effects:
            self._perform(effect)
