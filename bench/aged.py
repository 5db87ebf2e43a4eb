"""A kiosk three years old: start, technician commands, the USB export and disk use with ~300,000 jobs.

The state directory is written straight into the journal's own schema (``tests/printjobs/aged_journal.py``):
300 jobs a day for 1095 days, 40% cards, failures, spoiled cards, uncertain jobs a technician answered,
reloads, a few jobs still uncertain and a few events undelivered; every audit entry signed and chained. Its
past months are verified once (the full verification, timed), as the kiosk's upkeep would have done.

Figures: start to READY (the production start path, as ``coldstart``) with that journal against an empty
one, starts interleaved, with the disk cache warm and after a power cut (the page cache dropped before each
start: root only); the wall time of ``adm-kiosk journal``, ``diagnose``, ``audit verify`` and
``audit report`` (each a new process, Python start included); the memory the USB export adds to the
process that runs it; the journal's size for jobs after pruning to the 90-day retention, against the same
journal unpruned; and the longest write lock one pruning batch held.
"""

from __future__ import annotations

import io
import math
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.coldstart import _one_start
from bench.common import MB, ROOT, Figure, compile_bytecode, load_average, run_child
from central.testing import start_central
from printjobs.db import full_integrity_check
from printjobs.retention import BATCH_JOBS
from printjobs.store import PrintStore, store_dir
from tests.printjobs.aged_journal import build_aged_journal
from tests.robustness.support import kiosk_config_data

RETENTION_DAYS = 90
DROP_CACHES = "/proc/sys/vm/drop_caches"
#: Batches of the kiosk's own size timed for the longest-lock figure before the bench prunes the rest faster.
LOCK_BATCHES = 200
#: The budget for commands a technician types (DESIGN.md: technician commands under 1 s).
COMMAND_BUDGET_S = 1.0


def _config(root: Path, central_section: dict) -> tuple[Path, dict]:
    data = kiosk_config_data(root, central_section)
    data["storage"]["retention_days"] = RETENTION_DAYS
    data["technician"] = {"export_dir": str(root / "usb")}
    (root / "usb").mkdir(parents=True)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, data


def _command(*argv: str, runs: int = 3) -> tuple[float, float]:
    """Median wall time of ``adm-kiosk ARGV`` in a new process, and the median CPU time (user + system) it took:
    on a shared machine the wall time follows the load, the CPU time much less."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        times.append(time.monotonic() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"adm-kiosk {' '.join(argv)} exited {proc.returncode}: {proc.stderr[-1500:]}")
    return sorted(times)[len(times) // 2], sorted(cpu)[len(cpu) // 2]


def _in_process(state: Path, month: str) -> dict[str, float]:
    """What the commands do with the journal, timed in this process: open, then the command's reads."""
    def timed(work) -> float:
        started = time.monotonic()
        store = PrintStore(state)
        try:
            work(store)
        finally:
            store.close()
        return time.monotonic() - started

    return {
        "journal": timed(lambda s: s.summary(limit=50)),
        "audit verify": timed(lambda s: s.audit.verify()),
        "audit report": timed(lambda s: (s.audit.report_csv(month, io.StringIO()), s.audit.summary(month))),
    }


def _job_bytes(path: Path) -> tuple[float, float]:
    """Bytes in pages of everything but the audit log (tables and their indexes), and of the audit log."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
    finally:
        conn.close()
    audit = sum(size for name, size in rows if owner.get(name) == "audit")
    return sum(size for _, size in rows) - audit, audit


def can_drop_caches() -> bool:
    """Whether this process may empty the kernel's page cache (root, and /proc/sys writable)."""
    return os.geteuid() == 0 and os.access(DROP_CACHES, os.W_OK)


def drop_caches() -> None:
    """A power cut, as the disk cache sees it: written data synced, then every cached page dropped."""
    os.sync()
    Path(DROP_CACHES).write_text("3\n")


