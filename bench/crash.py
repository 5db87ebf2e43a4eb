"""The crash matrix: SIGKILL the print side at every transition and at random points, 1,000 runs.

Reuses the harness of ``tests/printjobs/test_crash_harness.py`` (its fork server, kill plans and per-run
checks) with more runs, and counts instead of stopping at the first failure: a document printed twice is a
duplicate, a job whose event never reached the reference server is a lost event. Both must be 0.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Figure
from central.testing import running_central
from kiosk.central_client import CentralClient
from kiosk.config import CentralSection
from printjobs.backoff import Backoff


def _classify(error: AssertionError) -> str:
    text = str(error)
    if "twice" in text:
        return "duplicate"
    if "event lost" in text or "never printed" in text:
        return "lost"
    if "not exactly one event" in text:
        return "duplicate_event"
    return "other"


def run(runs: int = 1000, seed: int = 20261123) -> list[Figure]:
    os.environ["ADM_CRASH_RUNS"] = str(runs)  # the harness reads its run count at import
    harness = importlib.import_module("tests.printjobs.test_crash_harness")
    harness = importlib.reload(harness)
    all_runs = list(enumerate(harness.plans(random.Random(seed))))
    problems: Counter = Counter()
    examples: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp:
        root = Path(tmp)
        with running_central(root / "central", kiosk_id=harness.CRASH_KIOSK_ID) as central:
            documents = {d["type"]: d["id"] for d in central.resident("ready")["documents"]}

            def worker(share: list[tuple[int, list[dict]]]) -> tuple[Counter, int, int]:
                totals: Counter = Counter()
                killed = done = 0
                server = harness.ForkServer()
                config = central.client_config()
                client = CentralClient(CentralSection(**config), harness.CRASH_KIOSK_ID, backoff=Backoff(0.001, 0.002))
                config = json.loads(json.dumps(config, default=str))
                try:
                    for run_number, rounds in share:
                        state_dir, out_dir = root / f"run{run_number}" / "state", root / f"run{run_number}" / "out"
                        for plan in [*rounds, {}]:
                            code = server.round(state_dir, out_dir, config, documents, plan)
                            killed += code == -9
                            if code != -9:
                                break
                        try:
                            totals += harness.check_run(state_dir, out_dir, central, client, documents,
                                                        f"run {run_number} {rounds}")
                        except AssertionError as error:
                            problems[_classify(error)] += 1
                            if len(examples) < 5:
                                examples.append(str(error)[:300])
                        done += 1
                finally:
                    client.close()
                    server.close()
                return totals, killed, done

            with ThreadPoolExecutor(harness.WORKERS) as pool:
                results = list(pool.map(worker, [all_runs[i::harness.WORKERS] for i in range(harness.WORKERS)]))
    outcomes = sum((r[0] for r in results), Counter())
    detail = {"runs": sum(r[2] for r in results), "kills": sum(r[1] for r in results), "seed": seed,
              "job_outcomes": dict(outcomes), "other_failures": problems["other"] + problems["duplicate_event"],
              "examples": examples}
    return [Figure("crash matrix: documents printed twice", float(problems["duplicate"]), "", 0.0, detail),
            Figure("crash matrix: lost events", float(problems["lost"]), "", 0.0, detail)]
