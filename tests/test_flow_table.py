"""The flow's transition table: every event of the vocabulary has exactly one handler, found by its type.

These tests walk the table against the vocabulary (:mod:`kiosk.flow_model`), so an event renamed, added or
removed without its handler fails here (and already at ``import kiosk.flow``), instead of being ignored at
run time as a handler looked up by the event's name was.
"""

from __future__ import annotations

import logging
import typing
from dataclasses import dataclass, make_dataclass

import pytest

from kiosk import flow_model
from kiosk.controller import Controller
from kiosk.flow import HANDLERS, RESIDENT, Flow, FlowSettings, Media, PrinterAvailability, Screen
from kiosk.flow_card import CARD_LOGIN
from kiosk.flow_help import HELP
from kiosk.flow_model import Event, ExtendTime, PinSubmitted, StartPressed, Tick, Touched
from kiosk.flow_officer import OFFICER
from kiosk.flow_services import SERVICES
from kiosk.flow_table import FlowTableError, Transitions, UnhandledEvent, vocabulary_events

PRINTERS = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_the_vocabulary_is_every_event_class_of_the_flow_model():
    defined = {cls for cls in _all_subclasses(Event) if cls.__module__ == flow_model.__name__}
    assert vocabulary_events() == defined
    assert {StartPressed, PinSubmitted, Tick, ExtendTime} <= vocabulary_events()
    assert Event not in vocabulary_events()


def test_every_event_of_the_vocabulary_has_exactly_one_handler():
    HANDLERS.check_complete(vocabulary_events())  # raises FlowTableError naming what is missing or extra
    assert {event_type for event_type, _ in HANDLERS.items()} == vocabulary_events()
    resident = {event_type for event_type, _ in RESIDENT.items()}
    services = {event_type for event_type, _ in SERVICES.items()}
    officer = {event_type for event_type, _ in OFFICER.items()}
    card = {event_type for event_type, _ in CARD_LOGIN.items()}
    help_calls = {event_type for event_type, _ in HELP.items()}
    tables = [resident, services, officer, card, help_calls]
    assert all(not a & b for i, a in enumerate(tables) for b in tables[i + 1:])
    assert resident | services | officer | card | help_calls == vocabulary_events()


def test_each_handler_is_annotated_with_the_event_it_is_registered_for():
    """A handler registered for the wrong event (a copy-paste slip) shows as a mismatch with its annotation."""
    for event_type, handler in HANDLERS.items():
        hints = typing.get_type_hints(handler)
        annotated = hints["event"]
        accepted = set(typing.get_args(annotated)) or {annotated}
        assert event_type in accepted, f"{handler.__qualname__} is registered for {event_type.__name__}"
        assert list(hints)[:3] == ["state", "event", "settings"], handler.__qualname__


@pytest.mark.parametrize("event_type", sorted(vocabulary_events(), key=lambda e: e.__name__),
                         ids=lambda e: e.__name__)
def test_every_event_reaches_its_handler_from_every_screen(event_type: type[Event]):
    """Each event type with its defaults goes through ``handle`` on every screen without raising."""
    flow = Flow(FlowSettings())
    for screen in Screen:
        state = flow.initial(PRINTERS)
        state = type(state)(screen=screen, printers=state.printers)
        new, effects = flow.handle(state, event_type(now=1.0))
        assert isinstance(effects, list)
        assert isinstance(new.screen, Screen)


def test_a_renamed_event_fails_the_check_on_both_sides(monkeypatch: pytest.MonkeyPatch):
    """``PinSubmitted`` renamed in the vocabulary while its handler still takes the old class: the check names
    the new event as unhandled and the old one as a handler for nothing (the old design dispatched by
    ``"_on_" + name`` and would have dropped every PIN without a word)."""
    renamed = make_dataclass("PinEntered", [("pin", str, "")], bases=(Event,), frozen=True)
    renamed.__module__ = flow_model.__name__
    monkeypatch.delattr(flow_model, "PinSubmitted")
    monkeypatch.setattr(flow_model, "PinEntered", renamed, raising=False)
    with pytest.raises(FlowTableError) as caught:
        HANDLERS.check_complete(vocabulary_events())
    assert "events without a handler: PinEntered" in str(caught.value)
    assert "handlers for events not in the vocabulary: kiosk.flow_model.PinSubmitted" in str(caught.value)


