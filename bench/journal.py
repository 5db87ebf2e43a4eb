"""Journal transition commit time: one state change committed to SQLite (WAL, synchronous=FULL) on disk."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import Figure, percentile
from printjobs.journal import JobState
from printjobs.store import PrintStore

NIK = "3273021508900001"  # invented


def run(jobs: int = 300) -> list[Figure]:
    """Time FETCHED and SENDING (single transitions) and PRINTED (the compound move) over ``jobs`` jobs."""
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
        store = PrintStore(Path(tmp) / "state")
        single: list[float] = []
        compound: list[float] = []
        try:
            for _ in range(jobs):
                job = store.create_job("DOC-BENCH", "kk", "a4", "document_printer", NIK)
                for target in (JobState.FETCHED, JobState.SENDING):
                    started = time.perf_counter()
                    store.journal.transition(job.job_id, target)
                    single.append(time.perf_counter() - started)
                started = time.perf_counter()
                store.printed(job.job_id, {"paper": 1}, {"pages": 1})
                compound.append(time.perf_counter() - started)
        finally:
            store.close()
    ms = [s * 1000 for s in single]
    detail = {"samples": len(ms), "printed_compound_p50_ms": round(percentile([c * 1000 for c in compound], 50), 3),
              "printed_compound_p99_ms": round(percentile([c * 1000 for c in compound], 99), 3)}
    return [Figure("journal transition commit p50", percentile(ms, 50), "ms", 5.0, detail),
            Figure("journal transition commit p99", percentile(ms, 99), "ms", 5.0, detail)]
