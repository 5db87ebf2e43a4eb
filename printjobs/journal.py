"""The journal of print jobs and their state machine.

    CREATED -> FETCHED -> SENDING -> PRINTED -> REPORTED
       |          |          |-----> FAILED(cause) -> REPORTED
       |          |          '-----> UNCERTAIN -> RESOLVED(printed|not-printed, technician) -> REPORTED
       '----------'--> FAILED(cause)

SENDING is committed before the first byte goes to a device, so after a crash a job found in SENDING may
have printed: :meth:`printjobs.store.PrintStore.recover` turns it into UNCERTAIN, and nothing ever prints
it again by itself.
CREATED and FETCHED never sent a byte: recovery fails them with cause ``interrupted``, which releases the
central service's claim on the document.

What a row holds: job id (uuid4), document id and type, printer, state, cause, times, and an HMAC-SHA256
of the NIK under a random key kept in the state directory. No NIK, no name, no document bytes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from central.vocabulary import Media
from printjobs._log import event
from printjobs.db import Database
from printjobs.errors import IllegalTransition, UnknownJob

log = logging.getLogger("printjobs.journal")

#: What a job prints on (the journal's ``kind`` column); its printer is named separately.
DocumentKind = Media


class JobState(enum.StrEnum):
    """Where a print job is; the values are what the journal stores."""

    CREATED = "CREATED"
    FETCHED = "FETCHED"
    SENDING = "SENDING"
    PRINTED = "PRINTED"
    FAILED = "FAILED"
    UNCERTAIN = "UNCERTAIN"
    RESOLVED = "RESOLVED"
    REPORTED = "REPORTED"


class Resolution(enum.StrEnum):
    """A technician's answer for an UNCERTAIN job."""

    PRINTED = "printed"
    NOT_PRINTED = "not-printed"


#: Every legal move; anything else raises :class:`IllegalTransition`.
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.CREATED: frozenset({JobState.FETCHED, JobState.FAILED}),
    JobState.FETCHED: frozenset({JobState.SENDING, JobState.FAILED}),
    JobState.SENDING: frozenset({JobState.PRINTED, JobState.FAILED, JobState.UNCERTAIN}),
    JobState.PRINTED: frozenset({JobState.REPORTED}),
    JobState.FAILED: frozenset({JobState.REPORTED}),
    JobState.UNCERTAIN: frozenset({JobState.RESOLVED}),
    JobState.RESOLVED: frozenset({JobState.REPORTED}),
    JobState.REPORTED: frozenset(),
}

#: States in which a job still waits for something (a device, the outbox, a technician).
OPEN_STATES = frozenset(set(JobState) - {JobState.REPORTED})


@dataclass(frozen=True)
class JobRecord:
    """One job as the journal holds it. Safe to show: no personal data."""

    job_id: str
    document_id: str
    document_type: str
    kind: DocumentKind
    printer: str
    state: JobState
    cause: str | None
    resolution: Resolution | None
    technician: str | None
    created_at: float
    updated_at: float
    uncertain_reported: bool

    def to_json(self) -> dict:
        """A plain mapping for ``adm-kiosk journal --json``."""
        return {
            "job_id": self.job_id,
            "document_id": self.document_id,
            "document_type": self.document_type,
            "kind": self.kind,
            "printer": self.printer,
            "state": self.state.value,
            "cause": self.cause,
            "resolution": self.resolution.value if self.resolution else None,
            "technician": self.technician,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "uncertain_reported": self.uncertain_reported,
        }


#: Called after a transition has committed: (the job after the move, the state it left).
TransitionListener = Callable[[JobRecord, "JobState | None"], None]


def keyed_nik_hash(nik: str, key: bytes) -> str:
    """HMAC-SHA256 of the NIK: tells two jobs of one resident apart on this kiosk only, without the NIK."""
    return hmac.new(key, nik.encode("ascii"), hashlib.sha256).hexdigest()


