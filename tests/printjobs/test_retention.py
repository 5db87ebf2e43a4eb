"""Retention: what is pruned after the window, what never is, and a crash in the middle of pruning."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from printjobs.errors import PermanentDeliveryError
from printjobs.journal import JobState, Resolution
from printjobs.outbox import JobReport
from printjobs.retention import DAY_S
from printjobs.store import PrintStore
from tests.factories import NIK

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test moves: days pass in a line."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


class Accepts:
    def send(self, event: JobReport) -> None:
        pass


class Refuses:
    def send(self, event: JobReport) -> None:
        raise PermanentDeliveryError("rejected")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _store(state_dir: Path, clock: Clock, sender=None) -> PrintStore:
    return PrintStore(state_dir, sender=sender, clock=clock, retention_days=90,
                      thresholds={"blanko": 0, "ribbon": 0, "paper": 0, "receipt": 0})


def _printed(store: PrintStore, kind: str = "a4", doc: str = "doc") -> str:
    printer = "card_printer" if kind == "card" else "document_printer"
    job = store.create_job(doc, "KTP_EL" if kind == "card" else "KK", kind, printer, NIK)
    store.fetched(job.job_id, [b"x"] * (2 if kind == "card" else 1))
    store.sending(job.job_id)
    store.printed(job.job_id, {"paper": 1} if kind == "a4" else {"blanko": 1, "ribbon": 1}, {"pages": 1})
    return job.job_id


def _uncertain(store: PrintStore, doc: str = "doc-u") -> str:
    job = store.create_job(doc, "KK", "a4", "document_printer", NIK)
    store.fetched(job.job_id, [b"x"])
    store.sending(job.job_id)
    store.uncertain(job.job_id, "interrupted-while-sending")
    return job.job_id


def _rows(store: PrintStore, table: str, job_id: str) -> int:
    return int(store.db.query(f"SELECT COUNT(*) FROM {table} WHERE job_id = ?", (job_id,))[0][0])


def test_reported_jobs_past_the_window_go_with_their_history_and_events(state_dir: Path, clock: Clock):
    store = _store(state_dir, clock, Accepts())
    try:
        for printer, kind in [("document_printer", "paper"), ("card_printer", "blanko"), ("card_printer", "ribbon")]:
            store.consumables.set_level(printer, kind, 100, reason="reload")
        old = [_printed(store, "a4", "doc-1"), _printed(store, "card", "doc-2")]
        store.outbox.drain(timeout_s=5)
        clock.now += 91 * DAY_S
        recent = _printed(store, "a4", "doc-3")
        store.outbox.drain(timeout_s=5)
        assert {store.journal.get(j).state for j in [*old, recent]} == {JobState.REPORTED}

        report = store.retention.prune()

        assert (report.jobs, report.consumable_events) == (2, 6)  # 3 reloads, paper, blanko and ribbon
        assert store.consumables.get("card_printer", "blanko").level == 99  # the levels themselves stay
        for job in old:
            assert [_rows(store, t, job) for t in ("jobs", "job_transitions", "outbox", "consumable_events")] == [0] * 4
        assert store.journal.get(recent).state is JobState.REPORTED  # inside the window
        assert len(store.journal.history(recent)) == 5
        # The audit log is a legal record: the card's issuance stays, and the chain still verifies.
        assert [e.body["job_id"] for e in store.audit.entries()] == [old[1]]
        assert store.audit.verify(full=True).ok
    finally:
        store.close()


def test_an_uncertain_job_is_never_pruned(state_dir: Path, clock: Clock):
    store = _store(state_dir, clock, Accepts())
    try:
        job = _uncertain(store)
        store.outbox.drain(timeout_s=5)  # the central service knows it is uncertain
        assert store.journal.get(job).uncertain_reported
        clock.now += 3 * 365 * DAY_S
        store.retention.prune()
        assert store.journal.get(job).state is JobState.UNCERTAIN
        assert len(store.journal.history(job)) == 4
        assert store.outbox.status_of(job) == "delivered"

        store.resolve(job, Resolution.PRINTED, "teknisi-1")  # the answer comes three years late
        store.outbox.drain(timeout_s=5)
        assert store.journal.get(job).state is JobState.REPORTED
        clock.now += 91 * DAY_S
        assert store.retention.prune().jobs == 1  # now it is finished and its outcome delivered
    finally:
        store.close()


def test_a_job_whose_event_is_not_delivered_is_never_pruned(state_dir: Path, clock: Clock):
    store = _store(state_dir, clock, Refuses())
    try:
        rejected = _printed(store, "card", "doc-rejected")
        store.outbox.deliver_due(now=float("inf"))
        assert store.outbox.status_of(rejected) == "rejected"  # waits for a person, not the network
        store.outbox.sender = None  # then the network is down for years
        pending = _printed(store, "a4", "doc-pending")
        late = _printed(store, "a4", "doc-late")
        # A reported job with a second event still on its way (a resolution, a replay): kept until it is out.
        with store.db.transaction() as conn:
            conn.execute("UPDATE jobs SET state = 'REPORTED' WHERE job_id = ?", (late,))
        clock.now += 3 * 365 * DAY_S
        assert store.retention.prune().jobs == 0
        assert {store.journal.get(j).state for j in (pending, rejected)} == {JobState.PRINTED}
        assert [store.outbox.status_of(j) for j in (pending, late)] == ["pending", "pending"]
        assert _rows(store, "job_transitions", late) == 4
    finally:
        store.close()


def test_pruning_goes_in_small_batches(state_dir: Path, clock: Clock):
    store = _store(state_dir, clock, Accepts())
    try:
        for i in range(25):
            _printed(store, "a4", f"doc-{i}")
        store.outbox.drain(timeout_s=10)
        store.retention.batch_jobs = 10
        clock.now += 100 * DAY_S
        report = store.retention.prune(pause_s=0)
        assert (report.jobs, report.batches) == (25, 3)
        assert store.journal.counts() == {}
        # Checkpoints went aside while pruning; the print worker's commits checkpoint again as before.
        assert store.db.query("PRAGMA wal_autocheckpoint")[0][0] == 1000
    finally:
        store.close()


# ---------------------------------------------------------------------- a crash while pruning
_CHILD = """
import sys, time
from pathlib import Path
from printjobs.store import PrintStore
store = PrintStore(Path(sys.argv[1]), retention_days=90)
store.retention.batch_jobs = 20
print("pruning", flush=True)
while True:
    pruned, _ = store.retention.prune_batch(float(sys.argv[2]))
    if not pruned:
        break
