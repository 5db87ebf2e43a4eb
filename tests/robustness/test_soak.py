"""A soak of 200 sessions through the runtime (flow, EffectRunner, print store, simulated devices at zero
mechanical time, the reference server on loopback), no UI: memory, file descriptors and threads stay flat."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.testing import RunningCentral
from kiosk.flow import Phase
from tests.robustness.support import (
    HeadlessKiosk,
    cached_rendering,
    kiosk_config,
    new_resident,
    open_fds,
    rss_bytes,
    thread_count,
)

SESSIONS = 200
WARMUP = 20
MB = 1024 * 1024


@pytest.mark.heavy
@pytest.mark.timeout(300)
def test_200_sessions_do_not_grow_memory_fds_or_threads(central: RunningCentral, tmp_path: Path):
    with cached_rendering():  # one A4 document a session keeps the soak short; the bench prints three
        residents = [new_resident(central, ("kk",)) for _ in range(SESSIONS)]
    kiosk = HeadlessKiosk(kiosk_config(tmp_path, central.client_config()))
    try:
        for resident in residents[:WARMUP]:
            kiosk.session(resident)
        rss, fds, threads = rss_bytes(), open_fds(), thread_count()
        for resident in residents[WARMUP:]:
            timing = kiosk.session(resident)
            assert timing.phases == (Phase.DONE,)
        grown = (rss_bytes() - rss) / MB, open_fds() - fds, thread_count() - threads
    finally:
        kiosk.stop()
    # The reference server shares this process, so the memory bound covers both sides.
    assert grown[0] < 8, f"RSS grew {grown[0]:.1f} MB over {SESSIONS - WARMUP} sessions"
    assert grown[1] <= 2, f"{grown[1]} more file descriptors"
    assert grown[2] <= 1, f"{grown[2]} more threads"
    assert len(list((tmp_path / "printed" / "document_printer").glob("*.pdf"))) == SESSIONS
