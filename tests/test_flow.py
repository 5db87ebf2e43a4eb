"""The resident flow, driven without Kivy: every transition, timeouts, faults and a vanishing server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import (
    BackPressed,
    CancelPressed,
    Confirmed,
    DevicesChanged,
    DocProgress,
    DocStatus,
    DocumentItem,
    DocumentToggled,
    EndSession,
    ExtendTime,
    Flow,
    FlowSettings,
    FlowState,
    ForgotPinPressed,
    LanguageToggled,
    Login,
    LoginFailed,
    LoginProblem,
    LoginQrScanned,
    LoginSucceeded,
    LoginWithQr,
    Media,
    NikSubmitted,
    Phase,
    PinRequestSubmitted,
    PinSubmitted,
    PrintDocuments,
    PrinterAvailability,
    PrintPressed,
    PrintUpdate,
    QueuePressed,
    Screen,
    SessionLost,
    StartPressed,
    TechnicianClosed,
    TechnicianOpened,
    Tick,
    Touched,
    VerifyScanned,
    WalkInPressed,
)

NIK = "3273015503850002"
HOLDER = "ab" * 16
BOTH_UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
CARD_DOWN = (
    PrinterAvailability(Media.A4, True),
    PrinterAvailability(Media.CARD, False, "blanko-empty"),
)
ALL_DOWN = (
    PrinterAvailability(Media.A4, False, "media-jam"),
    PrinterAvailability(Media.CARD, False, "offline-report"),
)
DOCS = (
    DocumentItem("d-kk", "KK", "2026-11-20", Media.A4),
    DocumentItem("d-akta", "AKTA_KELAHIRAN", "2026-11-20", Media.A4),
    DocumentItem("d-ktp", "KTP_EL", "2026-11-21", Media.CARD),
    DocumentItem("d-old", "KIA", "2026-01-02", Media.CARD, status=DocStatus.PRINTED),
)
SESSION = object()


class Driver:
    """Feeds events and keeps the state and every effect, like the app does."""

    def __init__(self, printers=BOTH_UP, settings: FlowSettings | None = None):
        self.flow = Flow(settings or FlowSettings(idle_warning_s=60, idle_logout_s=20, done_logout_s=15))
        self.state = self.flow.initial(printers)
        self.effects: list = []
        self.now = 0.0

    def __call__(self, event_type, advance: float = 1.0, **kwargs):
        self.now += advance
        if event_type in (LoginSucceeded, LoginFailed):
            kwargs.setdefault("attempt", self.state.login_attempt)  # the answer to the login under way
        self.state, effects = self.flow.handle(self.state, event_type(now=self.now, **kwargs))
        self.effects += effects
        return effects

    def login(self, documents=DOCS):
        self(StartPressed)
        self(NikSubmitted, text=NIK)
        assert self(PinSubmitted, pin="123456") == [Login(self.state.nik, "123456")]
        self(LoginSucceeded, session=SESSION, masked_name="S*** A***", documents=documents)


def test_starts_on_attract_when_a_printer_works_and_out_of_service_when_none():
    assert Driver(BOTH_UP).state.screen is Screen.ATTRACT
    assert Driver(CARD_DOWN).state.screen is Screen.ATTRACT
    assert Driver(ALL_DOWN).state.screen is Screen.OUT_OF_SERVICE
    assert Driver(()).state.screen is Screen.OUT_OF_SERVICE


def test_printers_coming_and_going_switch_attract_and_out_of_service():
    d = Driver(BOTH_UP)
    d(DevicesChanged, printers=ALL_DOWN)
    assert d.state.screen is Screen.OUT_OF_SERVICE
    d(StartPressed)
    assert d.state.screen is Screen.OUT_OF_SERVICE
    d(DevicesChanged, printers=CARD_DOWN)
    assert d.state.screen is Screen.ATTRACT


def test_happy_path_from_attract_to_done_and_back():
    d = Driver()
    d.login()
    assert d.state.screen is Screen.DOCUMENTS
    assert d.state.masked_name == "S*** A***"
    assert d.state.selected == {"d-kk", "d-akta", "d-ktp"}  # ready ones preselected; printed one not
    d(PrintPressed)
    assert d.state.screen is Screen.CONFIRM
    (effect,) = d(Confirmed)
    assert isinstance(effect, PrintDocuments) and effect.session is SESSION
    assert [doc.id for doc in effect.documents] == ["d-kk", "d-akta", "d-ktp"]
    assert d.state.screen is Screen.PRINTING
    for doc_id in ("d-kk", "d-akta"):
        d(PrintUpdate, document_id=doc_id, phase=Phase.PRINTING, fraction=0.5)
        d(PrintUpdate, document_id=doc_id, phase=Phase.DONE, fraction=1.0)
    assert d.state.screen is Screen.PRINTING
    d(PrintUpdate, document_id="d-ktp", phase=Phase.DONE, fraction=1.0)
    assert d.state.screen is Screen.DONE
    d(Tick, advance=14)
    assert d.state.screen is Screen.DONE
    (end,) = d(Tick, advance=1)
    assert end == EndSession(SESSION)
    # Nothing of the resident is left; only the clock and the count of logins (which names nobody) go on.
    assert d.state == replace(d.flow.initial(BOTH_UP), last_activity=d.state.last_activity, login_attempt=1)


def test_malformed_nik_stays_on_the_keypad_with_a_reason_and_sends_nothing():
    d = Driver()
    d(StartPressed)
    cases = [("1234", "nik.length"), ("9973011503850001", "nik.province"), ("3273013203850001", "nik.birth_date")]
    for text, key in cases:
        assert d(NikSubmitted, text=text) == []
        assert d.state.screen is Screen.NIK_ENTRY
        assert d.state.message.key == key
        assert d.state.nik is None


def test_bad_pin_shape_is_refused_locally():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    for pin in ("12345", "1234567", "12a456", "١٢٣٤٥٦"):
        assert d(PinSubmitted, pin=pin) == []
        assert d.state.message.key == "pin.length"


def test_wrong_pin_shows_attempts_left_and_lock_returns_to_nik():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="000000")
    assert d.state.busy
    assert d(PinSubmitted, pin="111111") == []  # no second login while one is under way
    d(LoginFailed, problem=LoginProblem.INVALID_CREDENTIALS, attempts_left=2)
    assert d.state.screen is Screen.PIN_ENTRY and not d.state.busy
    assert d.state.message.key == "login.invalid" and d.state.message.params == {"attempts_left": 2}
    d(PinSubmitted, pin="000001")
    d(LoginFailed, problem=LoginProblem.LOCKED, retry_after_s=899)
    assert d.state.screen is Screen.NIK_ENTRY and d.state.nik is None
    assert d.state.message.params == {"minutes": 15}


@pytest.mark.parametrize("problem", [LoginProblem.UNREACHABLE, LoginProblem.TIMEOUT, LoginProblem.PROTOCOL])
def test_central_service_vanishing_during_login_gives_a_retryable_message(problem):
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="123456")
    d(LoginFailed, problem=problem)
    assert d.state.screen is Screen.PIN_ENTRY and not d.state.busy
    assert d.state.message.key == problem.value
    assert isinstance(d(PinSubmitted, pin="123456")[0], Login)  # the resident can try again


def test_login_answer_after_the_resident_left_ends_that_session():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="123456")
    d(LoginFailed, problem=LoginProblem.TIMEOUT)
    d(CancelPressed)
    late = object()
    assert d(LoginSucceeded, session=late, documents=DOCS) == [EndSession(late)]
    assert d.state.screen is Screen.ATTRACT and d.state.session is None


@pytest.mark.parametrize("next_visitor", ["queue", "verify", "pin_reset"])
def test_a_late_login_answer_never_lands_on_the_next_visitor_s_screen(next_visitor):
    """The resident cancels while the login is under way; the next visitor's own request is then under way on
    another screen when the first login's answer comes: it must not show the first resident's documents."""
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="123456")
    d(CancelPressed)  # busy, but the resident may always leave
    assert d.state.screen is Screen.ATTRACT and not d.state.busy
    if next_visitor == "queue":
        d(QueuePressed)
        d(WalkInPressed)
    elif next_visitor == "verify":
        d(VerifyScanned, code="ABCD-1234")
    else:
        d(StartPressed)
        d(ForgotPinPressed)
        d(PinRequestSubmitted, text="3273021708850001")
    waiting = d.state
    assert waiting.busy and waiting.screen.value == next_visitor
    late = object()
    assert d(LoginSucceeded, session=late, masked_name="S*** A***", documents=DOCS) == [EndSession(late)]
    assert d(LoginFailed, problem=LoginProblem.LOCKED) == []
    assert (d.state.screen, d.state.busy, d.state.session, d.state.documents) == (waiting.screen, True, None, ())
    assert d.state.masked_name == "" and d.state.message is None


@pytest.mark.parametrize("next_login", ["pin", "qr"])
def test_a_late_login_answer_is_not_taken_for_the_next_visitor_s_own_login(next_login):
    """The resident scans their QR and leaves while the login is under way; the next visitor's own login is under
    way when the first answer comes: it must neither show the first resident's documents nor end the wait."""
    d = Driver()
    [first] = d(LoginQrScanned, token="tok-first", holder=HOLDER)
    d(CancelPressed)
    if next_login == "pin":
        d(StartPressed)
        d(NikSubmitted, text=NIK)
        [second] = d(PinSubmitted, pin="123456")
    else:
        [second] = d(LoginQrScanned, token="tok-second", holder=HOLDER)
    waiting = d.state
    assert waiting.busy and second.attempt != first.attempt
    late = object()
    assert d(LoginSucceeded, attempt=first.attempt, session=late, masked_name="S*** A***",
             documents=DOCS) == [EndSession(late)]
    assert d(LoginFailed, attempt=first.attempt, problem=LoginProblem.LOCKED) == []
    assert d.state == waiting and d.state.session is None
    d(LoginSucceeded, attempt=second.attempt, session=SESSION, masked_name="B*** S***", documents=DOCS)
    assert d.state.screen is Screen.DOCUMENTS and d.state.session is SESSION


