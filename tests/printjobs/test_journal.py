"""The journal: durable settings, integrity check, schema migrations, the state machine, the NIK hash, recovery."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from printjobs.db import CACHE_KIB, SCHEMA_VERSION, Database
from printjobs.errors import IllegalTransition, JournalCorrupt, JournalError, SchemaTooNew, UnknownJob
from printjobs.journal import TRANSITIONS, JobState, Resolution, keyed_nik_hash
from printjobs.store import PrintStore
from tests.factories import NIK


def test_the_database_is_durable_and_private(store: PrintStore, state_dir: Path):
    assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.db.query("PRAGMA synchronous")[0][0] == 2  # FULL
    assert store.db.schema_version == SCHEMA_VERSION
    for name in ("journal.sqlite", "nik-hmac.key", "audit-ed25519.pem"):
        assert stat.S_IMODE(os.stat(state_dir / name).st_mode) == 0o600, name


def test_the_page_cache_stays_small_as_the_journal_grows(store: PrintStore):
    """SQLite's default cache (2000 KiB) filled as finished jobs piled up: RSS growth in the soak bench."""
    assert store.db.query("PRAGMA cache_size")[0][0] == -CACHE_KIB
    assert CACHE_KIB <= 512


def test_a_corrupt_journal_is_refused_at_open(tmp_path: Path):
    path = tmp_path / "journal.sqlite"
    Database(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the first page: schema and header behind the magic string
    path.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt):
        Database(path)


def test_a_journal_that_opens_but_lies_is_refused_by_the_integrity_check(state_dir: Path):
    store = PrintStore(state_dir)
    for i in range(3):
        store.create_job(f"doc-{i}", "KK", "a4", "document_printer", NIK)
    store.close()
    conn = sqlite3.connect(state_dir / "journal.sqlite")
    conn.execute("PRAGMA writable_schema=ON")  # cross two indexes: every query still runs, answers are wrong
    roots = dict(conn.execute("SELECT name, rootpage FROM sqlite_master WHERE name IN ('jobs_state', 'outbox_due')"))
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'jobs_state'", (roots["outbox_due"],))
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'outbox_due'", (roots["jobs_state"],))
    conn.commit()
    conn.close()
    check = sqlite3.connect(state_dir / "journal.sqlite")
    silently_gone = "SELECT COUNT(*) FROM jobs INDEXED BY jobs_state WHERE state = 'CREATED'"
    assert check.execute(silently_gone).fetchone()[0] == 0  # three jobs
    check.close()
    with pytest.raises(JournalCorrupt, match="integrity check failed"):
        PrintStore(state_dir)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalCorrupt):
        Database(path)