print("done", flush=True)
time.sleep(60)
"""


def _old_reported_jobs(state_dir: Path, count: int, at: float, first: int = 0) -> None:
    """``count`` reported jobs with their history and delivered events, written straight into the schema."""
    PrintStore(state_dir).close()
    conn = sqlite3.connect(state_dir / "journal.sqlite")
    with conn:
        for i in range(first, first + count):
            job = f"00000000-0000-4000-8000-{i:012d}"
            conn.execute("INSERT INTO jobs (job_id, document_id, document_type, kind, printer, state, nik_hash,"
                         " created_at, updated_at)"
                         " VALUES (?, ?, 'KK', 'a4', 'document_printer', 'REPORTED', 'h', ?, ?)",
                         (job, f"doc-{i}", at, at))
            for before, after in [(None, "CREATED"), ("CREATED", "FETCHED"), ("FETCHED", "SENDING"),
                                  ("SENDING", "PRINTED"), ("PRINTED", "REPORTED")]:
                conn.execute("INSERT INTO job_transitions (job_id, from_state, to_state, at) VALUES (?, ?, ?, ?)",
                             (job, before, after, at))
            conn.execute("INSERT INTO outbox (key, job_id, document_id, outcome, counters, created_at,"
                         " next_attempt_at, status, delivered_at)"
                         " VALUES (?, ?, ?, 'printed', '{}', ?, ?, 'delivered', ?)",
                         (job, job, f"doc-{i}", at, at, at))
    conn.close()


@pytest.mark.heavy
@pytest.mark.parametrize("delay_ms", [5, 20, 40, 80])
def test_a_crash_while_pruning_leaves_every_job_whole_or_gone(state_dir: Path, delay_ms: int):
    at = time.time() - 400 * DAY_S
    _old_reported_jobs(state_dir, 3000, at)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(state_dir), str(time.time() - 90 * DAY_S)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().strip() == "pruning"
        time.sleep(delay_ms / 1000)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(10)
    store = PrintStore(state_dir)  # the bounded open check passes...
    try:
        assert store.db.query("PRAGMA integrity_check")[0][0] == "ok"  # ...and so does the full one
        assert store.db.query("PRAGMA foreign_key_check") == []
        left = store.db.query("SELECT j.job_id, (SELECT COUNT(*) FROM job_transitions t WHERE t.job_id = j.job_id),"
                              " (SELECT COUNT(*) FROM outbox o WHERE o.job_id = j.job_id) FROM jobs j")
        assert all((row[1], row[2]) == (5, 1) for row in left)  # no job lost half of itself
        orphans = store.db.query("SELECT COUNT(*) FROM job_transitions WHERE job_id NOT IN (SELECT job_id FROM jobs)")
        assert orphans[0][0] == 0
        assert len(left) % 20 == 0  # whole batches only
        assert store.retention.prune(now=time.time()).jobs == len(left)  # and the rest goes next time
    finally:
        store.close()


# ---------------------------------------------------------------------- pruning beside printing
def _vm_steps_of_one_batch(state_dir: Path, kept: int) -> int:
    """SQLite's work (in steps of 100 VM instructions) for one batch of 20 jobs past the window, beside
    ``kept`` reported jobs still inside it."""
    now = time.time()
    _old_reported_jobs(state_dir, 20, now - 400 * DAY_S)
    _old_reported_jobs(state_dir, kept, now - DAY_S, first=1_000_000)
    store = PrintStore(state_dir, retention_days=90)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    try:
        store.db._conn.set_progress_handler(count, 100)
        assert store.retention.prune_batch(store.retention.cutoff(now)) == (20, 0)
    finally:
        store.close()
    return steps[0]


def test_a_batch_costs_the_same_in_a_journal_ten_times_larger(tmp_path: Path):
    small = _vm_steps_of_one_batch(tmp_path / "small", 300)
    large = _vm_steps_of_one_batch(tmp_path / "large", 3000)
    assert large < 1.5 * small, (small, large)  # it finds and deletes its own jobs, and walks no others


@pytest.mark.heavy
def test_a_print_transition_waits_for_at_most_one_batch(state_dir: Path, clock: Clock):
    _old_reported_jobs(state_dir, 400, clock.now - 400 * DAY_S)
    store = _store(state_dir, clock)
    done = [0]
    batch = store.retention.prune_batch

    def counted(cutoff: float) -> tuple[int, int]:
        try:
            return batch(cutoff)
        finally:
            done[0] += 1

    store.retention.prune_batch = counted  # type: ignore[method-assign]
    reports: list = []
    pruner = threading.Thread(target=lambda: reports.append(store.retention.prune(pause_s=0.05)))
    waited: list[int] = []
    try:
        pruner.start()
        while done[0] == 0:
            time.sleep(0.001)
        for i in range(1000):
            if not pruner.is_alive():
                break
            before = done[0]
            job = store.create_job(f"doc-{i}", "KK", "a4", "document_printer", NIK)
            store.fetched(job.job_id, [b"x"])
            waited.append(done[0] - before)  # batches that ended while the two transitions waited
            time.sleep(0.013)
        pruner.join(30)
    finally:
        store.close()
    assert reports and reports[0].jobs == 400 and reports[0].batches >= 20
    assert len(waited) >= 10  # the kiosk printed while the journal was being pruned...
    assert max(waited) <= 2, waited  # ...and each step waited for one batch at most (two steps here)
