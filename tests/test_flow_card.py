"""The KTP-el + finger login in the pure flow: card placed -> NIK read -> finger -> documents; four wrong
fingers (or a locked finger login, or a failed reader) -> NIK + PIN with the card's NIK; a card that cannot be
read -> the NIK screen and its other logins; a kiosk without the readers unchanged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from central.vocabulary import FINGER_TRIES
from kiosk.flow import (
    BackPressed,
    CardPlaced,
    CardProblem,
    CardRead,
    CardReadFailed,
    EndSession,
    FingerAgainPressed,
    FingerNotRead,
    FingerProblem,
    Flow,
    FlowSettings,
    FlowState,
    Login,
    LoginFailed,
    LoginProblem,
    LoginSucceeded,
    Media,
    PinSubmitted,
    PrinterAvailability,
    ReadCard,
    Screen,
    Tick,
    UsePinPressed,
    VerifyFinger,
)
from kiosk.nik import parse_nik

NIK = "3273015503850002"
BOTH_UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
SESSION = object()


@pytest.fixture
def flow() -> Flow:
    return Flow(FlowSettings(card_login=True))


def _placed(flow: Flow) -> tuple[FlowState, int]:
    state, effects = flow.handle(flow.initial(BOTH_UP), CardPlaced(now=1))
    assert state.screen is Screen.FINGER and state.busy and effects == [ReadCard()]
    return state, effects[0].attempt  # type: ignore[attr-defined]


def _finger_asked(flow: Flow) -> tuple[FlowState, VerifyFinger]:
    state, attempt = _placed(flow)
    state, effects = flow.handle(state, CardRead(now=2, attempt=attempt, nik=NIK))
    assert state.screen is Screen.FINGER and state.busy and state.nik == parse_nik(NIK)
    (verify,) = effects
    assert isinstance(verify, VerifyFinger) and verify.nik == parse_nik(NIK)
    return state, verify


def test_card_then_finger_opens_the_documents(flow):
    state, verify = _finger_asked(flow)
    state, effects = flow.handle(state, LoginSucceeded(now=3, attempt=verify.attempt, session=SESSION,
                                                       masked_name="B*** S******"))
    assert state.screen is Screen.DOCUMENTS and state.session is SESSION and effects == []


def test_four_wrong_fingers_fall_back_to_the_pin_with_the_cards_nik(flow):
    state, verify = _finger_asked(flow)
    for failed in range(1, FINGER_TRIES + 1):
        state, effects = flow.handle(state, LoginFailed(now=3, attempt=verify.attempt,
                                                        problem=LoginProblem.INVALID_CREDENTIALS,
                                                        attempts_left=None))
        if failed < FINGER_TRIES:
            assert state.screen is Screen.FINGER and state.busy
            assert state.message is not None and state.message.params == {"tries_left": FINGER_TRIES - failed}
            (verify,) = effects  # the reader waits for the next finger at once
        else:
            assert effects == []
    assert state.screen is Screen.PIN_ENTRY and not state.busy and state.nik == parse_nik(NIK)
    assert state.message is not None and state.message.key == "finger.fallback"
    state, effects = flow.handle(state, PinSubmitted(now=4, pin="123456"))
    assert effects == [Login(parse_nik(NIK), "123456")]


def test_a_finger_lockout_falls_back_to_the_pin(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, LoginFailed(now=3, attempt=verify.attempt, problem=LoginProblem.LOCKED,
                                              retry_after_s=900))
    assert state.screen is Screen.PIN_ENTRY and state.message.key == "finger.locked"


def test_a_poor_scan_asks_again_without_counting(flow):
    state, verify = _finger_asked(flow)
    for _ in range(FINGER_TRIES + 2):
        state, effects = flow.handle(state, FingerNotRead(now=3, attempt=verify.attempt, problem=FingerProblem.RETRY))
        (verify,) = effects
        assert state.screen is Screen.FINGER and state.finger_failures == 0


def test_no_finger_in_time_waits_for_coba_lagi(flow):
    state, verify = _finger_asked(flow)
    state, effects = flow.handle(state, FingerNotRead(now=3, attempt=verify.attempt, problem=FingerProblem.TIMEOUT))
    assert state.screen is Screen.FINGER and not state.busy and effects == []
    state, effects = flow.handle(state, FingerAgainPressed(now=4))
    assert state.busy and [type(e) for e in effects] == [VerifyFinger]


def test_the_idle_timer_ends_a_finger_screen_no_one_uses(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, FingerNotRead(now=3, attempt=verify.attempt, problem=FingerProblem.TIMEOUT))
    state, _ = flow.handle(state, Tick(now=3 + 61))
    state, effects = flow.handle(state, Tick(now=3 + 61 + 21))
    assert state.screen is Screen.ATTRACT and state.nik is None and isinstance(effects[0], EndSession)


def test_a_failed_fingerprint_reader_falls_back_to_the_pin(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, FingerNotRead(now=3, attempt=verify.attempt, problem=FingerProblem.READER))
    assert state.screen is Screen.PIN_ENTRY and state.nik == parse_nik(NIK)


@pytest.mark.parametrize("problem", list(CardProblem))
def test_a_card_that_cannot_be_read_leads_to_the_other_logins(flow, problem):
    state, attempt = _placed(flow)
    state, effects = flow.handle(state, CardReadFailed(now=2, attempt=attempt, problem=problem))
    assert state.screen is Screen.NIK_ENTRY and not state.busy and state.nik is None and effects == []
    assert state.message is not None and state.message.key == problem.value


def test_a_card_holding_no_valid_nik_is_unreadable(flow):
    state, attempt = _placed(flow)
    state, _ = flow.handle(state, CardRead(now=2, attempt=attempt, nik="0000000000000000"))
    assert state.screen is Screen.NIK_ENTRY and state.message.key == CardProblem.UNREADABLE.value


def test_pakai_pin_goes_on_with_the_cards_nik_and_a_late_finger_is_not_taken(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, UsePinPressed(now=3))
    assert state.screen is Screen.PIN_ENTRY and state.nik == parse_nik(NIK) and not state.busy
    late = LoginSucceeded(now=4, attempt=verify.attempt, session=SESSION)
    state, effects = flow.handle(state, late)
    assert state.screen is Screen.PIN_ENTRY and state.session is None and effects == [EndSession(SESSION)]


def test_leaving_while_the_reader_waits_keeps_nothing_and_ends_a_late_session(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, BackPressed(now=3))
    assert state.screen is Screen.ATTRACT and state.nik is None and state.finger_failures == 0
    state, effects = flow.handle(state, LoginSucceeded(now=4, attempt=verify.attempt, session=SESSION))
    assert state.screen is Screen.ATTRACT and effects == [EndSession(SESSION)]


def test_a_kiosk_without_the_readers_ignores_a_card(flow):
    plain = Flow(FlowSettings())
    state, effects = plain.handle(plain.initial(BOTH_UP), CardPlaced(now=1))
    assert state.screen is Screen.ATTRACT and not state.busy and effects == []


def test_a_card_placed_mid_session_is_ignored(flow):
    state, verify = _finger_asked(flow)
    state, _ = flow.handle(state, LoginSucceeded(now=3, attempt=verify.attempt, session=SESSION))
    new, effects = flow.handle(state, CardPlaced(now=4))
    assert new.screen is Screen.DOCUMENTS and new.session is SESSION and effects == []


def test_the_nik_read_never_shows_in_an_events_or_effects_repr(flow):
    state, verify = _finger_asked(flow)
    assert NIK not in repr(CardRead(nik=NIK)) and NIK not in repr(verify) and NIK not in repr(state.nik)
    assert NIK not in repr(replace(state, message=None))
