"""The reference server at a province's size: indexed lookups, bounded heartbeats, bounded scrypt memory."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

import pytest

import central.pins as pins
from central import contract as c
from central.store import DB_FILE, HEARTBEAT_KEEP_S, Store

#: The statements of the login and print paths, with the table each must reach through an index.
PATH_QUERIES = {
    "login: a NIK's PINs": "SELECT id, pin_hash, expires_at FROM pins WHERE nik='x' AND revoked=0 ORDER BY id DESC",
    "a new PIN ends the older ones' sessions": "UPDATE sessions SET revoked=1 WHERE pin_id=1",
    "claim: another PIN holds it": "SELECT status FROM grants WHERE document_id='d' AND pin_id<>1 AND status IN"
                                   " ('claimed','printed','uncertain')",
    "print event: the job's grant": "SELECT pin_id, status FROM grants WHERE document_id='d' AND job_id='j'",
    "print event: the latest grant": "SELECT status FROM grants WHERE document_id='d' ORDER BY pin_id DESC LIMIT 1",
    "issue: a resident's documents": "SELECT id FROM documents d WHERE nik='x' AND state='active' AND NOT EXISTS ("
                                     " SELECT 1 FROM grants g WHERE g.document_id=d.id AND g.status IN"
                                     " ('claimed','printed','uncertain'))",
    "heartbeats kept for a week": "DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats"
                                  " WHERE received_at < 0 ORDER BY received_at LIMIT 100)",
}


@pytest.fixture
def store(world_template: Path, tmp_path: Path):
    shutil.copytree(world_template, tmp_path / "world")
    now = [time.time()]
    store = Store(tmp_path / "world", clock=lambda: now[0])
    store.now = now
    yield store
    store.close()


@pytest.mark.parametrize("name", sorted(PATH_QUERIES))
def test_every_lookup_on_the_login_and_print_paths_uses_an_index(store: Store, name: str):
    with store._lock:
        plan = [row["detail"] for row in store._db.execute("EXPLAIN QUERY PLAN " + PATH_QUERIES[name])]
    assert not [step for step in plan if step.startswith("SCAN")], plan  # a SCAN reads every row (or entry)


def test_heartbeats_older_than_a_week_are_dropped(store: Store):
    for _ in range(3):
        store.heartbeat("ADM-OLD-01", c.Heartbeat())
    store.now[0] += HEARTBEAT_KEEP_S + 60
    store.heartbeat("ADM-NEW-01", c.Heartbeat())
    assert store.heartbeats("ADM-OLD-01") == []
    assert len(store.heartbeats("ADM-NEW-01")) == 1
    with store._lock:
        assert store._db.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 1
    assert (Path(store.data_dir) / DB_FILE).exists()


def test_scrypt_runs_at_most_a_few_at_once(monkeypatch: pytest.MonkeyPatch):
    """50 logins at once: each scrypt holds 16 MiB while it runs, so only a few may run, on threads of their own."""
    running, most = [0], [0]
    threads_used: set[str] = set()
    lock = threading.Lock()
    real = hashlib.scrypt

    def counted(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            threads_used.add(threading.current_thread().name)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(pins.hashlib, "scrypt", counted)
    stored = pins.hash_pin("123456")
    start = threading.Barrier(50)

    def login() -> None:
        start.wait()
        pins.match_pin("654321", [stored])

    threads = [threading.Thread(target=login) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most[0] <= pins.SCRYPT_CONCURRENCY
    # Always on the same few threads: memory a thread freed is kept for that thread, so 50 threads that each
    # ran one scrypt would hold 50 x 16 MiB afterwards.
    assert len(threads_used) <= pins.SCRYPT_CONCURRENCY