def test_a_journal_locked_by_another_process_is_busy_not_corrupt(tmp_path: Path):
    path = tmp_path / "journal.sqlite"
    Database(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(JournalError) as caught:
            Database(path, timeout_s=0.1)
        assert not isinstance(caught.value, JournalCorrupt)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_journal_from_newer_software_is_refused(tmp_path: Path):
    path = tmp_path / "journal.sqlite"
    Database(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew):
        Database(path)


def test_reopening_keeps_jobs_and_does_not_migrate_twice(state_dir: Path):
    first = PrintStore(state_dir)
    job = first.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    first.close()
    again = PrintStore(state_dir)
    assert again.journal.get(job.job_id).state is JobState.CREATED
    assert again.db.schema_version == SCHEMA_VERSION
    again.close()


def test_the_happy_path_and_its_history(store: PrintStore):
    job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    store.fetched(job.job_id, [b"%PDF-1.4 fake"])
    store.sending(job.job_id)
    store.printed(job.job_id, {"paper": 1}, {"pages": 1})
    assert [h[1] for h in store.journal.history(job.job_id)] == ["CREATED", "FETCHED", "SENDING", "PRINTED"]
    assert store.outbox.status_of(job.job_id) == "pending"


@pytest.mark.parametrize("source", list(JobState))
def test_every_illegal_move_is_refused_and_changes_nothing(store: PrintStore, source: JobState):
    job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    path = {
        JobState.CREATED: [],
        JobState.FETCHED: [JobState.FETCHED],
        JobState.SENDING: [JobState.FETCHED, JobState.SENDING],
        JobState.PRINTED: [JobState.FETCHED, JobState.SENDING, JobState.PRINTED],
        JobState.FAILED: [JobState.FAILED],
        JobState.UNCERTAIN: [JobState.FETCHED, JobState.SENDING, JobState.UNCERTAIN],
        JobState.RESOLVED: [JobState.FETCHED, JobState.SENDING, JobState.UNCERTAIN, JobState.RESOLVED],
        JobState.REPORTED: [JobState.FAILED, JobState.REPORTED],
    }[source]
    for target in path:
        store.journal.transition(job.job_id, target, cause="x", resolution=Resolution.PRINTED, technician="t1")
    assert store.journal.get(job.job_id).state is source
    for target in set(JobState) - TRANSITIONS[source]:
        with pytest.raises(IllegalTransition):
            store.journal.transition(job.job_id, target, cause="x", resolution=Resolution.PRINTED, technician="t1")
        assert store.journal.get(job.job_id).state is source


def test_unknown_jobs_are_typed_errors(store: PrintStore):
    with pytest.raises(UnknownJob):
        store.journal.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(UnknownJob):
        store.sending("00000000-0000-4000-8000-000000000000")


def test_the_nik_is_kept_only_as_a_keyed_hash(store: PrintStore, tmp_path: Path):
    job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    row = store.db.query("SELECT * FROM jobs WHERE job_id = ?", (job.job_id,))[0]
    assert NIK not in " ".join(str(v) for v in tuple(row))
    assert row["nik_hash"] == store.journal.nik_hash(NIK)
    other = PrintStore(tmp_path / "other-kiosk")  # another kiosk, another key: its hash does not match ours
    assert other.journal.nik_hash(NIK) != store.journal.nik_hash(NIK)
    other.close()


def test_recovery_makes_sending_uncertain_and_fails_what_never_sent(store: PrintStore):
    created = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    fetched = store.create_job("doc-2", "AKTA", "a4", "document_printer", NIK)
    store.fetched(fetched.job_id, [b"pdf"])
    sending = store.create_job("doc-3", "KTP-el", "card", "card_printer", NIK)
    store.fetched(sending.job_id, [b"front", b"back"])
    store.sending(sending.job_id)

    recovery = store.recover()

    assert recovery.uncertain == [sending.job_id]
    assert sorted(recovery.interrupted) == sorted([created.job_id, fetched.job_id])
    assert store.journal.get(sending.job_id).state is JobState.UNCERTAIN
    assert store.journal.get(created.job_id).cause == "interrupted"
    assert {e.key: e.outcome for e in store.outbox.events()} == {
        sending.job_id: "uncertain", created.job_id: "failed", fetched.job_id: "failed"}
    assert [e.kind for e in store.audit.entries()] == ["card_uncertain"]
    assert store.recover().uncertain == []  # idempotent: nothing left to recover


def test_listeners_hear_each_committed_move(store: PrintStore):
    heard: list[tuple[str, str | None]] = []
    store.journal.add_listener(lambda job, previous: heard.append((job.state.value, previous)))
    job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    store.failed(job.job_id, "fetch:unreachable")
    assert heard == [("CREATED", None), ("FAILED", "CREATED")]


def test_the_keyed_nik_hash_depends_on_the_key_and_hides_the_nik():
    nik = "3273012001900001"
    a, b = keyed_nik_hash(nik, b"k1"), keyed_nik_hash(nik, b"k2")
    assert a != b and nik not in a and len(a) == 64
    assert keyed_nik_hash(nik, b"k1") == a
