"""The officer role in the flow (issue 19), driven without Kivy: sign-in, the list, the identity check, the
resident's printing screens, the shorter timeouts, the session that ends after the print under way, the audit."""

from __future__ import annotations

from kiosk.flow import (
    AuditOfficer,
    BackPressed,
    CancelPressed,
    Confirmed,
    DocumentItem,
    EndOfficerSession,
    EndSession,
    Flow,
    FlowSettings,
    FlowState,
    IdentitySubmitted,
    Media,
    OfficerCardScanned,
    OfficerLogin,
    OfficerLoginFailed,
    OfficerPinSubmitted,
    OfficerPressed,
    OfficerRequestChosen,
    OfficerRequestItem,
    OfficerResidentOpened,
    OfficerSignedIn,
    OpenForRequest,
    Phase,
    PrintDocuments,
    PrinterAvailability,
    PrintPressed,
    PrintUpdate,
    Screen,
    StartPressed,
    TechnicianOpened,
    Tick,
)

BOTH_UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
SETTINGS = FlowSettings(officer_idle_s=30, officer_session_s=240)
REQUESTS = (OfficerRequestItem("SUB-2026-0101", "U. S.", ("Kartu Keluarga",), ("Family Card (KK)",)),)
KK = DocumentItem(id="DOC-KK", type="kk", issued="2026-12-01", media=Media.A4, title="Kartu Keluarga")
OFFICER_SESSION = object()
RESIDENT_SESSION = object()


def _run(flow: Flow, state: FlowState, event) -> tuple[FlowState, list]:
    return flow.handle(state, event)


def signed_in(flow: Flow, t: float = 0.0) -> FlowState:
    state = flow.initial(BOTH_UP)
    state, _ = _run(flow, state, OfficerPressed(now=t))
    assert state.screen is Screen.OFFICER_LOGIN
    assert not state.accessible  # a staff path: the resident's accessibility mode is off
    state, _ = _run(flow, state, OfficerCardScanned(now=t, card="c" * 32))
    state, effects = _run(flow, state, OfficerPinSubmitted(now=t, pin="135790"))
    [login] = effects
    assert isinstance(login, OfficerLogin) and login.card == "c" * 32 and state.busy
    assert "135790" not in repr(login) and "c" * 32 not in repr(login)
    state, effects = _run(flow, state, OfficerSignedIn(now=t, attempt=login.attempt, session=OFFICER_SESSION,
                                                       officer_id="OPSI-001", masked_name="A*** S*******",
                                                       requests=REQUESTS))
    assert state.screen is Screen.OFFICER_REQUESTS and not state.busy
    assert state.officer.card == ""  # the card's secret is not kept once signed in
    assert effects == [AuditOfficer("OPSI-001", "signed_in", (("requests", "1"),))]
    return state


def printing(flow: Flow, t: float = 0.0) -> FlowState:
    state = signed_in(flow, t)
    state, effects = _run(flow, state, OfficerRequestChosen(now=t, code="SUB-2026-0101"))
    assert state.screen is Screen.OFFICER_CHECK
    assert effects == [AuditOfficer("OPSI-001", "request_chosen", (("request", "SUB-2026-0101"),))]
    state, effects = _run(flow, state, IdentitySubmitted(now=t, digits="0006", checked=True))
    [check] = effects
    assert check == OpenForRequest(OFFICER_SESSION, "SUB-2026-0101", "0006", True)
    state, effects = _run(flow, state, OfficerResidentOpened(now=t, attempt=check.attempt, session=RESIDENT_SESSION,
                                                             masked_name="U**** S******", documents=(KK,)))
    assert state.screen is Screen.DOCUMENTS and state.session is RESIDENT_SESSION and state.selected == {"DOC-KK"}
    assert state.nik is None  # the kiosk never had the resident's NIK
    assert effects == [AuditOfficer("OPSI-001", "identity_checked", (("request", "SUB-2026-0101"),))]
    state, _ = _run(flow, state, PrintPressed(now=t))
    state, effects = _run(flow, state, Confirmed(now=t))
    assert state.screen is Screen.PRINTING
    assert effects == [PrintDocuments(RESIDENT_SESSION, (KK,), None)]
    return state