def test_an_event_added_without_a_handler_fails_the_check(monkeypatch: pytest.MonkeyPatch):
    added = make_dataclass("HelpPressed", [], bases=(Event,), frozen=True)
    added.__module__ = flow_model.__name__
    monkeypatch.setattr(flow_model, "HelpPressed", added, raising=False)
    with pytest.raises(FlowTableError, match="events without a handler: HelpPressed"):
        HANDLERS.check_complete(vocabulary_events())


def test_an_event_without_a_handler_raises_instead_of_being_ignored():
    flow = Flow(FlowSettings(), handlers=HANDLERS.without(ExtendTime))
    state = flow.initial(PRINTERS)
    with pytest.raises(UnhandledEvent, match="ExtendTime"):
        flow.handle(state, ExtendTime(now=5.0))

    @dataclass(frozen=True)
    class Stranger(Event):  # an event class from outside the vocabulary
        pass

    with pytest.raises(UnhandledEvent, match="Stranger"):
        Flow(FlowSettings()).handle(state, Stranger(now=5.0))


def test_dispatch_is_by_exact_type_not_by_name_or_subclass():
    @dataclass(frozen=True)
    class Tick(Touched):  # same name as a real event, and a subclass of another: neither is enough
        pass

    with pytest.raises(UnhandledEvent):
        Flow(FlowSettings()).handle(Flow().initial(PRINTERS), Tick(now=1.0))


def test_a_second_handler_for_one_event_is_refused():
    table = Transitions("a")
    table.on(Touched)(lambda state, event, settings: (state, []))
    with pytest.raises(FlowTableError, match="Touched already handled"):
        table.on(Touched)(lambda state, event, settings: (state, []))
    other = Transitions("b")
    other.on(Touched)(lambda state, event, settings: (state, []))
    with pytest.raises(FlowTableError, match="Touched already handled"):
        _ = table | other
    with pytest.raises(TypeError):
        table.on(int)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        table.on(Event)


def test_the_running_kiosk_logs_an_unhandled_event_without_its_fields_and_keeps_its_state(
        caplog: pytest.LogCaptureFixture):
    @dataclass(frozen=True)
    class Stranger(Event):
        pin: str = "123456"

    flow = Flow(FlowSettings())
    performed: list = []
    controller = Controller(flow, flow.initial(PRINTERS), performed.append)
    before = controller.state
    with caplog.at_level(logging.ERROR, logger="kiosk.controller"):
        controller.dispatch(Stranger(now=3.0))
    assert controller.state is before and performed == []
    record = next(r for r in caplog.records if r.getMessage() == "flow.unhandled")
    assert record.fields == {"event": "Stranger", "screen": "attract"}
    assert "123456" not in caplog.text

    strict = Controller(flow, flow.initial(PRINTERS), performed.append, strict=True)
    with pytest.raises(UnhandledEvent):
        strict.dispatch(Stranger(now=3.0))


# --------------------------------------------------------------------------- the generated graph
def test_the_graph_lists_every_handler_and_the_resident_s_path():
    from kiosk.flow_graph import Edge, listing, transitions

    text = listing()
    for event_type in vocabulary_events():
        assert f" {event_type.__name__} " in text
    edges = transitions()
    path = [(Screen.ATTRACT, "StartPressed", Screen.NIK_ENTRY), (Screen.NIK_ENTRY, "NikSubmitted", Screen.PIN_ENTRY),
            (Screen.PIN_ENTRY, "LoginSucceeded", Screen.DOCUMENTS), (Screen.DOCUMENTS, "PrintPressed", Screen.CONFIRM),
            (Screen.CONFIRM, "Confirmed", Screen.PRINTING), (Screen.PRINTING, "PrintUpdate", Screen.DONE),
            (Screen.DONE, "Tick", Screen.ATTRACT), (Screen.ATTRACT, "DevicesChanged", Screen.OUT_OF_SERVICE)]
    by_name = {(e.source, e.event.__name__, e.target) for e in edges}
    assert set(path) <= by_name
    assert all(isinstance(e, Edge) and e.event in vocabulary_events() for e in edges)
    assert {e.source for e in edges} | {e.target for e in edges} == set(Screen)  # every screen is reachable


def test_the_graph_is_printed_by_python_m_kiosk_flow_graph(capsys: pytest.CaptureFixture[str]):
    from kiosk.flow_graph import main

    assert main([]) == 0
    out = capsys.readouterr().out
    assert "Screen transitions" in out and "--StartPressed--> nik_entry" in out


def test_login_answers_move_only_the_login_screens():
    from kiosk.flow_graph import transitions

    moved_by_login = {e.source for e in transitions() if e.event.__name__ in ("LoginSucceeded", "LoginFailed")}
    assert moved_by_login == {Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.FINGER}
