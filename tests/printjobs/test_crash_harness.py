"""The crash harness: SIGKILL the print side at every transition and at random points, restart, check the books.

Each run gets a fresh state directory and simulated printers' output directories, then goes through up to
five kiosk lives (rounds), each a child process killed according to a plan, until one finishes; the last
round is never killed. Then this process restarts the print side once more (recover, deliver) and checks:
no document printed twice (output files per job and per document), every job REPORTED or UNCERTAIN,
exactly one event per job at the receiver with the outcome the journal holds, the journal's integrity
check, the audit chain, and that every document ended printed or uncertain.

The receiver is the reference central service (``central.testing``) over mutual TLS, which stores a print
event once per idempotency key; its database is read directly to count events per job.
``ADM_CRASH_RUNS`` sets the number of runs (bench: 1000), ``ADM_CRASH_SEED`` the seed.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk.central_client import CentralClient
from kiosk.config import CentralSection
from printjobs.backoff import Backoff
from printjobs.journal import JobState
from printjobs.store import PrintStore
from tests.factories import running_world
from tests.printjobs.central_sender import CRASH_KIOSK_ID, CentralSender

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("ADM_CRASH_RUNS", "200"))
SEED = int(os.environ.get("ADM_CRASH_SEED", "20261123"))
WORKERS = 4
#: Transitions in one undisturbed life: 3 jobs x (CREATED, FETCHED, SENDING, PRINTED, REPORTED).
FULL_LIFE_TRANSITIONS = 15


class ForkServer:
    """The warm child process that forks one kiosk life per round."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, str(CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)

    def round(self, state_dir: Path, out_dir: Path, central: dict, documents: dict, plan: dict) -> int:
        request = {"state_dir": str(state_dir), "out_dir": str(out_dir), "central": central, "documents": documents,
                   "plan": plan}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"fork server died: {self.proc.stderr.read() if self.proc.stderr else ''}")
        return int(json.loads(line)["exit"])

    def close(self) -> str:
        try:  # communicate() closes stdin: the server's loop ends and it exits
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        return err


def plans(rng: random.Random) -> list[list[dict]]:
    """Per run, the kill plan of each round: first every transition and every risky gap, then random ones."""
    systematic: list[list[dict]] = [[{"kill_at": n}] for n in range(1, FULL_LIFE_TRANSITIONS + 1)]
    systematic += [[{"kill_after_output": n}] for n in (1, 2, 3)]
    systematic += [[{"kill_after_send": n}] for n in (1, 2, 3)]
    # A crash during the recovery after a crash while sending.
    systematic += [[{"kill_after_output": 3}, {"kill_at": n}] for n in (1, 2, 3)]
    runs = systematic[:RUNS]
    while len(runs) < RUNS:
        rounds = []
        for _ in range(rng.randint(1, 4)):
            pick = rng.random()
            if pick < 0.45:
                rounds.append({"kill_at": rng.randint(1, FULL_LIFE_TRANSITIONS + 3)})
            elif pick < 0.9:
                rounds.append({"kill_after_s": rng.uniform(0.0, 0.25)})
            elif pick < 0.95:
                rounds.append({"kill_after_output": rng.randint(1, 3)})
            else:
                rounds.append({"kill_after_send": rng.randint(1, 3)})
        runs.append(rounds)
    return runs


def server_events(central: RunningCentral) -> dict[str, list[str]]:
    """Print events the reference server holds: idempotency key -> outcomes stored under it."""
    with sqlite3.connect(central.data_dir / DB_FILE) as db:
        rows = db.execute("SELECT idem_key, outcome FROM print_events").fetchall()
    events: dict[str, list[str]] = {}
    for key, outcome in rows:
        events.setdefault(key, []).append(outcome)
    return events


