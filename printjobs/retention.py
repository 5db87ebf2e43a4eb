"""Pruning what need not be kept: the journal stays the size of its retention window, not of the kiosk's age.

After ``retention_days`` the journal drops a job that is finished and whose every print event the central
service has acknowledged (state REPORTED, no outbox event pending or rejected), with its history and its
delivered events, and consumable events older than the window. It never drops:

- a job that is not REPORTED: an UNCERTAIN job waits for a technician, a PRINTED or FAILED one for its event;
- a job with an event not yet delivered (pending) or refused (rejected): the central service has not learned
  its outcome, and its claim on the document is released or confirmed only by that event;
- the audit log (a legal record, verified month by month: :mod:`printjobs.audit`).

Printing a document twice is prevented by the central service's claim (a document granted to a PIN is
claimed by one job and refused to any other while claimed, printed or uncertain) together with the
journal's rule that a job found in SENDING becomes UNCERTAIN and is never retried by itself; neither
needs a reported job's row once its outcome has been delivered.

Pruning runs in small batches, each its own short transaction, so the print worker never waits long for the
write lock; a crash between batches (or inside one: it rolls back) leaves every job whole or gone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from printjobs._log import event
from printjobs.db import Database

log = logging.getLogger("printjobs.retention")

DAY_S = 86400.0
#: Jobs per transaction. A batch holds the write lock for its deletes and its commit's sync: about 10 ms, at
#: most about 60 ms on a loaded machine (bench: pruning's longest batch), so a print job's transition waits at
#: most that long behind it. Each job's rows sit at random places of the id indexes, so a batch's pages and
#: its commit grow with its size.
BATCH_JOBS = 20

#: A job may go when all of this holds (``?`` = the cutoff time).
_PRUNABLE = (
    "SELECT job_id FROM jobs WHERE state = 'REPORTED' AND updated_at < ?"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.job_id = jobs.job_id AND outbox.status != 'delivered')"
    " ORDER BY state, updated_at LIMIT ?"
)


@dataclass(frozen=True)
class PruneReport:
    """What one :meth:`Retention.prune` did; ``longest_batch_s`` is the longest a batch held the journal."""

    jobs: int = 0
    consumable_events: int = 0
    batches: int = 0
    longest_batch_s: float = 0.0


class Retention:
    """Drops reported jobs (with their history and delivered events) and consumable events past the window."""

    def __init__(self, db: Database, days: float, *, clock: Callable[[], float] = time.time,
                 batch_jobs: int = BATCH_JOBS):
        if days <= 0:
            raise ValueError("retention must be at least a day")
        self.db = db
        self.days = days
        self._clock = clock
        self.batch_jobs = batch_jobs

    def cutoff(self, now: float | None = None) -> float:
        """Anything last changed before this time is past the window."""
        return (self._clock() if now is None else now) - self.days * DAY_S

    def prune_batch(self, cutoff: float) -> tuple[int, int]:
        """One transaction: up to ``batch_jobs`` jobs and as many consumable events. Returns both counts."""
        with self.db.transaction() as conn:
            ids = [row[0] for row in conn.execute(_PRUNABLE, (cutoff, self.batch_jobs))]
            if ids:
                marks = ", ".join("?" * len(ids))
                conn.execute(f"DELETE FROM job_transitions WHERE job_id IN ({marks})", ids)
                conn.execute(f"DELETE FROM outbox WHERE job_id IN ({marks}) AND status = 'delivered'", ids)
                # The unary plus keeps SQLite off the (state, updated_at) index: with a few dozen ids it chose
                # that index and walked every REPORTED job of the journal (2 s a batch after three years).
                conn.execute(f"DELETE FROM jobs WHERE job_id IN ({marks}) AND +state = 'REPORTED'", ids)
            consumed = conn.execute(
                "DELETE FROM consumable_events WHERE id IN"
                " (SELECT id FROM consumable_events WHERE at < ? ORDER BY at LIMIT ?)", (cutoff, self.batch_jobs),
            ).rowcount
        return len(ids), consumed

    def prune(self, now: float | None = None, *, pause_s: float = 0.02,
              stop: threading.Event | None = None, max_batches: int | None = None) -> PruneReport:
        """Batches until nothing is past the window (or ``stop`` is set, or after ``max_batches``); a pause between
        them lets printing in. The WAL is checkpointed between batches, off the print worker's connection
        (:meth:`Database.checkpoints_aside`), so no batch's commit also writes the pages of those before it."""
        cutoff = self.cutoff(now)
        jobs = consumed = batches = 0
        longest = 0.0
        with self.db.checkpoints_aside() as checkpoint:
            while stop is None or not stop.is_set():
                started = time.perf_counter()
                pruned, events = self.prune_batch(cutoff)
                longest = max(longest, time.perf_counter() - started)
                jobs, consumed, batches = jobs + pruned, consumed + events, batches + 1
                if pruned < self.batch_jobs and events < self.batch_jobs:
                    break
                if max_batches is not None and batches >= max_batches:
                    break
                checkpoint()
                if pause_s:
                    time.sleep(pause_s)
        if jobs or consumed:
            self.db.release_free_pages(pause_s=pause_s)
            event(log, "journal.pruned", jobs=jobs, consumable_events=consumed, batches=batches,
                  longest_batch_ms=round(longest * 1000, 1), retention_days=self.days)
        return PruneReport(jobs=jobs, consumable_events=consumed, batches=batches, longest_batch_s=longest)