def test_qr_login_from_attract_and_expired_qr():
    d = Driver()
    assert d(LoginQrScanned, token="tok", holder=HOLDER) == [LoginWithQr("tok", HOLDER)]
    assert d.state.screen is Screen.NIK_ENTRY and d.state.busy
    d(LoginFailed, problem=LoginProblem.QR_EXPIRED)
    assert d.state.screen is Screen.NIK_ENTRY and d.state.message.key == "login.qr_invalid"
    d(LoginQrScanned, token="tok2", holder=HOLDER)
    d(LoginSucceeded, session=SESSION, documents=DOCS)
    assert d.state.screen is Screen.DOCUMENTS
    assert d(LoginQrScanned, token="again", holder=HOLDER) == []  # ignored inside a session


def test_a_login_qr_without_its_holder_starts_no_login():
    d = Driver()
    assert d(LoginQrScanned, token="tok") == []
    assert d.state.screen is Screen.ATTRACT and d.state.message.key == "scan.unknown"


def test_a_service_of_another_contract_version_is_a_plain_message():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="123456")
    d(LoginFailed, problem=LoginProblem.CONTRACT)
    assert d.state.screen is Screen.PIN_ENTRY and d.state.message.key == "central.contract"


def test_qr_repr_hides_the_token_and_login_hides_the_pin():
    assert "Xq7secret" not in repr(LoginWithQr("Xq7secret", HOLDER))
    assert "Xq7secret" not in repr(LoginQrScanned(token="Xq7secret", holder=HOLDER))
    assert HOLDER not in repr(LoginQrScanned(token="Xq7secret", holder=HOLDER))
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    (login,) = d(PinSubmitted, pin="987654")
    assert "987654" not in repr(login) and NIK not in repr(login)
    assert "987654" not in repr(PinSubmitted(pin="987654"))


