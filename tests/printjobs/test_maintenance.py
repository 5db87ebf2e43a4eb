"""The journal's upkeep: the cheap check at open, the full check in the background, pruning on a schedule."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from printjobs.db import Database
from printjobs.errors import JournalCorrupt
from printjobs.maintenance import Maintenance, Schedule
from printjobs.retention import DAY_S
from printjobs.store import PrintStore
from tests.factories import NIK
from tests.printjobs.aged_journal import build_aged_journal


def damage_a_middle_page(path: Path) -> None:
    """Garbage over one page a third into the file: old rows, which the check at open does not read."""
    data = bytearray(path.read_bytes())
    page = len(data) // 4096 // 3
    data[page * 4096 + 8:(page + 1) * 4096] = os.urandom(4096 - 8)
    path.write_bytes(bytes(data))


@pytest.fixture
def aged(state_dir: Path) -> Path:
    build_aged_journal(state_dir, jobs=3000, days=365, end=time.time())
    return state_dir


def test_damage_the_open_check_cannot_see_is_found_by_the_background_check(aged: Path):
    damage_a_middle_page(aged / "journal.sqlite")
    store = PrintStore(aged)  # opens: the newest rows, the schema and the header are sound
    found: list[list[str]] = []
    upkeep = Maintenance(store.db, store.retention, store.audit, on_corrupt=found.append)
    try:
        assert upkeep.run_once() is False
        assert len(found) == 1 and found[0]
        assert upkeep.check() is False and len(found) == 1  # reported once
        assert store.journal.counts()["REPORTED"] > 2000  # nothing pruned from a damaged file
    finally:
        store.close()


def test_a_truncated_journal_is_refused_at_open(aged: Path):
    path = aged / "journal.sqlite"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a torn copy, a full disk
    with pytest.raises(JournalCorrupt):
        Database(path)


def test_damage_among_the_newest_rows_is_refused_at_open(aged: Path):
    path = aged / "journal.sqlite"
    store = PrintStore(aged)
    store.close()
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'job_transitions_job'").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * 4096 + 8:root * 4096] = bytes(4096 - 8)  # the index's root page: its entries are gone
    path.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt):
        PrintStore(aged)


def test_the_upkeep_thread_checks_then_prunes(state_dir: Path):
    clock = [time.time()]
    store = PrintStore(state_dir, clock=lambda: clock[0], retention_days=30)
    found: list[list[str]] = []
    upkeep = Maintenance(store.db, store.retention, store.audit, on_corrupt=found.append,
                         schedule=Schedule(first_check_after_s=0.0, check_every_s=3600, prune_every_s=3600))
    try:
        job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
        store.failed(job.job_id, "fetch:unreachable")
        with store.db.transaction() as conn:  # delivered long ago
            conn.execute("UPDATE outbox SET status = 'delivered'")
            conn.execute("UPDATE jobs SET state = 'REPORTED'")
        clock[0] += 31 * DAY_S
        upkeep.start()
        deadline = time.monotonic() + 10
        while store.journal.counts() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.journal.counts() == {} and found == []
    finally:
        assert upkeep.stop()
        store.close()


def test_the_open_check_reads_one_snapshot_while_the_kiosk_commits(state_dir: Path):
    """A technician's command opens the journal while the kiosk moves jobs on: never a false 'corrupt'."""
    import threading

    from printjobs.journal import JobState

    kiosk = PrintStore(state_dir)
    stop = threading.Event()

    def print_jobs() -> None:
        while not stop.is_set():
            job = kiosk.create_job("doc", "kk", "a4", "document_printer", NIK)
            for state in (JobState.FETCHED, JobState.SENDING, JobState.PRINTED):
                kiosk.journal.transition(job.job_id, state)

    worker = threading.Thread(target=print_jobs)
    worker.start()
    try:
        for _ in range(30):
            Database(state_dir / "journal.sqlite").close()  # raises JournalCorrupt on a torn view
    finally:
        stop.set()
        worker.join()
        kiosk.close()
