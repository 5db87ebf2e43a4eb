"""The officer role's handlers: an OPSI officer prints for a resident without a phone.

From the attract screen's discreet 'Petugas' entry: scan the officer card, type the officer's PIN (the
service locks the card after wrong PINs), pick the request of the resident who is present (initials only),
check the resident's KTP/KK (type the NIK's last four digits, which the service checks; tick that the card
was checked), then the resident's normal printing screens with a resident session the service opened for
that request. Pure like :mod:`kiosk.flow`: the effects do the talking and the audit.

The officer's timeouts are shorter: the idle warning after ``officer_idle_s``, and the officer session ends
``officer_session_s`` after sign-in. Ending it mid-print lets the print finish (the journal records it as
always) and then returns to the attract screen. The officer never reaches the technician's area: it opens
only from a home screen. Every officer action is an :class:`AuditOfficer` effect with the officer's id.
"""

from __future__ import annotations

from dataclasses import replace

from central.vocabulary import NIK_CHECK_DIGITS, PIN_DIGITS
from kiosk.flow_model import (
    TERMINAL_PHASES,
    AuditOfficer,
    DocumentItem,
    Effect,
    EndOfficerSession,
    EndSession,
    FlowSettings,
    FlowState,
    IdentitySubmitted,
    Message,
    OfficerCardScanned,
    OfficerLogin,
    OfficerLoginFailed,
    OfficerPinSubmitted,
    OfficerPressed,
    OfficerRequestChosen,
    OfficerResidentOpened,
    OfficerSignedIn,
    OfficerVisit,
    OpenForRequest,
    Phase,
    Screen,
    Tick,
)
from kiosk.flow_table import Transition, Transitions, logout, with_documents
from kiosk.message_keys import N_

#: The handlers of this module, by event type.
OFFICER = Transitions("officer")


def audit(state: FlowState, action: str, **fields: str) -> list[Effect]:
    """The audit effect for an officer action (nothing when no officer is signed in)."""
    officer = state.officer
    if officer is None or not officer.officer_id:
        return []
    return [AuditOfficer(officer.officer_id, action, tuple(sorted(fields.items())))]


@OFFICER.on(OfficerPressed)
def officer_pressed(state: FlowState, event: OfficerPressed, settings: FlowSettings) -> Transition:
    if state.screen is not Screen.ATTRACT:
        return state, []
    return replace(state, screen=Screen.OFFICER_LOGIN, officer=OfficerVisit(), message=None, accessible=False), []


@OFFICER.on(OfficerCardScanned)
def officer_card_scanned(state: FlowState, event: OfficerCardScanned, settings: FlowSettings) -> Transition:
    """On the sign-in screen, or on the attract screen (the card itself is an entry): the card is read."""
    if state.screen is Screen.ATTRACT and event.card:
        state = replace(state, screen=Screen.OFFICER_LOGIN, officer=OfficerVisit(), accessible=False)
    if state.screen is not Screen.OFFICER_LOGIN or state.busy or state.officer is None or not event.card:
        return state, []
    return replace(state, officer=replace(state.officer, card=event.card),
                   message=Message(N_("officer.card_read"), severity="info")), []


@OFFICER.on(OfficerPinSubmitted)
def officer_pin_submitted(state: FlowState, event: OfficerPinSubmitted, settings: FlowSettings) -> Transition:
    officer = state.officer
    if state.screen is not Screen.OFFICER_LOGIN or state.busy or officer is None:
        return state, []
    if not officer.card:
        return replace(state, message=Message(N_("officer.scan_card_first"), severity="warning")), []
    if len(event.pin) != PIN_DIGITS or not event.pin.isascii() or not event.pin.isdigit():
        return replace(state, message=Message("pin.length")), []
    attempt = state.login_attempt + 1
    return replace(state, busy=True, message=None, login_attempt=attempt), [
        OfficerLogin(officer.card, event.pin, attempt=attempt)]


def _answer_expected(state: FlowState, attempt: int, screen: Screen) -> bool:
    return state.busy and state.screen is screen and state.officer is not None and attempt == state.login_attempt


@OFFICER.on(OfficerSignedIn)
def officer_signed_in(state: FlowState, event: OfficerSignedIn, settings: FlowSettings) -> Transition:
    officer = state.officer
    if officer is None or not _answer_expected(state, event.attempt, Screen.OFFICER_LOGIN):
        # A late answer after the officer left: that session ends at once.
        return state, [EndOfficerSession(event.session, event.officer_id, reason="abandoned")]
    visit = replace(officer, card="", session=event.session, officer_id=event.officer_id,
                    masked_name=event.masked_name, started=event.now, requests=event.requests)
    state = replace(state, busy=False, officer=visit, screen=Screen.OFFICER_REQUESTS, last_activity=event.now,
                    message=None if event.requests else Message(N_("officer.no_requests"), severity="info"))
    return state, audit(state, "signed_in", requests=str(len(event.requests)))