def test_documents_of_a_down_printer_are_unavailable_and_not_selectable():
    d = Driver(CARD_DOWN)
    d.login()
    status = {doc.id: (doc.status, doc.reason) for doc in d.state.documents}
    assert status["d-ktp"] == (DocStatus.UNAVAILABLE, "blanko-empty")
    assert status["d-old"][0] is DocStatus.PRINTED
    assert d.state.selected == {"d-kk", "d-akta"}
    d(DocumentToggled, document_id="d-ktp")
    d(DocumentToggled, document_id="d-old")
    d(DocumentToggled, document_id="nope")
    assert d.state.selected == {"d-kk", "d-akta"}
    d(DocumentToggled, document_id="d-kk")
    assert d.state.selected == {"d-akta"}


def test_choosing_nothing_asks_for_one():
    d = Driver()
    d.login()
    for doc_id in ("d-kk", "d-akta", "d-ktp"):
        d(DocumentToggled, document_id=doc_id)
    d(PrintPressed)
    assert d.state.screen is Screen.DOCUMENTS and d.state.message.key == "documents.choose_one"


def test_no_documents_says_so():
    d = Driver()
    d.login(documents=())
    assert d.state.screen is Screen.DOCUMENTS and d.state.message.key == "documents.none"


def test_printer_going_down_on_confirm_drops_its_documents():
    d = Driver()
    d.login()
    d(DocumentToggled, document_id="d-kk")
    d(DocumentToggled, document_id="d-akta")
    d(PrintPressed)
    d(DevicesChanged, printers=CARD_DOWN)  # only the KTP-el was chosen
    assert d.state.screen is Screen.DOCUMENTS and d.state.message.key == "print.printer_went_down"
    assert d.state.selected == frozenset()


