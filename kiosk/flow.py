"""The resident flow as a pure state machine: events in, a new state and effects out.

No Kivy, no I/O, no clock: time arrives inside events (``now``, seconds on a monotonic clock), so tests
drive every transition, timeouts included, without waiting. Screens render :class:`FlowState` and turn
touches into events; the app turns :class:`Effect` objects into work off the main thread and feeds the
results back as events.

Every way out of a session (cancel, idle timeout, done, a lost session) goes through :func:`_logout`,
which keeps nothing of the resident: no NIK, no session, no names, no documents.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kiosk.flow_model import *  # noqa: F403 - the flow's vocabulary is part of its interface
from kiosk.flow_model import (
    _WRONG_SCAN,
    IDLE_SCREENS,
    RESULT_EVENTS,
    SCAN_MESSAGE_SCREENS,
    SERVICE_SCREENS,
    TERMINAL_PHASES,
    UNPRINTED_TICKET_FACTOR,
    BackPressed,
    CancelPressed,
    Confirmed,
    DevicesChanged,
    DocProgress,
    DocStatus,
    DocumentItem,
    DocumentToggled,
    Effect,
    EndSession,
    Event,
    ExtendTime,
    FlowSettings,
    FlowState,
    LanguageToggled,
    Login,
    LoginFailed,
    LoginProblem,
    LoginQrScanned,
    LoginSucceeded,
    LoginWithQr,
    Message,
    NikSubmitted,
    Phase,
    PinSubmitted,
    PrintDocuments,
    PrinterAvailability,
    PrintPressed,
    PrintSlip,
    PrintUpdate,
    Screen,
    SessionLost,
    StartPressed,
    TechnicianClosed,
    TechnicianOpened,
    Tick,
    Touched,
    UnknownScan,
)
from kiosk.flow_services import ServiceHandlers
from kiosk.nik import InvalidNik, parse_nik
from kiosk.services import slip_for


# --------------------------------------------------------------------------- the machine
class Flow(ServiceHandlers):
    """Holds the settings; :meth:`handle` is a pure function of (state, event)."""

    def __init__(self, settings: FlowSettings | None = None):
        self.settings = settings or FlowSettings()

    def initial(self, printers: tuple[PrinterAvailability, ...] = ()) -> FlowState:
        state = FlowState(language=self.settings.default_language, printers=printers)
        return replace(state, screen=self._home(state))

    def handle(self, state: FlowState, event: Event) -> tuple[FlowState, list[Effect]]:
        handler = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            return state, []
        if not isinstance(event, RESULT_EVENTS):
            state = replace(state, last_activity=event.now, idle_warning_since=None)
        return handler(state, event)

    # ----- helpers
    @staticmethod
    def _home(state: FlowState) -> Screen:
        return Screen.ATTRACT if any(p.available for p in state.printers) else Screen.OUT_OF_SERVICE

    def _logout(self, state: FlowState) -> tuple[FlowState, list[Effect]]:
        effects: list[Effect] = [EndSession(state.session)]
        fresh = FlowState(
            language=self.settings.default_language,
            printers=state.printers,
            last_activity=state.last_activity,
        )
        return replace(fresh, screen=self._home(fresh)), effects

    @staticmethod
    def _mark_availability(state: FlowState, documents: tuple[DocumentItem, ...]) -> tuple[DocumentItem, ...]:
        marked = []
        for doc in documents:
            if doc.status is DocStatus.PRINTED:
                marked.append(doc)
            elif not state.printer_installed(doc.printer):
                marked.append(replace(doc, status=DocStatus.NOT_HERE, reason=None))
            elif state.printer_ok(doc.printer):
                marked.append(replace(doc, status=DocStatus.READY, reason=None))
            else:
                marked.append(replace(doc, status=DocStatus.UNAVAILABLE, reason=state.printer_reason(doc.printer)))
        return tuple(marked)

    def _with_documents(self, state: FlowState, documents: tuple[DocumentItem, ...]) -> FlowState:
        documents = self._mark_availability(state, documents)
        ready = {d.id for d in documents if d.status is DocStatus.READY}
        selected = frozenset(state.selected & ready) if state.documents else frozenset(ready)
        return replace(state, documents=documents, selected=selected)

    # ----- handlers
    def _on_DevicesChanged(self, state: FlowState, event: DevicesChanged) -> tuple[FlowState, list[Effect]]:
        state = replace(state, printers=event.printers)
        if state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            return replace(state, screen=self._home(state)), []
        if state.documents and state.screen in (Screen.DOCUMENTS, Screen.CONFIRM):
            state = self._with_documents(state, state.documents)
            if state.screen is Screen.CONFIRM and not state.selected:
                state = replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down"))
        return state, []

    def _on_Touched(self, state: FlowState, event: Touched) -> tuple[FlowState, list[Effect]]:
        return state, []

    def _on_Tick(self, state: FlowState, event: Tick) -> tuple[FlowState, list[Effect]]:
        s = self.settings
        if state.screen is Screen.TECHNICIAN:
            if event.now - state.last_activity >= s.technician_idle_s:
                return replace(state, screen=self._home(state)), []
            return state, []
        if state.screen is Screen.DONE or (state.screen in SERVICE_SCREENS and state.done_since is not None):
            linger = s.done_logout_s
            if state.screen is Screen.QUEUE and state.ticket is not None and state.ticket.printed is False:
                linger *= UNPRINTED_TICKET_FACTOR
            if state.done_since is not None and event.now - state.done_since >= linger:
                return self._logout(state)
            return state, []
        if state.screen not in IDLE_SCREENS or state.busy:
            return state, []
        if state.idle_warning_since is None:
            if event.now - state.last_activity >= s.idle_warning_s:
                return replace(state, idle_warning_since=event.now), []
            return state, []
        if event.now - state.idle_warning_since >= s.idle_logout_s:
            return self._logout(state)
        return state, []

    def _on_StartPressed(self, state: FlowState, event: StartPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.ATTRACT:
            return replace(state, screen=Screen.NIK_ENTRY, message=None), []
        return state, []

    def _on_LanguageToggled(self, state: FlowState, event: LanguageToggled) -> tuple[FlowState, list[Effect]]:
        return replace(state, language="en" if state.language == "id" else "id"), []

    def _on_NikSubmitted(self, state: FlowState, event: NikSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.NIK_ENTRY or state.busy:
            return state, []
        try:
            nik = parse_nik(event.text)
        except InvalidNik as exc:
            return replace(state, message=Message(exc.problem.value)), []
        return replace(state, nik=nik, screen=Screen.PIN_ENTRY, message=None), []

    def _on_LoginQrScanned(self, state: FlowState, event: LoginQrScanned) -> tuple[FlowState, list[Effect]]:
        if state.screen not in (Screen.ATTRACT, Screen.NIK_ENTRY) or state.busy or not event.token \
                or not event.holder:
            return self._wrong_scan(state)
        return replace(state, screen=Screen.NIK_ENTRY, busy=True, message=None), [
            LoginWithQr(event.token, event.holder)]

    def _on_UnknownScan(self, state: FlowState, event: UnknownScan) -> tuple[FlowState, list[Effect]]:
        return self._wrong_scan(state)

    @staticmethod
    def _wrong_scan(state: FlowState) -> tuple[FlowState, list[Effect]]:
        """A scan that means nothing here: a plain message where the resident can act on it, else nothing."""
        if state.screen in SCAN_MESSAGE_SCREENS and not state.busy:
            key = _WRONG_SCAN.get(state.screen, "scan.unknown")
            return replace(state, message=Message(key, severity="warning")), []
        return state, []

    def _on_PinSubmitted(self, state: FlowState, event: PinSubmitted) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PIN_ENTRY or state.busy or state.nik is None:
            return state, []
        if len(event.pin) != 6 or not event.pin.isascii() or not event.pin.isdigit():
            return replace(state, message=Message("pin.length")), []
        return replace(state, busy=True, message=None), [Login(state.nik, event.pin)]

    def _on_LoginSucceeded(self, state: FlowState, event: LoginSucceeded) -> tuple[FlowState, list[Effect]]:
        if not state.busy:  # a late answer after the resident left: end that session too
            return state, [EndSession(event.session)]
        state = replace(
            state, busy=False, session=event.session, masked_name=event.masked_name, screen=Screen.DOCUMENTS,
            message=None, documents=(), selected=frozenset(), last_activity=event.now,
        )
        state = self._with_documents(state, event.documents)
        if not event.documents:
            state = replace(state, message=Message("documents.none", severity="info"))
        return state, []

    def _on_LoginFailed(self, state: FlowState, event: LoginFailed) -> tuple[FlowState, list[Effect]]:
        if not state.busy:
            return state, []
        state = replace(state, last_activity=event.now)  # the idle timer restarts when the answer shows
        params: dict[str, Any] = {}
        if event.attempts_left is not None:
            params["attempts_left"] = event.attempts_left
        if event.retry_after_s is not None:
            params["minutes"] = max(1, int(-(-event.retry_after_s // 60)))
        message = Message(event.problem.value, params)
        if event.problem is LoginProblem.QR_EXPIRED:
            return replace(state, busy=False, screen=Screen.NIK_ENTRY, message=message), []
        if event.problem is LoginProblem.LOCKED:
            # Locked: back to the NIK screen; the PIN screen would only invite more attempts.
            return replace(state, busy=False, screen=Screen.NIK_ENTRY, nik=None, message=message), []
        screen = state.screen if state.nik is not None else Screen.NIK_ENTRY
        return replace(state, busy=False, screen=screen, message=message), []

    def _on_DocumentToggled(self, state: FlowState, event: DocumentToggled) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.DOCUMENTS:
            return state, []
        doc = next((d for d in state.documents if d.id == event.document_id), None)
        if doc is None or doc.status is not DocStatus.READY:
            return state, []
        return replace(state, selected=state.selected ^ {doc.id}, message=None), []

    def _on_PrintPressed(self, state: FlowState, event: PrintPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.DOCUMENTS:
            return state, []
        if not state.selected:
            return replace(state, message=Message("documents.choose_one", severity="warning")), []
        return replace(state, screen=Screen.CONFIRM, message=None), []

    def _on_Confirmed(self, state: FlowState, event: Confirmed) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.CONFIRM:
            return state, []
        chosen = tuple(d for d in state.documents if d.id in state.selected and d.status is DocStatus.READY)
        if not chosen:
            return replace(state, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down")), []
        progress = tuple(DocProgress(d.id) for d in chosen)
        return replace(state, screen=Screen.PRINTING, progress=progress, message=None), [
            PrintDocuments(state.session, chosen, state.nik)
        ]

    def _on_BackPressed(self, state: FlowState, event: BackPressed) -> tuple[FlowState, list[Effect]]:
        back = {Screen.PIN_ENTRY: Screen.NIK_ENTRY, Screen.CONFIRM: Screen.DOCUMENTS}
        if state.busy:
            return state, []
        if state.screen in (Screen.NIK_ENTRY, Screen.QUEUE, Screen.VERIFY):
            return self._logout(state)
        if state.screen is Screen.PIN_RESET:
            to = Screen.PIN_ENTRY if state.reset_from is Screen.PIN_ENTRY and state.nik else Screen.NIK_ENTRY
            return replace(state, screen=to, nik=state.nik if to is Screen.PIN_ENTRY else None, message=None,
                           pin_request_sent=False, reset_from=None), []
        if state.screen in back:
            nik = None if state.screen is Screen.PIN_ENTRY else state.nik
            return replace(state, screen=back[state.screen], nik=nik, message=None), []
        return state, []

    def _on_CancelPressed(self, state: FlowState, event: CancelPressed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.PRINTING and not self._printing_over(state):
            return state, []  # never abandon a job mid-print; the done screen follows
        if state.screen in IDLE_SCREENS or state.screen is Screen.DONE:
            return self._logout(state)
        return state, []

    def _on_ExtendTime(self, state: FlowState, event: ExtendTime) -> tuple[FlowState, list[Effect]]:
        return state, []  # handle() already reset the idle timer and closed the warning

    def _on_PrintUpdate(self, state: FlowState, event: PrintUpdate) -> tuple[FlowState, list[Effect]]:
        if state.screen is not Screen.PRINTING:
            return state, []
        progress = tuple(
            replace(p, phase=event.phase, fraction=max(0.0, min(1.0, event.fraction)), error=event.error)
            if p.id == event.document_id and p.phase not in TERMINAL_PHASES
            else p
            for p in state.progress
        )
        state = replace(state, progress=progress)
        if not self._printing_over(state):
            return state, []
        state = replace(state, screen=Screen.DONE, done_since=event.now, last_activity=event.now)
        docs = {d.id: d for d in state.documents}
        slip = slip_for((docs[p.id].title_in("id"), docs[p.id].verify_url) for p in state.progress
                        if p.phase is Phase.DONE and p.id in docs)
        return (replace(state, slip_printed=None), [PrintSlip(slip)]) if slip else (state, [])

    @staticmethod
    def _printing_over(state: FlowState) -> bool:
        return all(p.phase in TERMINAL_PHASES for p in state.progress)

    def _on_SessionLost(self, state: FlowState, event: SessionLost) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.PRINTING:
            return state, []  # jobs already hold what they need; the outbox reports without the session
        if state.in_session:
            state, effects = self._logout(state)
            return replace(state, message=Message("session.expired", severity="info")), effects
        return state, []

    def _on_TechnicianOpened(self, state: FlowState, event: TechnicianOpened) -> tuple[FlowState, list[Effect]]:
        if state.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE):
            return replace(state, screen=Screen.TECHNICIAN, message=None), []
        return state, []

    def _on_TechnicianClosed(self, state: FlowState, event: TechnicianClosed) -> tuple[FlowState, list[Effect]]:
        if state.screen is Screen.TECHNICIAN:
            return replace(state, screen=self._home(state)), []
        return state, []
