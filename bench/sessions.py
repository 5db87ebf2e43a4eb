"""Software time per session, print tap to first byte, and memory growth over many sessions.

The reference server runs in this process on loopback; the kiosk runs in a child process
(:mod:`bench.kiosk_child`) with simulated devices at zero mechanical time, so its RSS is its own.
A session: start, NIK, PIN (login and the document list), fetch + verify + print 3 documents (2 A4, 1 card),
the print events reported (outbox empty), logout.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import MB, Figure, percentile, residents, run_child
from central.testing import start_central
from tests.robustness.support import kiosk_config_data


def run(sessions: int = 100, soak: int = 500, warmup: int = 20) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        try:
            figures = []
            # Timing: fresh kiosk, `sessions` sessions, the first few warm the caches.
            timed = run_child("bench.kiosk_child", {
                "root": str(root / "k1"), "config": kiosk_config_data(root / "k1", central.client_config()),
                "residents": residents(central, sessions + 5), "warmup": 5}, timeout=600)
            totals = [t * 1000 for t in timed["totals"][5:]]
            first = [t * 1000 for t in timed["first_bytes"][5:]]
            detail = {"sessions": len(totals), "failed_documents": timed["failed_documents"],
                      "p50_ms": round(percentile(totals, 50), 1), "max_ms": round(max(totals), 1)}
            figures.append(Figure("session software time p50", percentile(totals, 50), "ms", None, detail))
            figures.append(Figure("session software time p95", percentile(totals, 95), "ms", 1000.0, detail))
            figures.append(Figure("print tap to first byte p95", percentile(first, 95), "ms", 300.0,
                                  {"p50_ms": round(percentile(first, 50), 1), "max_ms": round(max(first), 1)}))
            # Memory: another fresh kiosk, `soak` sessions after `warmup` sessions of warm-up.
            soaked = run_child("bench.kiosk_child", {
                "root": str(root / "k2"), "config": kiosk_config_data(root / "k2", central.client_config()),
                "residents": residents(central, soak + warmup), "warmup": warmup}, timeout=1200)
            growth = (soaked["rss_end"] - soaked["rss_after_warmup"]) / MB
            figures.append(Figure(f"RSS growth over {soak} sessions (no UI)", growth, "MB", 5.0, {
                "rss_after_start_mb": round(soaked["rss_start"] / MB, 1),
                "rss_after_warmup_mb": round(soaked["rss_after_warmup"] / MB, 1),
                "rss_end_mb": round(soaked["rss_end"] / MB, 1),
                "samples_mb": [[n, round(b / MB, 1)] for n, b in soaked["rss_samples"]],
                "fds": [soaked["fds_after_warmup"], soaked["fds_end"]],
                "threads": [soaked["threads_after_warmup"], soaked["threads_end"]],
                "failed_documents": soaked["failed_documents"]}))
            return figures
        finally:
            central.stop()
