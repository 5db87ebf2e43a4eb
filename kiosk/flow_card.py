"""The KTP-el + finger login's handlers: a card placed, its NIK read, a finger taken, a fallback to NIK + PIN.

A card placed on the attract (or NIK) screen opens the finger screen and reads the card; its NIK goes into the
state as a typed one would (never shown in full); then each finger is sent to the central service, which
decides and answers with a session as for a PIN. Its answer arrives as the ordinary LoginSucceeded or
LoginFailed (:func:`finger_refused` takes the latter on the finger screen). A card that cannot be read sends
the resident to the NIK screen with a plain message (the keypad and the WhatsApp QR are there);
:data:`~central.vocabulary.FINGER_TRIES` wrong fingers, a finger lockout or a failed reader send them on to the
PIN with the card's NIK. No Kivy, no I/O.
"""

from __future__ import annotations

from dataclasses import replace

from central.vocabulary import FINGER_TRIES
from kiosk.flow_model import (
    CardPlaced,
    CardProblem,
    CardRead,
    CardReadFailed,
    FingerAgainPressed,
    FingerNotRead,
    FingerProblem,
    FlowSettings,
    FlowState,
    LoginFailed,
    LoginProblem,
    Message,
    ReadCard,
    Screen,
    UsePinPressed,
    VerifyFinger,
)
from kiosk.flow_table import Transition, Transitions
from kiosk.message_keys import N_
from kiosk.nik import InvalidNik, parse_nik

#: The handlers of this module, by event type.
CARD_LOGIN = Transitions("card-login")

#: Where a card placed starts the card login (a resident who pressed 'Mulai' may still tap the card).
CARD_START_SCREENS = frozenset({Screen.ATTRACT, Screen.NIK_ENTRY})


@CARD_LOGIN.on(CardPlaced)
def card_placed(state: FlowState, event: CardPlaced, settings: FlowSettings) -> Transition:
    if not settings.card_login or state.screen not in CARD_START_SCREENS or state.busy:
        return state, []
    attempt = state.login_attempt + 1
    return replace(state, screen=Screen.FINGER, busy=True, nik=None, message=None, finger_failures=0,
                   login_attempt=attempt), [ReadCard(attempt=attempt)]


def _answers(state: FlowState, attempt: int) -> bool:
    """The finger screen waits for this very answer (not one to a login its resident left)."""
    return state.screen is Screen.FINGER and state.busy and attempt == state.login_attempt


def awaits_finger(state: FlowState, attempt: int) -> bool:
    """The finger screen waits for a finger for this login (the card is read): the effects send a finger only
    then, and cancel a capture nobody waits for any more (the resident went back, timed out or chose the PIN)."""
    return _answers(state, attempt) and state.nik is not None


@CARD_LOGIN.on(CardRead)
def card_read(state: FlowState, event: CardRead, settings: FlowSettings) -> Transition:
    if not _answers(state, event.attempt) or state.nik is not None:
        return state, []
    try:
        nik = parse_nik(event.nik)
    except InvalidNik:  # a card holding no NIK the kiosk accepts: as unreadable
        return _unreadable(state, CardProblem.UNREADABLE, event.now)
    attempt = state.login_attempt + 1
    return replace(state, nik=nik, login_attempt=attempt, last_activity=event.now), [
        VerifyFinger(nik, attempt=attempt)]


@CARD_LOGIN.on(CardReadFailed)
def card_read_failed(state: FlowState, event: CardReadFailed, settings: FlowSettings) -> Transition:
    if not _answers(state, event.attempt) or state.nik is not None:
        return state, []
    return _unreadable(state, event.problem, event.now)


def _unreadable(state: FlowState, problem: CardProblem, now: float) -> Transition:
    """To the NIK screen with why: the keypad and the WhatsApp QR are the other ways in."""
    return replace(state, screen=Screen.NIK_ENTRY, busy=False, nik=None, last_activity=now,
                   message=Message(problem.value, severity="warning")), []


@CARD_LOGIN.on(FingerNotRead)
def finger_not_read(state: FlowState, event: FingerNotRead, settings: FlowSettings) -> Transition:
    nik = state.nik
    if not _answers(state, event.attempt) or nik is None:
        return state, []
    state = replace(state, last_activity=event.now)
    if event.problem is FingerProblem.RETRY:  # a poor scan does not count: the reader asks again at once
        attempt = state.login_attempt + 1
        return replace(state, login_attempt=attempt, message=Message(event.problem.value, severity="warning")), [
            VerifyFinger(nik, attempt=attempt)]
    if event.problem is FingerProblem.READER:
        return _to_pin(state, Message(event.problem.value, severity="warning"))
    return replace(state, busy=False, message=Message(event.problem.value, severity="warning")), []


def finger_refused(state: FlowState, event: LoginFailed) -> Transition:
    """The central service's answer to a finger on the finger screen (:func:`kiosk.flow.login_failed`)."""
    nik = state.nik
    assert nik is not None  # the finger screen sends a finger only with the card's NIK
    state = replace(state, last_activity=event.now)
    if event.problem is LoginProblem.LOCKED:  # the service locks at the last try: that is the fourth wrong finger
        last = state.finger_failures + 1 >= FINGER_TRIES
        return _to_pin(replace(state, finger_failures=state.finger_failures + 1),
                       Message(N_("finger.fallback") if last else N_("finger.locked"), severity="warning"))
    if event.problem is not LoginProblem.INVALID_CREDENTIALS:  # the service could not be asked: 'Coba lagi'
        return replace(state, busy=False, message=Message(event.problem.value)), []
    failures = state.finger_failures + 1
    state = replace(state, finger_failures=failures)
    left = FINGER_TRIES - failures
    if event.attempts_left is not None:
        left = min(left, event.attempts_left)
    if left <= 0:
        return _to_pin(state, Message(N_("finger.fallback"), severity="warning"))
    attempt = state.login_attempt + 1
    return replace(state, login_attempt=attempt, message=Message(N_("finger.no_match"), {"tries_left": left})), [
        VerifyFinger(nik, attempt=attempt)]


def _to_pin(state: FlowState, message: Message | None) -> Transition:
    """NIK + PIN with the card's NIK (shown masked); an answer still on its way is no longer awaited."""
    return replace(state, screen=Screen.PIN_ENTRY, busy=False, message=message,
                   login_attempt=state.login_attempt + 1), []


@CARD_LOGIN.on(FingerAgainPressed)
def finger_again(state: FlowState, event: FingerAgainPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.FINGER or state.busy or state.nik is None:
        return state, []
    attempt = state.login_attempt + 1
    return replace(state, busy=True, message=None, login_attempt=attempt), [VerifyFinger(state.nik, attempt=attempt)]


@CARD_LOGIN.on(UsePinPressed)
def use_pin(state: FlowState, event: UsePinPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.FINGER or state.nik is None:
        return state, []
    return _to_pin(state, None)
