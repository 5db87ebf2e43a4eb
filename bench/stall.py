"""Longest main-thread stall during a session with a slow network (2 s round trip) and a busy printer.

The kiosk app runs headless in a child process (:mod:`bench.ui_child`); between it and the reference server
sits :class:`tests.robustness.netproxy.NetProxy`, delaying every chunk by 1 s each way. The simulated printers
take 1 s per A4 page and 4 s per card, so they are busy for most of the session.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import MB, Figure, percentile, residents, run_child
from central.testing import start_central
from tests.robustness.netproxy import Fault, NetProxy
from tests.robustness.support import kiosk_config_data

ONE_WAY_S = 1.0


def run(sessions: int = 2) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-stall-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        proxy = NetProxy(("127.0.0.1", central.handle.port), lambda: Fault(latency_s=ONE_WAY_S))
        try:
            people = residents(central, sessions)
            config = kiosk_config_data(root / "kiosk", central.client_config(url=proxy.url), seconds_per_page=1.0,
                                       seconds_per_card=4.0, connect_timeout_s=30, read_timeout_s=60)
            answer = run_child("bench.ui_child", {"root": str(root / "kiosk"), "config": config,
                                                  "residents": people}, timeout=900, headless=True)
        finally:
            proxy.close()
            central.stop()
    runs = answer["sessions"]
    every = [g for s in runs for g in s["gaps_ms"]]
    detail = {
        "round_trip_s": 2 * ONE_WAY_S, "sessions": len(runs),
        "session_seconds": [round(s["seconds"], 1) for s in runs],
        "phases": [s["phases"] for s in runs],
        "longest_gaps_ms_and_screen": [s["top"] for s in runs],
        "frame_gap_p50_ms": percentile(every, 50), "frame_gap_p99_ms": percentile(every, 99),
        "frames": len(every),
        "main_thread_during_stalls": answer.get("stall_stacks", []),
    }
    collector = {"longest_pause_in_sessions_ms": round(answer["longest_collection_s"] * 1000, 2),
                 "objects_kept_out_since_start": answer["frozen_objects"]}
    return [Figure("longest main-thread stall (slow network, busy printer)", max(every), "ms", 50.0, detail),
            # Rare (once the objects made since the last full pass are a quarter of the older ones), so two
            # sessions seldom see one: measured on purpose after them, a stall whenever it comes.
            Figure("a full pass of the garbage collector in the running kiosk", answer["full_collection_s"] * 1000,
                   "ms", 50.0, collector),
            Figure("RSS of the kiosk with its UI after these sessions", answer["rss_end"] / MB, "MB", 250.0,
                   {"after_start_mb": round(answer["rss_start"] / MB, 1),
                    "per_session_mb": [round(s["rss_end"] / MB, 1) for s in runs],
                    "renderer_libraries_mb": round(answer["renderer_libraries_rss"] / MB, 1),
                    "renderer": "Mesa llvmpipe (software); a kiosk's GPU driver differs"})]
