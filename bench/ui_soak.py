"""Memory of the kiosk with its UI over many sessions.

:mod:`bench.sessions` soaks the kiosk without Kivy; this runs the real app headless (:mod:`bench.ui_child`),
so the renderer, the label textures and the screens are in the figure. The reference server is on loopback
and the simulated devices take no mechanical time. The growth is measured from the end of the warm-up
sessions to the last session.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.common import MB, Figure, run_child
from central.testing import start_central
from tests.robustness.support import cached_rendering, kiosk_config_data, new_resident


def run(sessions: int = 500, warmup: int = 10) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-ui-soak-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        try:
            with cached_rendering():
                residents = [[r.nik, r.pin] for r in (new_resident(central) for _ in range(warmup + sessions))]
            config = kiosk_config_data(root / "kiosk", central.client_config())
            env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
            answer = run_child("bench.ui_child", {"root": str(root / "kiosk"), "config": config,
                                                  "residents": residents, "settle_s": 0.3,
                                                  "memory_only": True},
                               timeout=60 * 30, env=env)
        finally:
            central.stop()
    rss = [s["rss_end"] / MB for s in answer["sessions"]]
    failed = sum(phase != "done" for s in answer["sessions"] for phase in s["phases"])
    return [Figure(f"RSS growth of the kiosk with its UI over {sessions} sessions", rss[-1] - rss[warmup - 1], "MB",
                   5.0, {"after_start_mb": round(answer["rss_start"] / MB, 1),
                         "after_warmup_mb": round(rss[warmup - 1], 1), "end_mb": round(rss[-1], 1),
                         "max_mb": round(max(rss), 1),
                         "every_10th_session_mb": [round(r, 1) for r in rss[::10]],
                         "session_seconds_p50": sorted(s["seconds"] for s in answer["sessions"])[len(rss) // 2],
                         "failed_documents": failed})]