@OFFICER.on(OfficerLoginFailed)
def officer_login_failed(state: FlowState, event: OfficerLoginFailed, settings: FlowSettings) -> Transition:
    officer = state.officer
    checking = _answer_expected(state, event.attempt, Screen.OFFICER_CHECK)
    if officer is None or not (checking or _answer_expected(state, event.attempt, Screen.OFFICER_LOGIN)):
        return state, []
    params: dict[str, int] = {}
    if event.attempts_left is not None:
        params["attempts_left"] = event.attempts_left
    if event.retry_after_s is not None:
        params["minutes"] = max(1, int(-(-event.retry_after_s // 60)))
    state = replace(state, busy=False, last_activity=event.now, message=Message(event.problem, params))
    if not checking:  # sign-in refused: scan the card again (a locked card, a wrong PIN alike)
        return replace(state, officer=replace(officer, card="")), []
    effects = audit(state, "identity_refused", request=officer.chosen or "", reason=event.problem)
    if event.problem == "session.expired":  # the officer session is over at the service: the visit ends
        state, out = logout(state, settings)
        return replace(state, message=Message(N_("officer.session_ended"), severity="info")), effects + out
    if event.problem == N_("officer.not_yours"):
        state = replace(state, screen=Screen.OFFICER_REQUESTS, officer=replace(officer, chosen=None))
    return state, effects


@OFFICER.on(OfficerRequestChosen)
def officer_request_chosen(state: FlowState, event: OfficerRequestChosen, settings: FlowSettings) -> Transition:
    officer = state.officer
    if state.screen is not Screen.OFFICER_REQUESTS or officer is None or state.busy:
        return state, []
    if event.code not in {r.code for r in officer.requests}:
        return state, []
    state = replace(state, screen=Screen.OFFICER_CHECK, officer=replace(officer, chosen=event.code), message=None)
    return state, audit(state, "request_chosen", request=event.code)


@OFFICER.on(IdentitySubmitted)
def identity_submitted(state: FlowState, event: IdentitySubmitted, settings: FlowSettings) -> Transition:
    officer = state.officer
    if state.screen is not Screen.OFFICER_CHECK or officer is None or officer.chosen is None or state.busy:
        return state, []
    digits = event.digits.strip()
    if len(digits) != NIK_CHECK_DIGITS or not digits.isascii() or not digits.isdigit():
        return replace(state, message=Message(N_("officer.check_digits"))), []
    if not event.checked:
        return replace(state, message=Message(N_("officer.check_tick"), severity="warning")), []
    attempt = state.login_attempt + 1
    return replace(state, busy=True, message=None, login_attempt=attempt), [
        OpenForRequest(officer.session, officer.chosen, digits, True, attempt=attempt)]


@OFFICER.on(OfficerResidentOpened)
def officer_resident_opened(state: FlowState, event: OfficerResidentOpened, settings: FlowSettings) -> Transition:
    officer = state.officer
    if officer is None or not _answer_expected(state, event.attempt, Screen.OFFICER_CHECK):
        return state, [EndSession(event.session)]
    state = replace(state, busy=False, session=event.session, masked_name=event.masked_name, screen=Screen.DOCUMENTS,
                    message=None, documents=(), selected=frozenset(), last_activity=event.now)
    state = with_documents(state, event.documents)
    if not event.documents:
        state = replace(state, message=Message("documents.none", severity="info"))
    return state, audit(state, "identity_checked", request=officer.chosen or "")


# --------------------------------------------------------------------------- hooks into the resident's handlers
def officer_tick(state: FlowState, event: Tick, settings: FlowSettings) -> Transition | None:
    """The officer session's end: at once, or after the print under way (None: nothing officer-specific)."""
    officer = state.officer
    if officer is None or officer.session is None or officer.timed_out:
        return None
    if event.now - officer.started < settings.officer_session_s:
        return None
    if state.screen is Screen.PRINTING and not all(p.phase in TERMINAL_PHASES for p in state.progress):
        state = replace(state, officer=replace(officer, timed_out=True),
                        message=Message(N_("officer.ending_after_print"), severity="info"))
        return state, audit(state, "session_timeout", during="printing")
    effects = audit(state, "session_timeout", during=state.screen.value)
    state, out = logout(state, settings)
    return replace(state, message=Message(N_("officer.session_ended"), severity="info")), effects + out


def officer_settings(state: FlowState, settings: FlowSettings) -> FlowSettings:
    """The resident's timeouts, with the officer's shorter idle warning while an officer is signed in."""
    if state.officer is None:
        return settings
    return replace(settings, idle_warning_s=min(settings.idle_warning_s, settings.officer_idle_s))


def officer_printed(old: FlowState, new: FlowState) -> list[Effect]:
    """Audit each document whose print ended (printed or failed) in an officer's visit."""
    if new.officer is None:
        return []
    before = {p.id: p.phase for p in old.progress}
    docs: dict[str, DocumentItem] = {d.id: d for d in new.documents}
    effects: list[Effect] = []
    for p in new.progress:
        if p.phase in TERMINAL_PHASES and before.get(p.id) not in TERMINAL_PHASES:
            doc = docs.get(p.id)
            effects += audit(new, "document_printed" if p.phase is Phase.DONE else "document_failed",
                             document_id=p.id, document_type=doc.type if doc else "",
                             request=new.officer.chosen or "")
    return effects


def officer_back(state: FlowState, settings: FlowSettings) -> Transition:
    """'Kembali' on an officer screen: from the check to the list; from the list or the sign-in, out."""
    officer = state.officer
    if state.screen is Screen.OFFICER_CHECK and officer is not None:
        return replace(state, screen=Screen.OFFICER_REQUESTS, officer=replace(officer, chosen=None), message=None), []
    return logout(state, settings)