def check_run(state_dir: Path, out_dir: Path, central: RunningCentral, client: CentralClient,
              documents: dict[str, str], label: str) -> Counter:
    store = PrintStore(state_dir, sender=CentralSender(client))  # opening runs the integrity check
    try:
        store.recover()
        assert store.outbox.drain(timeout_s=10, poll_s=0.002), label
        store.db.check_integrity()
        verification = store.audit.verify()
        assert verification.ok, (label, verification.problems)

        jobs = store.journal.jobs()
        events = server_events(central)
        files = [p.name for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
        outcomes: Counter = Counter()
        printed_documents: Counter = Counter()
        for job in jobs:
            history = [target for _, target, _ in store.journal.history(job.job_id)]
            mine = [name for name in files if name.startswith(job.job_id + "-")]
            assert job.state in (JobState.REPORTED, JobState.UNCERTAIN), (label, job.job_id, history)
            if job.kind == "a4":
                assert len(mine) <= 1, (label, "A4 printed twice", job.job_id, mine)
            else:
                assert sum(n.endswith("-front.png") for n in mine) <= 1, (label, "card printed twice", mine)
                assert sum(n.endswith("-back.png") for n in mine) <= 1, (label, "card printed twice", mine)
            if mine:
                printed_documents[job.document_id] += 1
            if "PRINTED" in history:
                expected, outcome = (1 if job.kind == "a4" else 2), "printed"
                assert len(mine) == expected, (label, "PRINTED without its output", job.job_id, mine)
            elif job.state is JobState.UNCERTAIN:
                outcome = "uncertain"
            else:
                assert "FAILED" in history and not mine, (label, job.job_id, history, mine)
                outcome = "failed"
            stored = events.get(job.job_id)
            assert stored is not None, (label, "event lost", job.job_id, history)
            assert stored == [outcome], (label, "not exactly one event, or the wrong one", job.job_id, stored, history)
            outcomes[outcome] += 1
        assert all(count == 1 for count in printed_documents.values()), (label, "document printed twice",
                                                                         printed_documents)
        ours = {job.job_id for job in jobs}
        assert {key for key in events if key.startswith(tuple(ours))} == ours  # one event per job, no more
        final = {job.document_id for job in jobs if job.state is JobState.UNCERTAIN}
        final |= {job.document_id for job in jobs if "PRINTED" in [t for _, t, _ in
                                                                    store.journal.history(job.job_id)]}
        assert final == set(documents.values()), (label, "a document was never printed")
        card_jobs = {job.job_id: job for job in jobs if job.kind == "card"}
        issued = [e.body["job_id"] for e in store.audit.entries() if e.kind == "card_issued"]
        assert sorted(issued) == sorted(j for j in card_jobs if events[j] == ["printed"]), label
        assert store.documents.job_ids() == [], label
        return outcomes
    finally:
        store.close()


@pytest.mark.heavy
@pytest.mark.timeout(240)
def test_sigkill_anywhere_never_prints_twice_nor_loses_an_event(tmp_path: Path):
    all_runs = list(enumerate(plans(random.Random(SEED))))
    with running_world(tmp_path / "central", kiosk_id=CRASH_KIOSK_ID) as central:
        documents = {d["type"]: d["id"] for d in central.resident("ready")["documents"]}

        def worker(runs: list[tuple[int, list[dict]]]) -> tuple[Counter, int, str]:
            """Drive one fork server through ``runs``; a request to the server mostly waits on the network,
            so a few workers side by side keep the harness short without more CPU."""
            totals: Counter = Counter()
            killed = 0
            server = ForkServer()
            config = central.client_config()
            client = CentralClient(CentralSection(**config), CRASH_KIOSK_ID, backoff=Backoff(0.001, 0.002))
            config = json.loads(json.dumps(config, default=str))
            try:
                for run, rounds in runs:
                    state_dir, out_dir = tmp_path / f"run{run}" / "state", tmp_path / f"run{run}" / "out"
                    for plan in [*rounds, {}]:
                        code = server.round(state_dir, out_dir, config, documents, plan)
                        assert code in (0, -9), f"run {run} plan {plan}: child exited {code}"
                        killed += code == -9
                        if code == 0:
                            break
                    totals += check_run(state_dir, out_dir, central, client, documents, f"run {run} {rounds}")
            finally:
                client.close()
                err = server.close()
            return totals, killed, err

        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(worker, [all_runs[i::WORKERS] for i in range(WORKERS)]))
    totals = sum((r[0] for r in results), Counter())
    killed = sum(r[1] for r in results)
    for _, _, err in results:
        assert "child failed" not in err, err
    # The harness must actually have crashed the kiosk, and reached every kind of ending.
    assert killed >= RUNS * 0.8, killed
    assert totals["printed"] and totals["uncertain"] and totals["failed"], totals