def test_fault_mid_print_fails_that_document_and_still_reaches_done():
    d = Driver()
    d.login()
    d(PrintPressed)
    d(Confirmed)
    d(PrintUpdate, document_id="d-kk", phase=Phase.DONE, fraction=1)
    d(DevicesChanged, printers=ALL_DOWN)
    assert d.state.screen is Screen.PRINTING
    d(PrintUpdate, document_id="d-akta", phase=Phase.FAILED, error="device.media-jam")
    assert d(CancelPressed) == []  # cannot walk away from a job that is still printing
    d(PrintUpdate, document_id="d-ktp", phase=Phase.FAILED, error="device.offline-report")
    assert d.state.screen is Screen.DONE
    assert [p.phase for p in d.state.progress] == [Phase.DONE, Phase.FAILED, Phase.FAILED]
    d(PrintUpdate, document_id="d-kk", phase=Phase.FAILED)  # late updates change nothing
    assert d.state.progress[0] == DocProgress("d-kk", Phase.DONE, 1.0)
    d(CancelPressed)
    assert d.state.screen is Screen.OUT_OF_SERVICE  # every printer is down now


def test_idle_warning_then_logout_wipes_the_session():
    d = Driver()
    d.login()
    d(Tick, advance=59)
    assert d.state.idle_warning_since is None
    d(Tick, advance=1)
    assert d.state.idle_warning_since is not None
    d(Tick, advance=19)
    assert d.state.screen is Screen.DOCUMENTS
    (end,) = d(Tick, advance=1)
    assert end == EndSession(SESSION)
    assert d.state.screen is Screen.ATTRACT
    assert (d.state.nik, d.state.session, d.state.masked_name, d.state.documents) == (None, None, "", ())


