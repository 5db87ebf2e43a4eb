"""What a refused or failed login shows: the central client's errors as the flow's login problems.

One mapping for every way in (NIK + PIN, the WhatsApp QR, KTP-el + finger, an officer's card and the identity
check), so that a timeout, an unreachable service or another contract version read the same everywhere.
"""

from __future__ import annotations

import time

import kiosk.central_client as cc
from kiosk.flow_model import LoginFailed, LoginProblem


def link_problem(exc: cc.CentralError) -> LoginProblem:
    """A failure that is not the service's answer to the credentials: the link, or the contract."""
    if isinstance(exc, cc.Timeout):
        return LoginProblem.TIMEOUT
    if isinstance(exc, cc.Unreachable):
        return LoginProblem.UNREACHABLE
    if isinstance(exc, cc.ContractMismatch):
        return LoginProblem.CONTRACT
    return LoginProblem.PROTOCOL


def login_failure(exc: cc.CentralError, attempt: int, qr: bool = False) -> LoginFailed:
    """The flow event for a refused or failed resident login (``qr``: with the WhatsApp QR)."""
    now = time.monotonic()
    if isinstance(exc, cc.InvalidCredentials):
        if qr:
            return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.QR_EXPIRED)
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.INVALID_CREDENTIALS,
                           attempts_left=exc.attempts_left)
    if isinstance(exc, cc.Locked):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.LOCKED, retry_after_s=exc.retry_after)
    if qr and isinstance(exc, (cc.NotFound, cc.SessionExpired)):
        return LoginFailed(now=now, attempt=attempt, problem=LoginProblem.QR_EXPIRED)
    return LoginFailed(now=now, attempt=attempt, problem=link_problem(exc))
