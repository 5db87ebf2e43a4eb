"""The flow's transition table: which handler takes which event, found by the event's type, never by its name.

A handler is a pure function ``handler(state, event, settings) -> (state, effects)``. Handler modules
(:mod:`kiosk.flow` for the resident's path, :mod:`kiosk.flow_services` for the paths beyond printing) each
register theirs in a :class:`Transitions` table with :meth:`Transitions.on`; :mod:`kiosk.flow` merges the
tables and proves at import that every event of :mod:`kiosk.flow_model` has exactly one handler. An event
renamed, added or removed without its handler therefore stops the kiosk from importing its flow, instead of
being ignored at run time.

Also here: the few steps more than one handler module takes (:func:`home`, :func:`logout`,
:func:`wrong_scan`), as plain functions of the state, so no handler depends on another module's internals.
No Kivy, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from kiosk import flow_model
from kiosk.flow_model import (
    _WRONG_SCAN,
    SCAN_MESSAGE_SCREENS,
    DocStatus,
    DocumentItem,
    Effect,
    EndOfficerSession,
    EndSession,
    Event,
    FlowSettings,
    FlowState,
    Message,
    Screen,
)
from kiosk.message_keys import N_
from kiosk.service_model import NoticeKind

#: What every handler returns: the new state and the effects to perform.
Transition = tuple[FlowState, list[Effect]]
#: ``handler(state, event, settings)``; pure.
Handler = Callable[[FlowState, Any, FlowSettings], Transition]


class UnhandledEvent(LookupError):
    """An event whose type has no handler: a programming error (see :meth:`kiosk.flow.Flow.handle`)."""

    def __init__(self, event_type: type):
        super().__init__(f"no flow handler for {event_type.__module__}.{event_type.__qualname__}")
        self.event_type = event_type


class FlowTableError(Exception):
    """The table does not match the vocabulary: an event without a handler, a handler for no such event, or
    two handlers for one event."""


def vocabulary_events() -> frozenset[type[Event]]:
    """Every event class the flow's vocabulary (:mod:`kiosk.flow_model`) defines, the base class aside."""
    return frozenset(
        value for value in vars(flow_model).values()
        if isinstance(value, type) and issubclass(value, Event) and value is not Event
        and value.__module__ == flow_model.__name__
    )


class Transitions:
    """A table ``{event type: handler}``; each event type has at most one handler, one handler may take several."""

    def __init__(self, name: str, handlers: dict[type[Event], Handler] | None = None):
        self.name = name
        self._handlers: dict[type[Event], Handler] = dict(handlers or {})

    def on(self, *event_types: type[Event]) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of ``event_types``."""
        if not event_types:
            raise TypeError("Transitions.on() needs at least one event type")
        for event_type in event_types:
            if not (isinstance(event_type, type) and issubclass(event_type, Event)) or event_type is Event:
                raise TypeError(f"{self.name}: {event_type!r} is not a flow event")

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self._add(event_type, handler)
            return handler

        return register

    def _add(self, event_type: type[Event], handler: Handler) -> None:
        if event_type in self._handlers:
            raise FlowTableError(f"{self.name}: {event_type.__name__} already handled by "
                                 f"{_name(self._handlers[event_type])}, not also by {_name(handler)}")
        self._handlers[event_type] = handler

    def __or__(self, other: Transitions) -> Transitions:
        """Both tables in one; an event type in both is an error, never a silent override."""
        merged = Transitions(f"{self.name}+{other.name}", self._handlers)
        for event_type, handler in other.items():
            merged._add(event_type, handler)
        return merged

    def get(self, event_type: type) -> Handler | None:
        return self._handlers.get(event_type)

    def items(self) -> Iterator[tuple[type[Event], Handler]]:
        return iter(sorted(self._handlers.items(), key=lambda item: item[0].__name__))

    def without(self, *event_types: type[Event]) -> Transitions:
        """A copy with these events' handlers left out (tests show what an unhandled event does)."""
        return Transitions(self.name, {k: v for k, v in self._handlers.items() if k not in event_types})

    def check_complete(self, events: Iterable[type[Event]]) -> None:
        """Raise :class:`FlowTableError` unless the table handles exactly ``events``, saying what differs."""
        events = frozenset(events)
        missing = sorted(e.__name__ for e in events if e not in self._handlers)
        unknown = sorted(f"{e.__module__}.{e.__qualname__}" for e in self._handlers if e not in events)
        problems = ([f"events without a handler: {', '.join(missing)}"] if missing else []) + \
            ([f"handlers for events not in the vocabulary: {', '.join(unknown)}"] if unknown else [])
        if problems:
            raise FlowTableError(f"{self.name}: " + "; ".join(problems))


def _name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


# --------------------------------------------------------------------------- steps shared by handler modules
def home(state: FlowState) -> Screen:
    """Where the kiosk rests: out of service by the operator's command, closed (hours or cap), out of service
    when no printer works, else the attract screen (which says when the central service does not answer)."""
    notice = state.notice
    if notice is not None and notice.kind is NoticeKind.OUT_OF_SERVICE:
        return Screen.OUT_OF_SERVICE
    if notice is not None and notice.blocks:
        return Screen.CLOSED
    return Screen.ATTRACT if any(p.available for p in state.printers) else Screen.OUT_OF_SERVICE


def logout(state: FlowState, settings: FlowSettings) -> Transition:
    """Every way out of a session: end it and keep nothing of the resident (no NIK, session, names, documents),
    nor of an officer's visit (their session ends with it).

    The time of the kiosk's last help call stays: the limit of one call per interval is the kiosk's."""
    effects: list[Effect] = [EndSession(state.session)]
    officer = state.officer
    if officer is not None and officer.session is not None:  # the officer role: the visit ends too
        effects.append(EndOfficerSession(officer.session, officer.officer_id))
    fresh = FlowState(
        language=settings.default_language,
        printers=state.printers,
        notice=state.notice,
        last_activity=state.last_activity,
        login_attempt=state.login_attempt,
        help_called_at=state.help_called_at,
    )
    return replace(fresh, screen=home(fresh)), effects


def wrong_scan(state: FlowState) -> Transition:
    """A scan that means nothing here: a plain message where the resident can act on it, else nothing."""
    if state.screen in SCAN_MESSAGE_SCREENS and not state.busy:
        key = _WRONG_SCAN.get(state.screen, N_("scan.unknown"))
        return replace(state, message=Message(key, severity="warning")), []
    return state, []


def mark_availability(state: FlowState, documents: tuple[DocumentItem, ...]) -> tuple[DocumentItem, ...]:
    """Each document marked printable here, now, or why not (its printer is down, or this kiosk has none)."""
    marked = []
    for doc in documents:
        if doc.status is DocStatus.PRINTED:
            marked.append(doc)
        elif not state.printer_installed(doc.media):
            marked.append(replace(doc, status=DocStatus.NOT_HERE, reason=None))
        elif state.printer_ok(doc.media):
            marked.append(replace(doc, status=DocStatus.READY, reason=None))
        else:
            marked.append(replace(doc, status=DocStatus.UNAVAILABLE, reason=state.printer_reason(doc.media)))
    return tuple(marked)


def with_documents(state: FlowState, documents: tuple[DocumentItem, ...]) -> FlowState:
    """The session's document list (a resident's login, or a session an officer opened), all ready ones chosen."""
    documents = mark_availability(state, documents)
    ready = {d.id for d in documents if d.status is DocStatus.READY}
    selected = frozenset(state.selected & ready) if state.documents else frozenset(ready)
    return replace(state, documents=documents, selected=selected)
