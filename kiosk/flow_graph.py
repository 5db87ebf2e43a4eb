"""The flow's graph in one place: which handler takes each event, and which screen each event leads to.

``python -m kiosk.flow_graph`` prints both. The screen transitions are not a second copy of the rules
that could drift from them: they are found by driving :class:`kiosk.flow.Flow` itself, breadth first from
its initial states, with sample events of every type (a valid NIK and PIN, logins that succeed and fail,
prints that finish, long waits, printers that go down, ...). Each line reads ``from --Event--> to``.
No Kivy, no I/O.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache

from kiosk.flow import HANDLERS, Flow
from kiosk.flow_model import (
    RESULT_EVENTS,
    BookingScanned,
    BookingSubmitted,
    CardProblem,
    CardRead,
    CardReadFailed,
    DevicesChanged,
    DocumentItem,
    DocumentToggled,
    Event,
    FingerNotRead,
    FingerProblem,
    FlowSettings,
    FlowState,
    IdentitySubmitted,
    LoginFailed,
    LoginProblem,
    LoginQrScanned,
    LoginSucceeded,
    Media,
    NikSubmitted,
    NoticeChanged,
    OfficerCardScanned,
    OfficerLoginFailed,
    OfficerPinSubmitted,
    OfficerRequestChosen,
    OfficerRequestItem,
    OfficerResidentOpened,
    OfficerSignedIn,
    Phase,
    PinRequestAnswered,
    PinRequestSubmitted,
    PinSubmitted,
    PrinterAvailability,
    PrintUpdate,
    Screen,
    SlipPrinted,
    Tick,
    TicketIssued,
    TicketPrinted,
    VerifyAnswered,
    VerifyScanned,
)
from kiosk.flow_table import vocabulary_events
from kiosk.service_model import NoticeKind, ServiceNotice, TicketInfo, VerifyInfo, VerifyOutcome

_NIK = "3273015503850002"
_DOCS = (DocumentItem("d-kk", "kk", "2026-11-20", Media.A4, verify_url="https://v/kk"),
         DocumentItem("d-ktp", "ktp_el", "2026-11-21", Media.CARD, verify_url="https://v/ktp"))
_UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
_CARD_DOWN = (PrinterAvailability(Media.A4, True),
              PrinterAvailability(Media.CARD, False, "blanko-empty"))
_DOWN = (PrinterAvailability(Media.A4, False, "media-jam"),
         PrinterAvailability(Media.CARD, False, "offline-report"))
#: Long enough for any of the flow's timers to run out.
_LONG_WAIT = 10_000.0
_NOTICES = (ServiceNotice(NoticeKind.OUT_OF_SERVICE, "Rusak", "Broken"), ServiceNotice(NoticeKind.CLOSED),
            ServiceNotice(NoticeKind.UNREACHABLE))


@dataclass(frozen=True)
class Edge:
    """One screen transition the flow makes: ``event`` on ``source`` leads to ``target``."""

    source: Screen
    event: type[Event]
    target: Screen


def _samples(state: FlowState, now: float) -> Iterator[Event]:
    """A few events of every type, meaningful in ``state``; defaults for the types that need no fields."""
    attempt = state.login_attempt  # login answers answer the login under way
    special: dict[type[Event], list[Event]] = {
        NikSubmitted: [NikSubmitted(now, text=_NIK)],
        PinSubmitted: [PinSubmitted(now, pin="123456")],
        LoginQrScanned: [LoginQrScanned(now, token="T" * 24, holder="ab" * 16)],
        LoginSucceeded: [LoginSucceeded(now, attempt, session="session", masked_name="S*** A***", documents=_DOCS),
                         LoginSucceeded(now, attempt, session="session", masked_name="S*** A***")],
        LoginFailed: [*(LoginFailed(now, attempt, problem=p) for p in
                        (LoginProblem.INVALID_CREDENTIALS, LoginProblem.LOCKED, LoginProblem.QR_EXPIRED)),
                      LoginFailed(now, attempt, problem=LoginProblem.INVALID_CREDENTIALS, attempts_left=0)],
        CardRead: [CardRead(now, attempt, nik=_NIK)],
        CardReadFailed: [CardReadFailed(now, attempt, problem=p) for p in CardProblem],
        FingerNotRead: [FingerNotRead(now, attempt, problem=p) for p in FingerProblem],
        DocumentToggled: [DocumentToggled(now, document_id=d.id) for d in _DOCS],
        PrintUpdate: [PrintUpdate(now, document_id=p.id, phase=phase) for p in state.progress
                      for phase in (Phase.DONE, Phase.FAILED)],
        DevicesChanged: [DevicesChanged(now, printers=p) for p in (_UP, _CARD_DOWN, _DOWN)],
        Tick: [Tick(now), Tick(now + _LONG_WAIT)],
        BookingSubmitted: [BookingSubmitted(now, text="0901")],
        BookingScanned: [BookingScanned(now, code="ANTRI-0901")],
        TicketIssued: [TicketIssued(now, ticket=TicketInfo("A-001", "Perekaman KTP-el"))],
        TicketPrinted: [TicketPrinted(now, ok=True), TicketPrinted(now, ok=False)],
        VerifyScanned: [VerifyScanned(now, code="ABCD-1234")],
        VerifyAnswered: [VerifyAnswered(now, info=VerifyInfo(VerifyOutcome.ACTIVE, "kk"))],
        PinRequestSubmitted: [PinRequestSubmitted(now, text=_NIK)],
        PinRequestAnswered: [PinRequestAnswered(now), PinRequestAnswered(now, problem="central.unreachable")],
        SlipPrinted: [SlipPrinted(now, ok=True)],
        NoticeChanged: [NoticeChanged(now, notice=n) for n in (None, *_NOTICES)],
        # the officer role
        OfficerCardScanned: [OfficerCardScanned(now, card="C" * 32)],
        OfficerPinSubmitted: [OfficerPinSubmitted(now, pin="123456")],
        OfficerSignedIn: [OfficerSignedIn(now, attempt, session="officer", officer_id="OPSI-001",
                                          requests=(OfficerRequestItem("SUB-1", "U. S."),))],
        OfficerLoginFailed: [OfficerLoginFailed(now, attempt, problem=p)
                             for p in ("officer.invalid", "officer.not_yours", "officer.check_invalid")],
        OfficerRequestChosen: [OfficerRequestChosen(now, code="SUB-1")],
        IdentitySubmitted: [IdentitySubmitted(now, digits="1234", checked=True)],
        OfficerResidentOpened: [OfficerResidentOpened(now, attempt, session="session", documents=_DOCS)],
    }
    for event_type in sorted(vocabulary_events(), key=lambda e: e.__name__):
        yield from special.get(event_type) or [event_type(now)]


def _shape(state: FlowState) -> tuple:
    """What makes two states behave differently for the samples (times, names and messages aside)."""
    return (state.screen, state.busy, state.nik is not None, state.session is not None, len(state.documents),
            state.selected, tuple((p.id, p.phase) for p in state.progress), state.idle_warning_since is not None,
            state.done_since is not None, state.ticket is not None and state.ticket.printed,
            state.verification is not None, state.pin_request_sent, state.reset_from,
            tuple(p.available for p in state.printers), state.slip_printed, state.notice,
            _officer_shape(state))


def _officer_shape(state: FlowState) -> tuple:
    officer = state.officer
    if officer is None:
        return ()
    return (bool(officer.card), officer.session is not None, officer.chosen, officer.timed_out)


def transitions(flow: Flow | None = None) -> frozenset[Edge]:
    """Every screen transition the flow makes on the sample events, from every state they reach."""
    return _explore(flow) if flow is not None else _default_transitions()


@cache
def _default_transitions() -> frozenset[Edge]:
    """The default flow's transitions, explored once (the search takes about a second)."""
    return _explore(Flow(FlowSettings(card_login=True)))


