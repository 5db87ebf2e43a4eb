"""Everything durable about print jobs under one state directory, and the compound moves that keep it consistent.

Each outcome is ONE transaction: the job's state, its print event in the outbox, the consumables it used
and, for cards, the audit entry. After a crash either all of them are there or none.

Files in ``state_dir``: ``journal.sqlite`` (+ ``-wal``/``-shm``; jobs, outbox, consumables, audit),
``nik-hmac.key`` and ``audit-ed25519.pem`` (0600), ``audit.head``, ``audit.verified`` (the last verified
month), and ``spool/`` (encrypted bytes).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from central.vocabulary import Media
from printjobs._log import event
from printjobs.audit import AuditKind, AuditLog, SpoilCause
from printjobs.backoff import OUTBOX_BACKOFF, Backoff
from printjobs.consumables import Consumables
from printjobs.db import Database, load_or_create_secret
from printjobs.docstore import DocumentStore
from printjobs.errors import IllegalTransition, JournalCorrupt
from printjobs.journal import DocumentKind, JobRecord, JobState, Journal, Resolution
from printjobs.outbox import EventSender, JobReport, Outbox, Outcome
from printjobs.retention import Retention

log = logging.getLogger("printjobs.store")

#: Where the print side keeps its files under the kiosk's ``storage.state_dir``.
STORE_SUBDIR = "jobs"


def store_dir(state_dir: Path | str) -> Path:
    """The directory of the kiosk's :class:`PrintStore` inside ``storage.state_dir`` (the kiosk and the
    ``adm-kiosk journal``/``audit`` commands must agree on it)."""
    return Path(state_dir) / STORE_SUBDIR


#: How long finished, reported jobs stay in the journal by default (``storage.retention_days``).
RETENTION_DAYS = 90

#: Suffix of the idempotency key of a technician's resolution sent after the 'uncertain' event went out.
RESOLUTION_SUFFIX = ":resolution"


@dataclass(frozen=True)
class Recovery:
    """What :meth:`PrintStore.recover` did at start."""

    uncertain: list[str]
    interrupted: list[str]
    purged_documents: int


class PrintStore:
    """The journal, the encrypted spool, the outbox, consumables and the audit log of one kiosk."""

    def __init__(
        self,
        state_dir: Path,
        *,
        thresholds: Mapping[str, int] | None = None,
        sender: EventSender | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        outbox_backoff: Backoff = OUTBOX_BACKOFF,
        retention_days: float = RETENTION_DAYS,
    ):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = Database(self.state_dir / "journal.sqlite")
        self.journal = Journal(self.db, load_or_create_secret(self.state_dir / "nik-hmac.key"), clock=clock)
        self.documents = DocumentStore(self.state_dir / "spool")
        self.outbox = Outbox(self.db, sender, on_delivered=self._on_delivered, clock=clock, rng=rng,
                             backoff=outbox_backoff)
        self.consumables = Consumables(self.db, thresholds, clock=clock)
        self.audit = AuditLog(self.db, self.state_dir, clock=clock)
        self.retention = Retention(self.db, retention_days, clock=clock)
        self._refusing: str | None = None

    def close(self) -> None:
        """Stop the outbox worker and close the database."""
        self.outbox.stop()
        self.db.close()

    def refuse_new_jobs(self, reason: str) -> None:
        """From now on :meth:`create_job` raises :class:`JournalCorrupt` (the background check found damage);
        jobs already under way still finish and report."""
        self._refusing = reason

    # ------------------------------------------------------------------ the job's way
    def create_job(self, document_id: str, document_type: str, kind: DocumentKind, printer: str,
                   nik: str) -> JobRecord:
        """A new job in CREATED; refuses (PrinterBlocked) when a consumable of ``printer`` is empty."""
        if self._refusing:
            raise JournalCorrupt(f"{self.db.path}: {self._refusing}")
        self.consumables.check_available(printer)
        return self.journal.create(document_id, document_type, kind, printer, nik)

    def fetched(self, job_id: str, parts: list[bytes]) -> JobRecord:
        """Keep the verified bytes encrypted, then move to FETCHED."""
        self.documents.put(job_id, parts)
        try:
            return self.journal.transition(job_id, JobState.FETCHED)
        except IllegalTransition:
            self.documents.delete(job_id)
            raise

    def sending(self, job_id: str) -> JobRecord:
        """Commit SENDING: from here on the job may have printed, and is never printed again automatically."""
        return self.journal.transition(job_id, JobState.SENDING)

    def printed(self, job_id: str, usage: Mapping[str, int], counters: Mapping[str, int]) -> JobRecord:
        """SENDING -> PRINTED with its consumables, the card's audit entry and the 'printed' event."""
        with self.db.transaction():
            record = self.journal.transition(job_id, JobState.PRINTED)
            self.consumables.consume(record.printer, usage, job_id)
            if record.kind is Media.CARD:
                self.audit.card_issued(job_id, record.document_id, record.document_type, record.printer)
            self._enqueue(record, "printed", None, counters)
        self.documents.delete(job_id)
        return record

    def failed(self, job_id: str, cause: str, *, spoiled: SpoilCause | None = None,
               usage: Mapping[str, int] | None = None) -> JobRecord:
        """-> FAILED(cause) and the 'failed' event (which releases the central claim); a spoiled card is audited."""
        with self.db.transaction():
            record = self.journal.transition(job_id, JobState.FAILED, cause=cause)
            if usage:
                self.consumables.consume(record.printer, usage, job_id)
            if spoiled is not None:
                self.audit.card_spoiled(spoiled, record.printer, job_id=job_id, document_id=record.document_id,
                                        document_type=record.document_type, detail=cause)
            self._enqueue(record, "failed", cause, {})
        self.documents.delete(job_id)
        return record

    def uncertain(self, job_id: str, cause: str) -> JobRecord:
        """SENDING -> UNCERTAIN and the 'uncertain' event: a technician must say what came out."""
        with self.db.transaction():
            record = self.journal.transition(job_id, JobState.UNCERTAIN, cause=cause)
            self._uncertain_side_effects(record, cause)
        self.documents.delete(job_id)
        return record

    def resolve(self, job_id: str, resolution: Resolution | str, technician: str) -> JobRecord:
        """A technician's answer for an UNCERTAIN job: audited, and reported to the central service.

        If the 'uncertain' event was never attempted, it is rewritten in place; otherwise a second event
        with key ``<job id>:resolution`` follows it.
        """
        resolution = Resolution(resolution)
        with self.db.transaction():
            record = self.journal.transition(job_id, JobState.RESOLVED, resolution=resolution, technician=technician)
            self.audit.technician_action(technician, "resolve_uncertain", job_id=job_id,
                                         document_id=record.document_id, printer=record.printer,
                                         resolution=resolution.value)
            if resolution is Resolution.PRINTED and record.kind is Media.CARD:
                self.consumables.consume(record.printer, {"blanko": 1, "ribbon": 1}, job_id)
                self.audit.card_issued(job_id, record.document_id, record.document_type, record.printer)
            outcome: Outcome = "printed" if resolution is Resolution.PRINTED else "failed"
            cause = None if resolution is Resolution.PRINTED else "not-printed"
            resolved = JobReport(job_id, job_id, record.document_id, outcome, cause, {"resolved_by_technician": 1})
            if not self.outbox.enqueue(resolved, replace_pending=True):
                # The 'uncertain' event may already be at the central service: follow it with a second one.
                self.outbox.enqueue(dataclasses.replace(resolved, key=job_id + RESOLUTION_SUFFIX))
        event(log, "job.resolved", job=job_id, resolution=resolution.value, technician=technician)
        return record

    def reload(self, printer: str, kind: str, level: int, technician: str) -> None:
        """A technician filled a consumable: new level, recorded with who did it, and audited."""
        with self.db.transaction():
            self.consumables.set_level(printer, kind, level, technician=technician, reason="reload")
            self.audit.technician_action(technician, "reload", printer=printer, consumable=kind, level=level)

    def receipt_printed(self, printer: str = "receipt_printer", count: int = 1) -> None:
        """Count receipt paper used by a slip or a queue ticket."""
        self.consumables.consume(printer, {"receipt": count})

    def record_spoiled_card(self, printer: str, cause: SpoilCause | str, technician: str,
                            job_id: str | None = None, detail: str | None = None) -> None:
        """A card found spoiled outside a job's own failure (e.g. data changed, a failed chip encode)."""
        with self.db.transaction():
            self.consumables.consume(printer, {"blanko": 1}, job_id)
            self.audit.card_spoiled(cause, printer, job_id=job_id, technician=technician, detail=detail)

    def recover(self) -> Recovery:
        """At start, before any printing: SENDING -> UNCERTAIN; CREATED/FETCHED -> FAILED(interrupted);
        the encrypted spool is emptied (its key died with the old process); the audit head catches up.
        Idempotent. Only the kiosk itself calls this, never a command run beside it."""
        uncertain, interrupted = [], []
        with self.db.transaction():
            for record in self.journal.jobs(states=[JobState.SENDING]):
                self.uncertain(record.job_id, "interrupted-while-sending")
                uncertain.append(record.job_id)
            for record in self.journal.jobs(states=[JobState.CREATED, JobState.FETCHED]):
                self.failed(record.job_id, "interrupted")
                interrupted.append(record.job_id)
        purged = self.documents.purge()
        self.audit.sync_head()
        if uncertain or interrupted or purged:
            event(log, "journal.recovered", level=logging.WARNING, uncertain=len(uncertain),
                  failed=len(interrupted), purged=purged)
        return Recovery(uncertain=uncertain, interrupted=interrupted, purged_documents=purged)

    # ------------------------------------------------------------------ reading
    def summary(self, limit: int = 50) -> dict:
        """What ``adm-kiosk journal --json`` shows: jobs, counts, outbox backlog, consumables. No personal data."""
        return {
            "jobs": [job.to_json() for job in self.journal.jobs(limit=limit)],
            "counts": self.journal.counts(),
            "outbox": {"pending": self.outbox.pending_count(), "backlog": self.outbox.backlog()},
            "consumables": [c.to_json() for c in self.consumables.status()],
        }

    # ------------------------------------------------------------------ internals
    def _uncertain_side_effects(self, record: JobRecord, cause: str) -> None:
        if record.kind is Media.CARD:
            # The blanko may or may not have been used: the monthly report must show it until resolved.
            self.audit.append(AuditKind.CARD_UNCERTAIN, job_id=record.job_id, document_id=record.document_id,
                              document_type=record.document_type, printer=record.printer, detail=cause)
        self._enqueue(record, "uncertain", cause, {})

    def _enqueue(self, record: JobRecord, outcome: Outcome, cause: str | None, counters: Mapping[str, int]) -> None:
        self.outbox.enqueue(JobReport(record.job_id, record.job_id, record.document_id, outcome, cause,
                                      dict(counters)))

    def _on_delivered(self, conn: sqlite3.Connection, delivered: JobReport) -> None:
        """Inside the transaction that marks ``delivered`` as sent: move the job on."""
        record = self.journal.get(delivered.job_id)
        if delivered.outcome == "uncertain":
            # Even when a technician has resolved the job meanwhile: its resolution is still to go out.
            self.journal.mark_uncertain_reported(conn, record.job_id)
        elif record.state in (JobState.PRINTED, JobState.FAILED, JobState.RESOLVED):
            self.journal.transition(record.job_id, JobState.REPORTED)
