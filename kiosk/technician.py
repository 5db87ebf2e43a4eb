"""The technician gate: PIN against the configured scrypt hashes, with attempt limits and a lockout.

Time comes from a clock passed in, so tests check the lockout without waiting. A wrong PIN never says
whether some technician has that PIN; nothing here logs a PIN.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.config import Technician
from kiosk.diagnostics import Diagnostics
from kiosk.logs import event
from kiosk.pinhash import verify_pin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateAnswer:
    """``technician`` is the id on success; otherwise attempts left, or seconds until the lock opens."""

    technician: str | None = None
    attempts_left: int | None = None
    locked_for_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.technician is not None


class TechnicianGate:
    def __init__(self, technicians: Sequence[Technician], max_attempts: int, lockout_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.technicians = list(technicians)
        self.max_attempts = max_attempts
        self.lockout_s = lockout_s
        self.clock = clock
        self._failures = 0
        self._locked_until = 0.0

    def locked_for(self) -> float:
        """Seconds until PINs are accepted again (0 when open)."""
        return max(0.0, self._locked_until - self.clock())

    def check(self, pin: str) -> GateAnswer:
        left = self.locked_for()
        if left > 0:
            event(log, "technician.locked", logging.WARNING, seconds=round(left))
            return GateAnswer(locked_for_s=left)
        for technician in self.technicians:
            if verify_pin(pin, technician.pin_hash):
                self._failures = 0
                event(log, "technician.login", technician=technician.id)
                return GateAnswer(technician=technician.id)
        self._failures += 1
        event(log, "technician.wrong_pin", logging.WARNING, failures=self._failures)
        if self._failures >= self.max_attempts:
            self._failures = 0
            self._locked_until = self.clock() + self.lockout_s
            return GateAnswer(locked_for_s=self.lockout_s)
        return GateAnswer(attempts_left=self.max_attempts - self._failures)


@dataclass
class TechnicianServices:
    """What the technician screen needs, handed to the UI by the composition root (:mod:`kiosk.assembly`)."""

    gate: TechnicianGate
    diagnostics: Diagnostics
    last_scan: Callable[[], str | None]