def test_an_officer_reaches_the_residents_printing_screens():
    flow = Flow(SETTINGS)
    state = printing(flow)
    state, effects = _run(flow, state, PrintUpdate(now=5, document_id="DOC-KK", phase=Phase.DONE, fraction=1))
    assert state.screen is Screen.DONE
    audit = [e for e in effects if isinstance(e, AuditOfficer)]
    assert audit == [AuditOfficer("OPSI-001", "document_printed",
                                  (("document_id", "DOC-KK"), ("document_type", "kk"), ("request", "SUB-2026-0101")))]
    state, effects = _run(flow, state, CancelPressed(now=6))  # 'Selesai'
    assert state.screen is Screen.ATTRACT and state.officer is None and state.session is None
    assert EndSession(RESIDENT_SESSION) in effects and EndOfficerSession(OFFICER_SESSION, "OPSI-001") in effects


def test_the_officer_session_timing_out_mid_print_lets_the_print_finish_then_returns_to_attract():
    flow = Flow(SETTINGS)
    state = printing(flow, t=0)
    state, effects = _run(flow, state, Tick(now=241))
    assert state.screen is Screen.PRINTING and state.officer.timed_out  # never abandons a job mid-print
    assert effects == [AuditOfficer("OPSI-001", "session_timeout", (("during", "printing"),))]
    assert state.message.key == "officer.ending_after_print"
    state, effects = _run(flow, state, Tick(now=400))
    assert state.screen is Screen.PRINTING and effects == []
    state, effects = _run(flow, state, CancelPressed(now=401))
    assert state.screen is Screen.PRINTING and effects == []
    state, effects = _run(flow, state, PrintUpdate(now=402, document_id="DOC-KK", phase=Phase.DONE, fraction=1))
    # The print is over: recorded in the audit, the sessions end, back to the attract screen at once.
    assert state.screen is Screen.ATTRACT and state.officer is None and state.session is None
    assert state.message.key == "officer.session_ended"
    kinds = [type(e).__name__ for e in effects]
    assert kinds[0] == "AuditOfficer" and "EndSession" in kinds and "EndOfficerSession" in kinds


def test_the_officer_session_ends_on_any_other_screen_when_its_time_is_up():
    flow = Flow(SETTINGS)
    state = signed_in(flow, t=0)
    state, _ = _run(flow, state, Tick(now=10))
    assert state.screen is Screen.OFFICER_REQUESTS
    state, effects = _run(flow, state, Tick(now=240))
    assert state.screen is Screen.ATTRACT and state.officer is None
    assert effects[0] == AuditOfficer("OPSI-001", "session_timeout", (("during", "officer_requests"),))
    assert EndOfficerSession(OFFICER_SESSION, "OPSI-001") in effects


def test_an_officer_is_warned_idle_sooner_than_a_resident():
    flow = Flow(SETTINGS)
    state = signed_in(flow, t=0)
    state, _ = _run(flow, state, Tick(now=29))
    assert state.idle_warning_since is None
    state, _ = _run(flow, state, Tick(now=30))
    assert state.idle_warning_since == 30  # a resident's comes after 60 s
    state, effects = _run(flow, state, Tick(now=50))
    assert state.screen is Screen.ATTRACT and EndOfficerSession(OFFICER_SESSION, "OPSI-001") in effects
    resident = flow.handle(flow.initial(BOTH_UP), StartPressed(now=0))[0]
    assert flow.handle(resident, Tick(now=30))[0].idle_warning_since is None


def test_the_identity_check_needs_four_digits_and_the_tick():
    flow = Flow(SETTINGS)
    state = signed_in(flow)
    state, _ = _run(flow, state, OfficerRequestChosen(now=0, code="SUB-2026-0101"))
    for digits in ("", "123", "12345", "12a4", "١٢٣٤"):
        new, effects = _run(flow, state, IdentitySubmitted(now=0, digits=digits, checked=True))
        assert effects == [] and new.message.key == "officer.check_digits", digits
    new, effects = _run(flow, state, IdentitySubmitted(now=0, digits="0006", checked=False))
    assert effects == [] and new.message.key == "officer.check_tick"
    assert "0006" not in repr(IdentitySubmitted(now=0, digits="0006", checked=True))


