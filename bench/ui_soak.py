"""Memory of the kiosk with its UI over many sessions.

:mod:`bench.sessions` soaks the kiosk without Kivy; this runs the real app headless (:mod:`bench.ui_child`),
so the renderer, the label textures and the screens are in the figure. The reference server is on loopback
and the simulated devices take no mechanical time. The growth is measured from the end of the warm-up
sessions to the last session.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import MB, Figure, percentile, residents, run_child
from central.testing import start_central
from tests.robustness.support import kiosk_config_data


def run(sessions: int = 500, warmup: int = 10) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-ui-soak-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        try:
            config = kiosk_config_data(root / "kiosk", central.client_config())
            answer = run_child("bench.ui_child", {"root": str(root / "kiosk"), "config": config,
                                                  "residents": residents(central, warmup + sessions),
                                                  "settle_s": 0.3, "memory_only": True},
                               timeout=60 * 30, headless=True)
        finally:
            central.stop()
    rss = [s["rss_end"] / MB for s in answer["sessions"]]
    failed = sum(phase != "done" for s in answer["sessions"] for phase in s["phases"])
    return [Figure(f"RSS growth of the kiosk with its UI over {sessions} sessions", rss[-1] - rss[warmup - 1], "MB",
                   5.0, {"after_start_mb": round(answer["rss_start"] / MB, 1),
                         "after_warmup_mb": round(rss[warmup - 1], 1), "end_mb": round(rss[-1], 1),
                         "max_mb": round(max(rss), 1),
                         "every_10th_session_mb": [round(r, 1) for r in rss[::10]],
                         "session_seconds_p50": percentile([s["seconds"] for s in answer["sessions"]], 50),
                         "failed_documents": failed})]
