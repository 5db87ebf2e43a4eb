"""The durable outbox of print events: the central service learns every outcome, however long the network is down.

An event is written in the same transaction as the job's move to PRINTED, FAILED or UNCERTAIN, so it
exists exactly when the outcome does. Delivery is at-least-once with the job id as idempotency key (the
receiver stores a key once); retries back off exponentially with jitter, and the schedule is in SQLite, so
it survives restarts. A worker thread delivers in the background; ``stop()`` ends it.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from printjobs._log import event as log_event
from printjobs.backoff import OUTBOX_BACKOFF, Backoff
from printjobs.db import Database
from printjobs.errors import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger("printjobs.outbox")

Outcome = Literal["printed", "failed", "uncertain"]


@dataclass(frozen=True)
class JobReport:
    """What the central service is told about one job. ``key`` is the idempotency key (the job id)."""

    key: str
    job_id: str
    document_id: str
    outcome: Outcome
    cause: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    created_at: float = 0.0

    def to_json(self) -> dict:
        """The event as plain data (what an HTTP sender puts in the body)."""
        return {
            "key": self.key,
            "job_id": self.job_id,
            "document_id": self.document_id,
            "outcome": self.outcome,
            "cause": self.cause,
            "counters": dict(self.counters),
        }


@dataclass(frozen=True)
class RatingReport:
    """An anonymous satisfaction rating (SKM): a score from 1 (tidak puas) to 4 (sangat puas) and the month.

    No NIK, no session, no job and no time finer than the month: ``key`` is a random id."""

    key: str
    month: str
    score: int
    created_at: float = 0.0

    def to_json(self) -> dict:
        return {"key": self.key, "kind": "rating", "month": self.month, "score": self.score}


Event = JobReport | RatingReport


class EventSender(Protocol):
    """Delivers one event; the kiosk's central client is wrapped into one of these.

    Raises :class:`~printjobs.errors.TransientDeliveryError` (or ``OSError``) to be retried later and
    :class:`~printjobs.errors.PermanentDeliveryError` when the receiver refuses the event for good.
    """

    def send(self, event: Event) -> None: ...


#: Called inside the transaction that marks an event delivered.
DeliveredHook = Callable[[sqlite3.Connection, JobReport], None]


@dataclass(frozen=True)
class DeliveryReport:
    """What one :meth:`Outbox.deliver_due` pass did."""

    delivered: int = 0
    retry: int = 0
    rejected: int = 0


class Outbox:
    """The outbox table plus its delivery loop."""

    def __init__(
        self,
        db: Database,
        sender: EventSender | None = None,
        *,
        on_delivered: DeliveredHook | None = None,
        backoff: Backoff = OUTBOX_BACKOFF,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.sender = sender
        self.on_delivered = on_delivered
        self.backoff_policy = backoff
        self._rng = rng or random.Random()
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_backoff = 0.0
        self.worker_error: BaseException | None = None

    # ------------------------------------------------------------------ writing
    def enqueue(self, event: JobReport, *, replace_pending: bool = False) -> bool:
        """Add ``event`` (joins the caller's transaction).

        With ``replace_pending``, an event with the same key that was never attempted is rewritten in place
        instead, so the receiver only hears the latest outcome; returns False when there was none to rewrite
        (nothing is written then: the caller picks another key).
        """
        now = self._clock()
        counters = json.dumps(event.counters, sort_keys=True)
        with self.db.transaction() as conn:
            if replace_pending:
                updated = conn.execute(
                    "UPDATE outbox SET outcome = ?, cause = ?, counters = ?, revision = revision + 1,"
                    " next_attempt_at = ? WHERE key = ? AND status = 'pending' AND attempts = 0",
                    (event.outcome, event.cause, counters, now, event.key),
                ).rowcount
                if updated:
                    self.db.after_commit(self.wake)
                return bool(updated)
            conn.execute(
                "INSERT INTO outbox (key, job_id, document_id, outcome, cause, counters, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event.key, event.job_id, event.document_id, event.outcome, event.cause, counters, now, now),
            )
            self.db.after_commit(self.wake)
        return True

    def enqueue_rating(self, rating: RatingReport, delay_s: float) -> None:
        """Add a rating, first sent after ``delay_s`` (a random delay: its arrival says nothing of when the
        resident left). Its ``created_at`` is the rating's own (the start of its month), never the time of day."""
        due = self._clock() + delay_s
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO outbox (key, kind, counters, created_at, next_attempt_at, month, score)"
                " VALUES (?, 'rating', '{}', ?, ?, ?, ?)",
                (rating.key, rating.created_at, due, rating.month, rating.score),
            )
            self.db.after_commit(self.wake)

    def ratings_by_month(self) -> dict[str, dict[int, int]]:
        """Ratings kept here (sent or not), counted per month and score: ``{"2026-12": {4: 10, 3: 2}}``."""
        counts: dict[str, dict[int, int]] = {}
        for row in self.db.query("SELECT month, score, COUNT(*) AS n FROM outbox WHERE kind = 'rating'"
                                 " GROUP BY month, score ORDER BY month, score"):
            counts.setdefault(row["month"], {})[row["score"]] = row["n"]
        return counts

    def status_of(self, key: str) -> str | None:
        """'pending', 'delivered', 'rejected', or None when there is no such event."""
        rows = self.db.query("SELECT status FROM outbox WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ delivering
    def deliver_due(self, now: float | None = None, limit: int = 100) -> DeliveryReport:
        """Try the events whose time has come, longest-waiting first; network I/O happens outside any transaction.

        Each attempt is counted and its retry scheduled BEFORE the event goes on the wire: a crash or a
        lost answer leaves a retry behind, and an event with attempts > 0 is known to be possibly received.
        The first transient failure ends the pass: with the network down, one event probes it instead of
        every event waiting out its own timeout. A job's later event never overtakes its earlier one.
        """
        if self.sender is None:
            return DeliveryReport()
        now = self._clock() if now is None else now
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM outbox AS o WHERE status = 'pending' AND next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.job_id = o.job_id AND e.status = 'pending'"
            " AND e.rowid < o.rowid)"
            " ORDER BY next_attempt_at, created_at, key LIMIT ?",
            (now, limit),
        )
        delivered = retry = rejected = 0
        for row in rows:
            if self._stop.is_set():
                break
            item = _event(row)
            attempts = self._claim(row)
            if not attempts:
                continue  # rewritten or delivered meanwhile; the next pass sees the new version
            try:
                self.sender.send(item)
            except (TransientDeliveryError, OSError) as exc:
                self._note_error(row, exc, attempts)
                retry += 1
                break
            except PermanentDeliveryError as exc:
                self._reject(row, exc)
                rejected += 1
                continue
            delivered += self._mark_delivered(row, item, attempts)
        return DeliveryReport(delivered=delivered, retry=retry, rejected=rejected)

    def drain(self, timeout_s: float, poll_s: float = 0.05) -> bool:
        """Deliver until nothing is pending or ``timeout_s`` passes, ignoring backoff times (tests, shutdown).

        Rejected events do not count as pending; True when nothing is left pending."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.deliver_due(now=float("inf"))
            if not self.pending_count():
                return True
            time.sleep(poll_s)
        return not self.pending_count()

    def _claim(self, row: sqlite3.Row) -> int:
        attempts = row["attempts"] + 1
        self._last_backoff = self.backoff(attempts)
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE key = ? AND revision = ?"
                " AND status = 'pending'",
                (attempts, self._clock() + self._last_backoff, row["key"], row["revision"]),
            ).rowcount
        return attempts if changed else 0

    def _mark_delivered(self, row: sqlite3.Row, item: Event, attempts: int) -> int:
        with self.db.transaction() as conn:
            # The revision check: a resolution may have rewritten the event while it was on the wire.
            changed = conn.execute(
                "UPDATE outbox SET status = 'delivered', delivered_at = ?, last_error = NULL"
                " WHERE key = ? AND revision = ? AND status = 'pending'",
                (self._clock(), row["key"], row["revision"]),
            ).rowcount
            if changed and self.on_delivered is not None and isinstance(item, JobReport):
                self.on_delivered(conn, item)
            if changed and isinstance(item, RatingReport):
                # Sent: keep no time of day beside it either, so no row points at the session it came from.
                conn.execute("UPDATE outbox SET delivered_at = created_at, next_attempt_at = created_at,"
                             " attempts = 1 WHERE key = ?", (item.key,))
        if changed:
            what = item.outcome if isinstance(item, JobReport) else "rating"
            log_event(log, "outbox.delivered", key=item.key, outcome=what, attempts=attempts)
        return changed

    def _note_error(self, row: sqlite3.Row, exc: BaseException, attempts: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE outbox SET last_error = ? WHERE key = ?", (_describe(exc), row["key"]))
        log_event(log, "outbox.retry", level=logging.WARNING, key=row["key"], attempts=attempts,
                  error=type(exc).__name__)

    def _reject(self, row: sqlite3.Row, exc: BaseException) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET status = 'rejected', last_error = ? WHERE key = ?", (_describe(exc), row["key"])
            )
        log_event(log, "outbox.rejected", level=logging.ERROR, key=row["key"], error=_describe(exc))

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt ``attempts + 1``, by the kiosk's one retry policy (:mod:`printjobs.backoff`)."""
        return self.backoff_policy.delay(attempts, self._rng)

    # ------------------------------------------------------------------ reading
    def pending_count(self) -> int:
        """Events not yet delivered (rejected ones excluded: they wait for a person, not the network)."""
        return int(self.db.query("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0])

    def oldest_pending_age(self, now: float | None = None) -> float:
        """Seconds the oldest undelivered event has waited (0 when none): what the "outbox growing" alert reads."""
        oldest = self.db.query("SELECT MIN(created_at) FROM outbox WHERE status = 'pending'")[0][0]
        if oldest is None:
            return 0.0
        return max(0.0, (self._clock() if now is None else now) - float(oldest))

    def backlog(self, include_rejected: bool = True) -> list[dict]:
        """Undelivered events, oldest first, as plain data (no personal data is ever in an event)."""
        statuses = ("pending", "rejected") if include_rejected else ("pending",)
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM outbox WHERE status IN ({', '.join('?' * len(statuses))})"
            " ORDER BY created_at, key",
            statuses,
        )
        return [
            {
                **_event(row).to_json(),
                "status": row["status"],
                "attempts": row["attempts"],
                "next_attempt_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["next_attempt_at"])),
                "last_error": row["last_error"],
            }
            for row in rows
        ]

    def events(self) -> list[Event]:
        """Every event ever queued, oldest first."""
        return [_event(row) for row in self.db.query(f"SELECT {_COLUMNS} FROM outbox ORDER BY created_at, key")]

    def next_due(self) -> float | None:
        """When the next pending event is due, or None when nothing is pending."""
        row = self.db.query("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'")[0]
        return row[0]

    # ------------------------------------------------------------------ the worker
    def start(self, idle_wait_s: float = 30.0) -> None:
        """Deliver in a background thread until :meth:`stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(idle_wait_s,), name="outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due events now (a new event, or the network is back)."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Ask the worker to finish and wait up to ``timeout_s``; True when it has ended."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self, idle_wait_s: float) -> None:
        try:
            while not self._stop.is_set():
                self._wake.clear()
                report = self.deliver_due()
                due = self.next_due()
                wait = idle_wait_s if due is None else max(0.0, min(idle_wait_s, due - self._clock()))
                if report.retry:  # the link is down: back off as a whole, not event by event
                    wait = max(wait, min(idle_wait_s, self._last_backoff))
                self._wake.wait(wait)
        except BaseException as exc:
            # A bug, not a network problem: record it where diagnostics can see it, and do not hide it.
            self.worker_error = exc
            log_event(log, "outbox.worker_crashed", level=logging.ERROR, error=type(exc).__name__)
            raise


_COLUMNS = (
    "key, kind, job_id, document_id, outcome, cause, counters, created_at, attempts, status, revision,"
    " next_attempt_at, last_error, month, score"
)


def _event(row: sqlite3.Row) -> Event:
    if row["kind"] == "rating":
        return RatingReport(key=row["key"], month=row["month"], score=row["score"], created_at=row["created_at"])
    return JobReport(
        key=row["key"],
        job_id=row["job_id"],
        document_id=row["document_id"],
        outcome=row["outcome"],
        cause=row["cause"],
        counters=json.loads(row["counters"]),
        created_at=row["created_at"],
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
