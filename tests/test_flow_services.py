"""The paths beyond printing in the pure flow: queue, verification, 'Lupa PIN?', the slip; timeouts included."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import (
    BackPressed,
    BookingScanned,
    BookingSubmitted,
    CancelPressed,
    CheckIn,
    CheckInRefused,
    DocProgress,
    DocumentItem,
    EndSession,
    EnterPinPressed,
    Flow,
    FlowSettings,
    FlowState,
    ForgotPinPressed,
    LoginQrScanned,
    Media,
    NikSubmitted,
    Phase,
    PinRequestAnswered,
    PinRequestSubmitted,
    PrinterAvailability,
    PrintSlip,
    PrintTicket,
    PrintUpdate,
    QueuePressed,
    RequestPin,
    Screen,
    SlipPrinted,
    StartPressed,
    TakeWalkIn,
    Tick,
    TicketIssued,
    TicketPrinted,
    UnknownScan,
    VerifyAnswered,
    VerifyDocument,
    VerifyFailed,
    VerifyPressed,
    VerifyScanned,
    WalkInPressed,
)
from kiosk.service_model import QueueProblem, TicketInfo, VerifyInfo, VerifyOutcome, booking_code, slip_for

NIK = "3273021708850001"
PRINTERS = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
TICKET = TicketInfo("A-001", "Perekaman KTP-el", "2", "09:00-09:30", 0, "2026-11-23T09:01+07:00", "https://q/A-001")


@pytest.fixture
def flow() -> Flow:
    return Flow(FlowSettings(idle_warning_s=60, idle_logout_s=20, done_logout_s=15))


def run(flow: Flow, state: FlowState, *events):
    effects = []
    for event in events:
        state, more = flow.handle(state, event)
        effects += more
    return state, effects


def attract(flow: Flow) -> FlowState:
    return flow.initial(PRINTERS)


def test_booking_code_shapes():
    assert booking_code("0901") == "ANTRI-0901"
    assert booking_code(" antri-09ab ") == "ANTRI-09AB"
    assert [booking_code(t) for t in ("12", "123456789", "ANTRI-", "ANTRI-0901; --", "")] == [None] * 5


def test_typed_booking_to_a_printed_ticket_then_home(flow):
    state, effects = run(flow, attract(flow), QueuePressed(now=1), BookingSubmitted(now=2, text="0901"))
    assert (state.screen, state.busy, effects) == (Screen.QUEUE, True, [CheckIn("ANTRI-0901")])
    state, effects = run(flow, state, TicketIssued(now=3, ticket=TICKET))
    assert effects == [PrintTicket(replace(TICKET, printed=None))] and state.ticket.printed is None
    state, _ = run(flow, state, TicketPrinted(now=4, ok=True), Tick(now=18.9))
    assert state.ticket.printed is True and state.screen is Screen.QUEUE
    state, effects = run(flow, state, Tick(now=19.1))
    assert state.screen is Screen.ATTRACT and state.ticket is None and effects == [EndSession(None)]


def test_an_unprinted_ticket_stays_longer_with_a_warning(flow):
    state, _ = run(flow, attract(flow), BookingScanned(now=1, code="ANTRI-0901"), TicketIssued(now=2, ticket=TICKET),
                   TicketPrinted(now=3, ok=False), Tick(now=3 + 15 * 2))
    assert (state.screen, state.ticket.number, state.message.key) == (Screen.QUEUE, "A-001", "queue.not_printed")
    state, _ = run(flow, state, Tick(now=3 + 15 * 3 + 0.1))
    assert state.screen is Screen.ATTRACT


@pytest.mark.parametrize(("problem", "retry", "key", "params"), [
    (QueueProblem.UNKNOWN, None, "queue.unknown", {}),
    (QueueProblem.USED, None, "queue.used", {}),
    (QueueProblem.EXPIRED, None, "queue.expired", {}),
    (QueueProblem.EARLY, 1790, "queue.early", {"minutes": 30}),
    (QueueProblem.EARLY, 23 * 3600, "queue.early_hours", {"hours": 23}),
    (QueueProblem.WALK_IN_CLOSED, None, "queue.walk_in_closed", {}),
    (QueueProblem.UNREACHABLE, None, "central.unreachable", {}),
])
def test_check_in_refusals_become_messages(flow, problem, retry, key, params):
    state, _ = run(flow, attract(flow), QueuePressed(now=1), WalkInPressed(now=2),
                   CheckInRefused(now=3, problem=problem, retry_after_s=retry))
    assert (state.screen, state.busy, state.ticket) == (Screen.QUEUE, False, None)
    assert (state.message.key, state.message.params) == (key, params)


def test_walk_in_and_late_answers_after_leaving(flow):
    state, effects = run(flow, attract(flow), QueuePressed(now=1), WalkInPressed(now=2))
    assert effects == [TakeWalkIn()]
    state, _ = run(flow, state, CancelPressed(now=3))  # busy: the resident leaves anyway
    assert state.screen is Screen.ATTRACT
    later, effects = run(flow, state, TicketIssued(now=4, ticket=TICKET), TicketPrinted(now=5, ok=True))
    assert later == state and effects == []


def test_verification_colours_and_timeout(flow):
    for outcome in VerifyOutcome:
        state, effects = run(flow, attract(flow), VerifyPressed(now=1), VerifyScanned(now=2, code="ABCD1234"))
        assert effects == [VerifyDocument("ABCD1234")] and state.busy
        state, _ = run(flow, state, VerifyAnswered(now=3, info=VerifyInfo(outcome, "KK", "2026-11-20", 1)))
        assert state.verification.outcome is outcome and not state.busy
    state, _ = run(flow, state, Tick(now=18.1))
    assert state.screen is Screen.ATTRACT and state.verification is None


def test_verification_failure_is_a_message_not_a_colour(flow):
    state, _ = run(flow, attract(flow), VerifyScanned(now=1, code="ABCD1234"),
                   VerifyFailed(now=2, problem="central.timeout"))
    assert (state.screen, state.verification, state.message.key) == (Screen.VERIFY, None, "central.timeout")


@pytest.mark.parametrize("screen_event", [QueuePressed, VerifyPressed])
def test_scans_that_mean_nothing_here_only_give_a_message(flow, screen_event):
    state, _ = run(flow, attract(flow), screen_event(now=1))
    for scan in (UnknownScan(now=2), LoginQrScanned(now=2, token="t" * 20, holder="ab" * 16),
                 BookingScanned(now=2, code="ANTRI-0901") if screen_event is VerifyPressed
                 else VerifyScanned(now=2, code="ABCD1234")):
        after, effects = run(flow, state, scan)
        expected = "queue.scan_wrong" if screen_event is QueuePressed else "verify.scan_wrong"
        assert effects == [] and after.message.key == expected and after.screen is state.screen


def test_busy_screens_ignore_scans(flow):
    state, _ = run(flow, attract(flow), BookingScanned(now=1, code="ANTRI-0901"))
    after, effects = run(flow, state, BookingScanned(now=2, code="ANTRI-0902"), UnknownScan(now=2))
    assert after == replace(state, last_activity=2) and effects == []


def test_service_screens_time_out_like_a_session(flow):
    for event in (QueuePressed(now=0), VerifyPressed(now=0)):
        state, _ = run(flow, attract(flow), event, Tick(now=60))
        assert state.idle_warning_since == 60
        state, _ = run(flow, state, Tick(now=80))
        assert state.screen is Screen.ATTRACT


def test_forgot_pin_from_the_pin_screen_and_back(flow):
    state, _ = run(flow, attract(flow), StartPressed(now=1), NikSubmitted(now=2, text=NIK), ForgotPinPressed(now=3))
    assert (state.screen, state.nik.digits, state.reset_from) == (Screen.PIN_RESET, NIK, Screen.PIN_ENTRY)
    back, _ = run(flow, state, BackPressed(now=4))
    assert (back.screen, back.nik.digits) == (Screen.PIN_ENTRY, NIK)
    state, effects = run(flow, state, PinRequestSubmitted(now=4, text=NIK))
    assert state.busy and effects == [RequestPin(state.nik)] and "3273" not in repr(PinRequestSubmitted(text=NIK))
    state, _ = run(flow, state, PinRequestAnswered(now=5))
    assert state.pin_request_sent and state.message.key == "pin_reset.sent"
    again, effects = run(flow, state, PinRequestSubmitted(now=6, text=NIK))
    assert effects == []  # one request per visit
    state, _ = run(flow, state, EnterPinPressed(now=6))
    assert (state.screen, state.nik.digits, state.pin_request_sent) == (Screen.PIN_ENTRY, NIK, False)


def test_forgot_pin_from_nik_entry_goes_back_there_without_a_nik(flow):
    state, _ = run(flow, attract(flow), StartPressed(now=1), ForgotPinPressed(now=2),
                   PinRequestSubmitted(now=3, text=NIK), PinRequestAnswered(now=4, problem="central.unreachable"))
    assert (state.screen, state.pin_request_sent, state.message.key) == (Screen.PIN_RESET, False, "central.unreachable")
    state, _ = run(flow, state, BackPressed(now=5))
    assert (state.screen, state.nik) == (Screen.NIK_ENTRY, None)


def test_the_slip_lists_what_printed(flow):
    kk = {"title": "Kartu Keluarga", "title_en": "Family Card (KK)"}
    docs = (DocumentItem("d1", "kk", "2026-11-20", Media.A4, verify_url="https://c/v1/verify/AAAA", **kk),
            DocumentItem("d2", "ktp_el", "2026-11-20", Media.CARD, verify_url="https://c/v1/verify/BBBB",
                         title="KTP Elektronik", title_en="Electronic ID card"),
            DocumentItem("d3", "kk", "2026-11-20", Media.A4, **kk))
    state = replace(attract(flow), screen=Screen.PRINTING, documents=docs,
                    progress=tuple(DocProgress(d.id) for d in docs))
    state, effects = run(flow, state, PrintUpdate(now=1, document_id="d1", phase=Phase.FAILED, error="x"),
                         PrintUpdate(now=2, document_id="d3", phase=Phase.DONE),
                         PrintUpdate(now=3, document_id="d2", phase=Phase.DONE))
    assert state.screen is Screen.DONE and state.slip_printed is None
    assert effects == [PrintSlip(slip_for([("KTP Elektronik", "https://c/v1/verify/BBBB"), ("Kartu Keluarga", "")]))]
    # The service's titles in Bahasa Indonesia (the office's language), whatever language the screen showed.
    assert effects[0].slip.counts == (("KTP Elektronik", 1), ("Kartu Keluarga", 1))
    assert effects[0].slip.qr.endswith("BBBB")
    state, _ = run(flow, state, SlipPrinted(now=4, ok=True))
    assert state.slip_printed is True


def test_nothing_printed_no_slip(flow):
    docs = (DocumentItem("d1", "KK", "2026-11-20", Media.A4),)
    state = replace(attract(flow), screen=Screen.PRINTING, documents=docs, progress=(DocProgress("d1"),))
    state, effects = run(flow, state, PrintUpdate(now=1, document_id="d1", phase=Phase.FAILED, error="x"))
    assert state.screen is Screen.DONE and effects == []
