"""A hypothesis state machine over the resident flow: random touches, scans, timeouts, device faults and
answers from the central service, in any order and at any time. The flow never crashes, never holds a
resident's data outside a session, never has two logins under way, and always ends logged out once the
idle timeouts have run."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.flow import (
    SESSION_SCREENS,
    BackPressed,
    CancelPressed,
    CheckInRefused,
    Confirmed,
    DevicesChanged,
    DocStatus,
    DocumentItem,
    DocumentToggled,
    EndSession,
    ExtendTime,
    Flow,
    FlowSettings,
    LanguageToggled,
    Login,
    LoginFailed,
    LoginProblem,
    LoginSucceeded,
    LoginWithQr,
    Media,
    NikSubmitted,
    Phase,
    PinSubmitted,
    PrintDocuments,
    PrinterAvailability,
    PrintPressed,
    PrintUpdate,
    Screen,
    SessionLost,
    StartPressed,
    TechnicianClosed,
    TechnicianOpened,
    Tick,
    Touched,
    VerifyFailed,
)
from kiosk.runtime import scan_event
from kiosk.service_model import QueueProblem
from tests.factories import examples

SETTINGS = FlowSettings(idle_warning_s=60, idle_logout_s=20, done_logout_s=15, technician_idle_s=120)
NIKS = ["3273015503850002", "3273021708850001", "1234", "3273013203850001", "", "32730155038500021", "٣٢٧٣"]
PINS = ["123456", "000000", "12345", "abcdef", "１２３４５６", ""]
SCANS = ["https://adm.example.go.id/masuk?t=" + "A" * 24 + "&h=" + "ab" * 16,
         "https://adm.example.go.id/masuk?t=" + "A" * 24, "https://x/verify/ABCD-1234", "ANTRI-0901",
         "%%??DROP TABLE warga;--", "", " " * 3]
DOCS = (
    DocumentItem("d-kk", "KK", "2026-11-20", Media.A4),
    DocumentItem("d-akta", "AKTA_KELAHIRAN", "2026-11-20", Media.A4),
    DocumentItem("d-ktp", "KTP_EL", "2026-11-21", Media.CARD),
    DocumentItem("d-old", "KIA", "2026-01-02", Media.CARD, status=DocStatus.PRINTED),
)
DOC_IDS = [d.id for d in DOCS] + ["nope"]
printers = st.tuples(st.booleans(), st.booleans(), st.sampled_from(["media-jam", "blanko-empty", "offline-report"]))


class ResidentFlow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.flow = Flow(SETTINGS)
        self.printers = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
        self.state = self.flow.initial(self.printers)
        self.now = 0.0
        self.logins_pending = 0
        self.printing: tuple[DocumentItem, ...] = ()
        self.sessions = 0

    # ----- plumbing
    def feed(self, event_type, advance: float = 0.5, **fields) -> list:
        self.now += advance
        if event_type in (LoginSucceeded, LoginFailed):
            fields.setdefault("attempt", self.state.login_attempt)  # the answer to the latest login
        self.state, effects = self.flow.handle(self.state, event_type(now=self.now, **fields))
        for effect in effects:
            if isinstance(effect, (Login, LoginWithQr)):
                self.logins_pending += 1
            elif isinstance(effect, PrintDocuments):
                assert effect.documents and all(d.status is DocStatus.READY for d in effect.documents)
                self.printing = effect.documents
            elif isinstance(effect, EndSession):
                # Either the resident left, or a late login answer's session is closed at once.
                assert not self.state.in_session or effect.session is not self.state.session
            else:
                raise AssertionError(f"unknown effect {effect!r}")
        return effects

    # ----- a resident's touches
    @rule()
    def start(self) -> None:
        self.feed(StartPressed)

    @rule(text=st.sampled_from(NIKS) | st.text(max_size=20))
    def nik(self, text: str) -> None:
        self.feed(NikSubmitted, text=text)

    @rule(pin=st.sampled_from(PINS) | st.text(max_size=8))
    def pin(self, pin: str) -> None:
        self.feed(PinSubmitted, pin=pin)

    @rule(doc=st.sampled_from(DOC_IDS))
    def toggle(self, doc: str) -> None:
        self.feed(DocumentToggled, document_id=doc)

    @rule(event=st.sampled_from([PrintPressed, Confirmed, BackPressed, CancelPressed, ExtendTime, Touched,
                                 LanguageToggled, TechnicianOpened, TechnicianClosed, SessionLost]))
    def touch(self, event) -> None:
        self.feed(event)

    @rule(text=st.sampled_from(SCANS) | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
    def scan(self, text: str) -> None:
        event = scan_event(text)
        self.state, effects = self.flow.handle(self.state, replace(event, now=self.now))
        self.logins_pending += sum(isinstance(e, LoginWithQr) for e in effects)

    # ----- time and devices
    @rule(seconds=st.sampled_from([0.25, 1, 19, 20, 59, 60, 61, 119, 121, 600]))
    def tick(self, seconds: float) -> None:
        self.feed(Tick, advance=seconds)

    @rule(state=printers)
    def devices(self, state) -> None:
        doc_ok, card_ok, reason = state
        self.printers = (PrinterAvailability(Media.A4, doc_ok, None if doc_ok else reason),
                         PrinterAvailability(Media.CARD, card_ok, None if card_ok else reason))
        self.feed(DevicesChanged, printers=self.printers)

    # ----- the central service and the printers answer (in time, late, or out of the blue)
    @rule(ok=st.booleans(), problem=st.sampled_from(list(LoginProblem)), attempts=st.none() | st.integers(0, 5),
          retry=st.none() | st.floats(0, 3600))
    def login_answer(self, ok: bool, problem: LoginProblem, attempts, retry) -> None:
        self.logins_pending = max(0, self.logins_pending - 1)
        if ok:
            self.sessions += 1
            self.feed(LoginSucceeded, session=f"session-{self.sessions}", masked_name="B*** S***", documents=DOCS)
        else:
            self.feed(LoginFailed, problem=problem, attempts_left=attempts, retry_after_s=retry)

    @precondition(lambda self: bool(self.printing))
    @rule(data=st.data())
    def print_update(self, data) -> None:
        doc = data.draw(st.sampled_from(self.printing))
        phase = data.draw(st.sampled_from(list(Phase)))
        fraction = data.draw(st.floats(-1, 2, allow_nan=False))
        self.feed(PrintUpdate, document_id=doc.id, phase=phase, fraction=fraction,
                  error="device.media-jam" if phase is Phase.FAILED else None)

    # ----- what must always hold
    @invariant()
    def consistent(self) -> None:
        s = self.state
        if not s.in_session:
            assert s.masked_name == "" and s.documents == () and s.selected == frozenset()
        if s.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.TECHNICIAN):
            assert not s.in_session and not s.busy
        assert s.selected <= {d.id for d in s.documents if d.status is DocStatus.READY}
        if s.screen is Screen.PRINTING:
            assert s.progress and not all(p.phase in (Phase.DONE, Phase.FAILED) for p in s.progress)
        for p in s.progress:
            assert 0.0 <= p.fraction <= 1.0

    def teardown(self) -> None:
        """Answer whatever is still under way, then let the idle timeouts run: the session must be gone."""
        if self.state.busy:  # a login, or a scan's check-in or verification: each answer moves only its screen
            self.feed(LoginFailed, problem=LoginProblem.TIMEOUT)
            self.feed(CheckInRefused, problem=QueueProblem.TIMEOUT)
            self.feed(VerifyFailed, problem="central.timeout")
        if self.state.screen is Screen.PRINTING:
            for doc in self.printing:
                self.feed(PrintUpdate, document_id=doc.id, phase=Phase.FAILED, error="device.offline-report")
        for _ in range(3):
            self.feed(Tick, advance=max(SETTINGS.idle_warning_s, SETTINGS.idle_logout_s, SETTINGS.done_logout_s,
                                        SETTINGS.technician_idle_s))
        assert not self.state.in_session, self.state.screen
        assert self.state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE), self.state.screen
        assert self.state.screen not in SESSION_SCREENS
        assert (self.state.nik, self.state.session, self.state.documents) == (None, None, ())


ResidentFlow.TestCase.settings = settings(max_examples=examples(150), stateful_step_count=50, deadline=None)
test_resident_flow = ResidentFlow.TestCase