def test_a_request_filed_by_another_officer_is_refused_back_to_the_list():
    flow = Flow(SETTINGS)
    state = signed_in(flow)
    state, _ = _run(flow, state, OfficerRequestChosen(now=0, code="SUB-2026-0101"))
    state, [check] = _run(flow, state, IdentitySubmitted(now=0, digits="0006", checked=True))
    state, effects = _run(flow, state, OfficerLoginFailed(now=1, attempt=check.attempt, problem="officer.not_yours"))
    assert state.screen is Screen.OFFICER_REQUESTS and state.message.key == "officer.not_yours"
    assert effects == [AuditOfficer("OPSI-001", "identity_refused",
                                    (("reason", "officer.not_yours"), ("request", "SUB-2026-0101")))]
    # A request not in the officer's own list cannot even be chosen.
    new, effects = _run(flow, state, OfficerRequestChosen(now=2, code="SUB-2026-0102"))
    assert new.screen is Screen.OFFICER_REQUESTS and effects == []


def test_a_refused_sign_in_asks_for_the_card_again_and_says_why():
    flow = Flow(SETTINGS)
    state = flow.initial(BOTH_UP)
    state, _ = _run(flow, state, OfficerCardScanned(now=0, card="c" * 32))  # the card opens the entry too
    assert state.screen is Screen.OFFICER_LOGIN and state.officer.card
    new, effects = _run(flow, state, OfficerPinSubmitted(now=0, pin="12"))
    assert effects == [] and new.message.key == "pin.length"
    state, [login] = _run(flow, state, OfficerPinSubmitted(now=0, pin="000000"))
    state, effects = _run(flow, state, OfficerLoginFailed(now=1, attempt=login.attempt, problem="officer.locked",
                                                          retry_after_s=900))
    assert state.screen is Screen.OFFICER_LOGIN and state.officer.card == "" and not state.busy
    assert state.message.key == "officer.locked" and state.message.params == {"minutes": 15}
    new, effects = _run(flow, state, OfficerPinSubmitted(now=2, pin="135790"))
    assert effects == [] and new.message.key == "officer.scan_card_first"


def test_an_officer_never_reaches_the_technician_area():
    flow = Flow(SETTINGS)
    state = signed_in(flow)
    for screen_state in (state, _run(flow, state, OfficerRequestChosen(now=0, code="SUB-2026-0101"))[0],
                         printing(flow)):
        new, _ = _run(flow, screen_state, TechnicianOpened(now=0))
        assert new.screen is screen_state.screen is not Screen.TECHNICIAN


def test_back_goes_from_the_check_to_the_list_and_from_the_list_out():
    flow = Flow(SETTINGS)
    state = signed_in(flow)
    state, _ = _run(flow, state, OfficerRequestChosen(now=0, code="SUB-2026-0101"))
    state, _ = _run(flow, state, BackPressed(now=0))
    assert state.screen is Screen.OFFICER_REQUESTS and state.officer.chosen is None
    state, effects = _run(flow, state, BackPressed(now=0))
    assert state.screen is Screen.ATTRACT and EndOfficerSession(OFFICER_SESSION, "OPSI-001") in effects


def test_a_late_sign_in_answer_after_the_officer_left_ends_that_session():
    flow = Flow(SETTINGS)
    state = flow.initial(BOTH_UP)
    state, _ = _run(flow, state, OfficerPressed(now=0))
    state, _ = _run(flow, state, OfficerCardScanned(now=0, card="c" * 32))
    state, [login] = _run(flow, state, OfficerPinSubmitted(now=0, pin="135790"))
    state, _ = _run(flow, state, CancelPressed(now=1))
    assert state.screen is Screen.ATTRACT
    state, effects = _run(flow, state, OfficerSignedIn(now=2, attempt=login.attempt, session=OFFICER_SESSION,
                                                       officer_id="OPSI-001", requests=REQUESTS))
    assert state.screen is Screen.ATTRACT and state.officer is None
    assert effects == [EndOfficerSession(OFFICER_SESSION, "OPSI-001", reason="abandoned")]


def test_an_officer_session_the_service_ended_ends_the_visit():
    flow = Flow(SETTINGS)
    state = signed_in(flow)
    state, _ = _run(flow, state, OfficerRequestChosen(now=0, code="SUB-2026-0101"))
    state, [check] = _run(flow, state, IdentitySubmitted(now=0, digits="0006", checked=True))
    state, effects = _run(flow, state, OfficerLoginFailed(now=1, attempt=check.attempt, problem="session.expired"))
    assert state.screen is Screen.ATTRACT and state.officer is None
    assert state.message.key == "officer.session_ended"
    assert EndOfficerSession(OFFICER_SESSION, "OPSI-001") in effects