def run(jobs: int = 300_000, days: float = 1095, starts: int = 9, cold_starts: int = 5) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-aged-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        try:
            empty_config, _ = _config(root / "empty", central.client_config())
            aged_config, aged_data = _config(root / "aged", central.client_config())
            state = store_dir(root / "aged" / "state")
            started = time.monotonic()
            built = build_aged_journal(state, jobs=jobs, days=days, end=time.time())
            build_s = time.monotonic() - started
            journal = state / "journal.sqlite"

            store = PrintStore(state)
            started = time.monotonic()
            full = store.audit.verify(full=True)  # the upkeep's work over the years: past months verified
            full_verify_s = time.monotonic() - started
            store.close()
            if not full.ok:
                raise RuntimeError(f"the aged audit log does not verify: {full.problems[:3]}")
            started = time.monotonic()
            full_integrity_check(journal)
            integrity_s = time.monotonic() - started  # what every open paid before the bounded check
            started = time.monotonic()
            PrintStore(state).close()
            open_s = time.monotonic() - started

            compile_bytecode()
            times: dict[str, list[float]] = {"empty": [], "aged": []}
            for _ in range(starts):
                for name, config in (("empty", empty_config), ("aged", aged_config)):
                    elapsed, _rss = _one_start(config, root / "notify.sock", 120.0)
                    times[name].append(elapsed)
            cold: dict[str, list[float]] = {"empty": [], "aged": []}
            cold_load = load_average()
            for _ in range(cold_starts if can_drop_caches() else 0):
                for name, config in (("empty", empty_config), ("aged", aged_config)):
                    drop_caches()
                    elapsed, _rss = _one_start(config, root / "notify.sock", 120.0)
                    cold[name].append(elapsed)

            month = time.strftime("%Y-%m", time.gmtime())
            config = ("--config", str(aged_config))
            # The floor: a new process that loads and checks the same config, and touches no journal.
            compile_bytecode()
            floor, floor_cpu = _command("check-config", "--demo", str(aged_config))
            load = load_average()
            commands = {
                "journal": _command("journal", "--json", *config),
                "diagnose": _command("diagnose", "--json", "--no-central", *config),
                "audit verify": _command("audit", "verify", *config),
                "audit report": _command("audit", "report", "--month", month, "--csv",
                                         "--output", str(root / "report.csv"), *config),
            }
            work = _in_process(state, month)
            export = run_child("bench.export_child", {"root": str(root / "aged"), "config": aged_data},
                               timeout=600)

            jobs_before, audit_before = _job_bytes(journal)
            file_before = journal.stat().st_size
            store = PrintStore(state, retention_days=RETENTION_DAYS)
            load_prune = load_average()
            started = time.monotonic()
            # The kiosk's own loop and batch size decide the lock: timed over LOCK_BATCHES batches. Three years
            # of backlog at once (a kiosk's first night after the upgrade) take it a long while, in the
            # background; the bench prunes the rest in larger batches.
            timed = store.retention.prune(pause_s=0, max_batches=LOCK_BATCHES)
            longest, batches, pruned_total = timed.longest_batch_s, timed.batches, timed.jobs
            rate = pruned_total / (time.monotonic() - started)
            if timed.batches >= LOCK_BATCHES:
                store.retention.batch_jobs = 5000
                rest = store.retention.prune(pause_s=0)
                batches, pruned_total = batches + rest.batches, pruned_total + rest.jobs
            store.db.release_free_pages(pause_s=0)
            prune_s = time.monotonic() - started
            store.close()
            jobs_after, audit_after = _job_bytes(journal)
            file_after = journal.stat().st_size
        finally:
            central.stop()

    median = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    cold_median = {name: sorted(t)[len(t) // 2] if t else math.nan for name, t in cold.items()}
    share = RETENTION_DAYS / days
    figures = [
        Figure("start to READY, 3-year journal / empty journal", median["aged"] / median["empty"], "x", 1.10,
               {"jobs": built.jobs, "audit_entries": built.audit_entries,
                "empty_starts_s": [round(t, 3) for t in times["empty"]],
                "aged_starts_s": [round(t, 3) for t in times["aged"]],
                "store_open_s": round(open_s, 3), "full_integrity_check_s": round(integrity_s, 3),
                "build_s": round(build_s, 1)}),
        Figure("start to READY after a power cut (cold cache), 3-year journal / empty journal",
               cold_median["aged"] / cold_median["empty"], "x", 1.10,
               {"how": "sync; echo 3 > /proc/sys/vm/drop_caches before each start (root only; NaN otherwise)",
                "empty_starts_s": [round(t, 3) for t in cold["empty"]],
                "aged_starts_s": [round(t, 3) for t in cold["aged"]], "load_1m": cold_load,
                "before": "2.5 s empty, 10.2 s with 300,000 jobs (issue #20's measurement)"}),
    ]
    for name, (seconds, cpu_s) in commands.items():
        figures.append(Figure(f"adm-kiosk {name}, 3-year journal", seconds, "s", COMMAND_BUDGET_S,
                              {"runs": 3, "statistic": "median", "includes": "a new Python process, from bytecode",
                               "cpu_s": round(cpu_s, 3), "load_1m": load,
                               "check_config_floor_s": round(floor, 3), "check_config_floor_cpu_s": round(floor_cpu, 3),
                               "journal_work_in_process_s": round(work[name], 3) if name in work else None}))
    figures += [
        Figure("audit verify --full, 3-year audit log", full_verify_s, "s", None,
               {"entries": full.entries, "note": "every entry from the first; the kiosk's upkeep and "
                "'audit verify' check only what came after the last verified month"}),
        Figure("USB export: memory added to the process, 3-year journal", (export["peak"] - export["rss_before"]) / MB,
               "MB", 20.0, {"rss_before_mb": round(export["rss_before"] / MB, 1),
                            "rss_after_mb": round(export["rss_after"] / MB, 1), "seconds": round(export["seconds"], 3),
                            "files": export["files"]}),
        Figure("jobs, history and events after 3 years, 90-day retention", jobs_after / MB, "MB",
               round(1.25 * share * jobs_before / MB, 1),
               {"unpruned_mb": round(jobs_before / MB, 1), "audit_log_mb": round(audit_after / MB, 1),
                "audit_log_unpruned_mb": round(audit_before / MB, 1), "file_mb_before": round(file_before / MB, 1),
                "file_mb_after": round(file_after / MB, 1), "budget": "1.25 x the window's share of the unpruned",
                "prune_s": round(prune_s, 1), "batches": batches}),
        Figure("pruning: longest write lock of one batch", longest * 1000, "ms", 100.0,
               {"batch_jobs": BATCH_JOBS, "batches_timed": min(batches, LOCK_BATCHES), "load_1m": load_prune,
                "jobs_per_s_at_that_size": round(rate, 1) if batches >= LOCK_BATCHES else None,
                "before": "2424 ms with 50 jobs a batch: the delete of the jobs walked every REPORTED job"}),
    ]
    return figures