def test_tambah_waktu_and_any_touch_reset_the_idle_timer():
    d = Driver()
    d(StartPressed)
    d(Tick, advance=60)
    assert d.state.idle_warning_since is not None
    d(ExtendTime)
    assert d.state.idle_warning_since is None
    d(Tick, advance=59)
    d(Touched)
    d(Tick, advance=59)
    assert d.state.idle_warning_since is None and d.state.screen is Screen.NIK_ENTRY


def test_no_idle_logout_while_waiting_for_the_server_or_printing():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(PinSubmitted, pin="123456")
    d(Tick, advance=500)
    assert d.state.screen is Screen.PIN_ENTRY and d.state.idle_warning_since is None
    d(LoginSucceeded, session=SESSION, documents=DOCS)
    d(PrintPressed)
    d(Confirmed)
    d(Tick, advance=500)
    assert d.state.screen is Screen.PRINTING


def test_back_navigation():
    d = Driver()
    d(StartPressed)
    d(NikSubmitted, text=NIK)
    d(BackPressed)
    assert d.state.screen is Screen.NIK_ENTRY and d.state.nik is None
    d(BackPressed)
    assert d.state.screen is Screen.ATTRACT
    d.login()
    d(PrintPressed)
    d(BackPressed)
    assert d.state.screen is Screen.DOCUMENTS and d.state.session is SESSION


def test_cancel_from_any_session_screen_logs_out():
    for steps in ([StartPressed], [StartPressed, (NikSubmitted, {"text": NIK})]):
        d = Driver()
        for step in steps:
            event, kwargs = step if isinstance(step, tuple) else (step, {})
            d(event, **kwargs)
        assert d(CancelPressed) == [EndSession(None)]
        assert d.state.screen is Screen.ATTRACT and d.state.nik is None


def test_session_lost_logs_out_except_while_printing():
    d = Driver()
    d.login()
    d(SessionLost)
    assert d.state.screen is Screen.ATTRACT and d.state.message.key == "session.expired"
    d = Driver()
    d.login()
    d(PrintPressed)
    d(Confirmed)
    d(SessionLost)
    assert d.state.screen is Screen.PRINTING


def test_language_toggles_and_resets_at_logout():
    d = Driver()
    d(LanguageToggled)
    assert d.state.language == "en"
    d(StartPressed)
    d(CancelPressed)
    assert d.state.language == "id"


def test_technician_area_only_from_attract_or_out_of_service():
    d = Driver()
    d(TechnicianOpened)
    assert d.state.screen is Screen.TECHNICIAN
    d(TechnicianClosed)
    assert d.state.screen is Screen.ATTRACT
    d.login()
    d(TechnicianOpened)
    assert d.state.screen is Screen.DOCUMENTS


def test_events_in_the_wrong_screen_change_nothing():
    d = Driver()
    before = d.state
    for event in (Confirmed, PrintPressed, BackPressed, CancelPressed, TechnicianClosed):
        assert d(event, advance=0) == []
    assert d(PinSubmitted, advance=0, pin="123456") == []
    assert d(PrintUpdate, advance=0, document_id="d-kk") == []
    assert d.state == before


def test_state_holds_nothing_of_the_resident_after_logout():
    d = Driver()
    d.login()
    d(CancelPressed)
    text = repr(d.state)
    assert NIK not in text and "S*** A***" not in text and "d-kk" not in text
    assert isinstance(d.state, FlowState)


def test_technician_area_closes_after_two_idle_minutes():
    d = Driver(settings=FlowSettings(technician_idle_s=120))
    d(TechnicianOpened)
    d(Tick, advance=119)
    assert d.state.screen is Screen.TECHNICIAN
    d(Touched)
    d(Tick, advance=119)
    assert d.state.screen is Screen.TECHNICIAN
    d(Tick, advance=1)
    assert d.state.screen is Screen.ATTRACT