def _explore(flow: Flow) -> frozenset[Edge]:
    queue = deque(flow.initial(printers) for printers in (_UP, _DOWN))
    seen = {_shape(state) for state in queue}
    edges: set[Edge] = set()
    while queue:
        state = queue.popleft()
        now = max(state.last_activity, state.idle_warning_since or 0.0, state.done_since or 0.0) + 1.0
        for event in _samples(state, now):
            new, _effects = flow.handle(state, event)
            if new.screen is not state.screen:
                edges.add(Edge(state.screen, type(event), new.screen))
            shape = _shape(new)
            if shape not in seen:
                seen.add(shape)
                queue.append(replace(new, message=None))
    return frozenset(edges)


def listing(flow: Flow | None = None) -> str:
    """The table and the transitions as text, one line each, in a stable order."""
    lines = ["Events and their handlers (* = an answer from work done elsewhere, not a resident's activity)"]
    width = max(len(e.__name__) for e, _ in HANDLERS.items()) + 2
    for event_type, handler in HANDLERS.items():
        mark = "*" if issubclass(event_type, RESULT_EVENTS) else " "
        lines.append(f"  {mark} {event_type.__name__:<{width}} {handler.__module__}.{handler.__qualname__}")
    lines += ["", "Screen transitions"]
    order = list(Screen)
    edges = sorted(transitions(flow), key=lambda e: (order.index(e.source), e.event.__name__, order.index(e.target)))
    source = None
    for edge in edges:
        if edge.source is not source:
            source = edge.source
            lines.append(f"  {source.value}")
        lines.append(f"    --{edge.event.__name__}--> {edge.target.value}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(listing())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
