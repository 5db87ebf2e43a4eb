"""The officer role's effects: sign-in, the identity check, sign-out and the audit, off the main thread.

Results come back as flow events through ``post``; every officer action goes to the kiosk's audit log with the
officer's id (never the card, the PIN, the NIK digits or a name). Nothing here touches Kivy.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import kiosk.central_client as cc
from central import contract as c
from kiosk.flow_model import (
    AuditOfficer,
    DocumentItem,
    Effect,
    EndOfficerSession,
    Event,
    OfficerLogin,
    OfficerLoginFailed,
    OfficerRequestItem,
    OfficerResidentOpened,
    OfficerSignedIn,
    OpenForRequest,
)
from kiosk.login_problems import link_problem
from kiosk.logs import event as log_event
from kiosk.message_keys import N_
from printjobs.audit import AuditLog
from printjobs.errors import PrintJobError

log = logging.getLogger(__name__)

#: The effects this module performs.
OFFICER_EFFECTS = (OfficerLogin, OpenForRequest, EndOfficerSession, AuditOfficer)


def request_item(request: c.OfficerRequest) -> OfficerRequestItem:
    """The flow's view of one of the officer's requests."""
    return OfficerRequestItem(code=request.code, initials=request.initials,
                              titles=tuple(t.id for t in request.documents),
                              titles_en=tuple(t.en for t in request.documents))


def sign_in_failure(exc: cc.CentralError, attempt: int) -> OfficerLoginFailed:
    now = time.monotonic()
    if isinstance(exc, cc.InvalidCredentials):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.invalid"),
                                  attempts_left=exc.attempts_left)
    if isinstance(exc, cc.Locked):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.locked"), retry_after_s=exc.retry_after)
    return OfficerLoginFailed(now=now, attempt=attempt, problem=link_problem(exc).value)


def check_failure(exc: cc.CentralError, attempt: int) -> OfficerLoginFailed:
    now = time.monotonic()
    if isinstance(exc, cc.InvalidCredentials):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.check_invalid"),
                                  attempts_left=exc.attempts_left)
    if isinstance(exc, cc.Locked):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.check_locked"),
                                  retry_after_s=exc.retry_after)
    if isinstance(exc, cc.NotYourRequest):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.not_yours"))
    if isinstance(exc, cc.SessionExpired):
        return OfficerLoginFailed(now=now, attempt=attempt, problem="session.expired")
    if isinstance(exc, cc.NotFound):
        return OfficerLoginFailed(now=now, attempt=attempt, problem=N_("officer.request_gone"))
    return OfficerLoginFailed(now=now, attempt=attempt, problem=link_problem(exc).value)


class OfficerEffects:
    """``perform(effect)`` returns at once: central calls on ``calls``, audit entries in order on their own thread."""

    def __init__(self, central: cc.CentralClient, post: Callable[[Event], None], calls: ThreadPoolExecutor,
                 audit: Callable[[], AuditLog | None], document_item: Callable[[c.DocumentSummary], DocumentItem]):
        self.central = central
        self._document_item = document_item
        self.post = post
        self._calls = calls
        self._audit_log = audit
        self._audits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="officer-audit")

    def perform(self, effect: Effect) -> None:
        if isinstance(effect, OfficerLogin):
            self._calls.submit(self._guard, self._sign_in, effect)
        elif isinstance(effect, OpenForRequest):
            self._calls.submit(self._guard, self._open, effect)
        elif isinstance(effect, EndOfficerSession):
            self._audits.submit(self._write, effect.officer_id, "signed_out", (("reason", effect.reason),))
            if effect.officer is not None:
                self._calls.submit(self._guard, self._sign_out, effect)
        elif isinstance(effect, AuditOfficer):
            self._audits.submit(self._write, effect.officer_id, effect.action, effect.fields)

    def shutdown(self, wait: bool = True) -> None:
        self._audits.shutdown(wait=wait)

    def _guard(self, work: Callable[[Effect], None], effect: Effect) -> None:
        try:
            work(effect)
        except (cc.CentralError, OSError) as exc:
            log_event(log, "effect.failed", logging.ERROR, effect=type(effect).__name__, error=type(exc).__name__)
            if isinstance(effect, (OfficerLogin, OpenForRequest)):
                self.post(OfficerLoginFailed(now=time.monotonic(), attempt=effect.attempt, problem="central.protocol"))

    def _sign_in(self, effect: Effect) -> None:
        assert isinstance(effect, OfficerLogin)
        try:
            session = self.central.officer_login(effect.card, effect.pin)
            requests = self.central.officer_requests(session)
        except cc.CentralError as exc:
            log_event(log, "officer.login_refused", reason=type(exc).__name__)
            self._audits.submit(self._write, "unknown", "sign_in_refused", (("reason", type(exc).__name__),))
            self.post(sign_in_failure(exc, effect.attempt))
            return
        log_event(log, "officer.login_ok", officer=session.officer_id, requests=len(requests))
        self.post(OfficerSignedIn(now=time.monotonic(), attempt=effect.attempt, session=session,
                                  officer_id=session.officer_id, masked_name=session.masked_name,
                                  requests=tuple(request_item(r) for r in requests)))

    def _open(self, effect: Effect) -> None:
        assert isinstance(effect, OpenForRequest)
        try:
            session = self.central.open_for_request(effect.officer, effect.code, effect.digits, effect.checked)
        except cc.CentralError as exc:
            log_event(log, "officer.check_refused", reason=type(exc).__name__)
            self.post(check_failure(exc, effect.attempt))
            return
        documents = tuple(self._document_item(d) for d in session.documents)
        self.post(OfficerResidentOpened(now=time.monotonic(), attempt=effect.attempt, session=session,
                                        masked_name=session.masked_name, documents=documents))

    def _sign_out(self, effect: Effect) -> None:
        assert isinstance(effect, EndOfficerSession)
        try:
            self.central.officer_logout(effect.officer)
        except cc.CentralError as exc:  # it expires by itself
            log_event(log, "officer.logout_unconfirmed", reason=type(exc).__name__)

    def _write(self, officer_id: str, action: str, fields: tuple[tuple[str, str], ...]) -> None:
        audit = self._audit_log()
        if audit is None:  # no journal to write to (the kiosk is out of service)
            return
        try:
            audit.officer_action(officer_id, action, **dict(fields))
        except (PrintJobError, sqlite3.Error, OSError) as exc:
            log_event(log, "officer.audit_failed", logging.ERROR, action=action, error=type(exc).__name__)