class Journal:
    """The jobs table and its state machine, on a shared :class:`~printjobs.db.Database`."""

    def __init__(self, db: Database, nik_key: bytes, *, clock: Callable[[], float] = time.time):
        self.db = db
        self._nik_key = nik_key
        self._clock = clock
        self._listeners: list[TransitionListener] = []

    def add_listener(self, listener: TransitionListener) -> None:
        """Call ``listener`` after every committed transition (metrics, the UI, the crash harness)."""
        self._listeners.append(listener)

    def nik_hash(self, nik: str) -> str:
        """The keyed hash stored instead of the NIK: the same NIK gives the same hash on this kiosk only."""
        return keyed_nik_hash(nik, self._nik_key)

    # ------------------------------------------------------------------ writing
    def create(self, document_id: str, document_type: str, kind: DocumentKind, printer: str, nik: str) -> JobRecord:
        """Record a new job in CREATED and return it (committed before anything is asked of the server)."""
        job_id = str(uuid.uuid4())
        now = self._clock()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (job_id, document_id, document_type, kind, printer, state, nik_hash,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, document_id, document_type, Media(kind).value, printer, JobState.CREATED, self.nik_hash(nik),
                 now, now),
            )
            conn.execute(
                "INSERT INTO job_transitions (job_id, from_state, to_state, at) VALUES (?, NULL, ?, ?)",
                (job_id, JobState.CREATED, now),
            )
            self._notify_after_commit(job_id, None)
        record = self.get(job_id)
        event(log, "job.created", job=job_id, document=document_id, type=document_type, printer=printer)
        return record

    def transition(
        self,
        job_id: str,
        target: JobState,
        *,
        cause: str | None = None,
        resolution: Resolution | None = None,
        technician: str | None = None,
    ) -> JobRecord:
        """Move a job to ``target`` in its own transaction, or in the caller's when one is open.

        Raises :class:`IllegalTransition` and changes nothing when the move is not allowed.
        """
        target = JobState(target)
        with self.db.transaction() as conn:
            current = self._state(conn, job_id)
            if target not in TRANSITIONS[current]:
                raise IllegalTransition(job_id, current.value, target.value)
            if target is JobState.FAILED and not cause:
                raise ValueError("a FAILED job needs a cause")
            if target is JobState.RESOLVED and (resolution is None or not technician):
                raise ValueError("resolving needs a resolution and a technician id")
            now = self._clock()
            conn.execute(
                "UPDATE jobs SET state = ?, updated_at = ?, cause = COALESCE(?, cause),"
                " resolution = COALESCE(?, resolution), technician = COALESCE(?, technician) WHERE job_id = ?",
                (target, now, cause, resolution.value if resolution else None, technician, job_id),
            )
            conn.execute(
                "INSERT INTO job_transitions (job_id, from_state, to_state, cause, at) VALUES (?, ?, ?, ?, ?)",
                (job_id, current, target, cause, now),
            )
            self._notify_after_commit(job_id, current)
        event(log, "job.transition", job=job_id, state=target.value, previous=current.value, cause=cause)
        return self.get(job_id)

    def mark_uncertain_reported(self, conn: sqlite3.Connection, job_id: str) -> None:
        """Note that the central service has learned this job is uncertain (it stays UNCERTAIN)."""
        conn.execute("UPDATE jobs SET uncertain_reported_at = ? WHERE job_id = ?", (self._clock(), job_id))

    # ------------------------------------------------------------------ reading
    def get(self, job_id: str) -> JobRecord:
        """The job with this id; :class:`UnknownJob` when there is none."""
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            raise UnknownJob(job_id)
        return _record(rows[0])

    def jobs(self, states: Iterable[JobState] | None = None, limit: int | None = None) -> list[JobRecord]:
        """Jobs, newest first, optionally only those in ``states``."""
        sql = f"SELECT {_COLUMNS} FROM jobs"
        params: list = []
        if states is not None:
            wanted = [JobState(s).value for s in states]
            # With a limit, walk the newest jobs (index on created_at) and stop at ``limit``; the unary plus
            # keeps SQLite off the state index, which would sort every finished job first.
            column = "+state" if limit is not None else "state"
            sql += f" WHERE {column} IN ({', '.join('?' * len(wanted))})"
            params += wanted
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_record(row) for row in self.db.query(sql, tuple(params))]

    def find(self, prefix: str, limit: int = 10) -> list[JobRecord]:
        """Jobs whose id starts with ``prefix`` (what a technician types), at most ``limit``."""
        if not prefix or not all(ch in "0123456789abcdef-" for ch in prefix.lower()):
            return []
        prefix = prefix.lower()
        # A range on the primary key (LIKE would read every row): ids are ASCII, all below '~'.
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE job_id >= ? AND job_id < ? ORDER BY created_at"
                             " LIMIT ?", (prefix, prefix + "~", limit))
        return [_record(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        rows = self.db.query("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        return {row[0]: int(row[1]) for row in rows}

    def count_in(self, state: JobState) -> int:
        """How many jobs are in ``state`` (indexed: cheap at any journal size)."""
        return int(self.db.query("SELECT COUNT(*) FROM jobs WHERE state = ?", (JobState(state).value,))[0][0])

    def printed_today(self, since: float) -> tuple[int, int]:
        """Documents printed since ``since`` (a local midnight) and how many residents (keyed NIK hashes) they
        were for: what a daily cap counts."""
        row = self.db.query(
            "SELECT COUNT(*), COUNT(DISTINCT j.nik_hash) FROM job_transitions t JOIN jobs j ON j.job_id = t.job_id"
            " WHERE t.to_state = 'PRINTED' AND t.at >= ?", (since,))[0]
        return int(row[0]), int(row[1])

    def history(self, job_id: str) -> list[tuple[str | None, str, str | None]]:
        """Every committed move of a job, oldest first: (from, to, cause)."""
        rows = self.db.query(
            "SELECT from_state, to_state, cause FROM job_transitions WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [(row[0], row[1], row[2]) for row in rows]

    # ------------------------------------------------------------------ internals
    def _state(self, conn: sqlite3.Connection, job_id: str) -> JobState:
        row = conn.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        return JobState(row[0])

    def _notify_after_commit(self, job_id: str, previous: JobState | None) -> None:
        if self._listeners:
            self.db.after_commit(lambda: self._notify(job_id, previous))

    def _notify(self, job_id: str, previous: JobState | None) -> None:
        record = self.get(job_id)
        for listener in self._listeners:
            listener(record, previous)


_COLUMNS = (
    "job_id, document_id, document_type, kind, printer, state, cause, resolution, technician,"
    " created_at, updated_at, uncertain_reported_at"
)


def _record(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        job_id=row["job_id"],
        document_id=row["document_id"],
        document_type=row["document_type"],
        kind=Media(row["kind"]),
        printer=row["printer"],
        state=JobState(row["state"]),
        cause=row["cause"],
        resolution=Resolution(row["resolution"]) if row["resolution"] else None,
        technician=row["technician"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        uncertain_reported=row["uncertain_reported_at"] is not None,
    )


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
