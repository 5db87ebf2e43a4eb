"""The journal's upkeep in a background thread: the full integrity check, pruning and the audit checkpoint.

At start the journal gets only the bounded check (:meth:`printjobs.db.Database.check_at_open`), so a kiosk
with years of jobs starts as fast as a new one. The full ``integrity_check`` follows here, a while after the
kiosk is READY, and again every day; when it fails, ``on_corrupt`` puts the kiosk out of service
("journal-corrupt") as a failed check at open does. Pruning (:mod:`printjobs.retention`) runs every hour in
small batches, and the audit log's verified months move forward once a day.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from printjobs._log import event
from printjobs.audit import AuditLog
from printjobs.db import Database, full_integrity_check
from printjobs.errors import AuditError, JournalError
from printjobs.retention import Retention

log = logging.getLogger("printjobs.maintenance")

#: Called once with the problems the full check found; the kiosk goes out of service.
CorruptHook = Callable[[list[str]], None]


@dataclass(frozen=True)
class Schedule:
    """When the upkeep runs (seconds)."""

    first_check_after_s: float = 60.0
    check_every_s: float = 86400.0
    prune_every_s: float = 3600.0


class Maintenance:
    """One daemon thread doing the journal's upkeep; :meth:`run_once` does one round (tests, the bench)."""

    def __init__(self, db: Database, retention: Retention, audit: AuditLog, *, on_corrupt: CorruptHook,
                 schedule: Schedule = Schedule(), clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.retention = retention
        self.audit = audit
        self.on_corrupt = on_corrupt
        self.schedule = schedule
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.corrupt: list[str] = []

    def check(self) -> bool:
        """The full integrity check; on failure, call ``on_corrupt`` (once) and return False."""
        started = time.monotonic()
        problems = full_integrity_check(self.db.path)
        event(log, "journal.checked", ok=not problems, seconds=round(time.monotonic() - started, 3))
        if problems and not self.corrupt:
            self.corrupt = problems
            event(log, "journal.corrupt", level=logging.CRITICAL, problems=len(problems))
            self.on_corrupt(problems)
        return not problems

    def prune(self) -> None:
        """Drop what is past the retention window, in batches, stopping early when asked to stop."""
        self.retention.prune(stop=self._stop)

    def checkpoint_audit(self) -> None:
        """Verify what was added to the audit log since its last verified month and move the checkpoint on."""
        result = self.audit.verify()
        if not result.ok:
            event(log, "audit.not_intact", level=logging.ERROR, problems=len(result.problems))

    def run_once(self) -> bool:
        """Check, then (when intact) prune and checkpoint; False when the journal is corrupt."""
        if not self.check():
            return False
        self.prune()
        self.checkpoint_audit()
        return True

    # ------------------------------------------------------------------ the thread
    def start(self) -> None:
        """Begin the upkeep in a daemon thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="journal-upkeep", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Ask the thread to end and wait up to ``timeout_s`` (a running integrity check finishes first)."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        s = self.schedule
        if self._stop.wait(s.first_check_after_s):
            return
        next_check = next_prune = self._clock()
        while not self._stop.is_set():
            now = self._clock()
            try:
                if now >= next_check:
                    if not self.check():
                        return  # out of service until a technician looks; nothing more to do here
                    if self._stop.is_set():  # the kiosk stopped during a long check: its database is closing
                        return
                    self.checkpoint_audit()
                    next_check = now + s.check_every_s
                if now >= next_prune and not self._stop.is_set():
                    self.prune()
                    next_prune = now + s.prune_every_s
            except (JournalError, AuditError, sqlite3.OperationalError) as exc:  # busy for a moment: next round
                event(log, "journal.upkeep_failed", level=logging.WARNING, error=type(exc).__name__)
            self._stop.wait(max(1.0, min(next_check, next_prune) - self._clock()))
