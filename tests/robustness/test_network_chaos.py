"""Network chaos between the kiosk and the reference server: latency, stalls, resets, truncated streams and
refused connections through :class:`~tests.robustness.netproxy.NetProxy`, seeded.

Whatever happens, the resident sees a clear message (a login ends on the documents or with a message key; every
document ends DONE or FAILED with a message key), nothing reaches a printer that is not byte for byte the signed
document, and once the network is back the outbox delivers exactly one event per print job.
"""

from __future__ import annotations

import hashlib
import io
import random
import sqlite3
import zipfile
from pathlib import Path

import pytest

from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk.flow import CancelPressed, Confirmed, NikSubmitted, Phase, PinSubmitted, PrintPressed, Screen, StartPressed
from printjobs.journal import JobState
from tests.robustness.netproxy import PASS, Fault, NetProxy
from tests.robustness.support import HeadlessKiosk, cached_rendering, kiosk_config, new_resident

SEED = 20261124
LOGIN_MESSAGES = {"central.unreachable", "central.timeout", "central.protocol"}


def chaos_plan(rng: random.Random):
    def plan() -> Fault:
        pick = rng.random()
        if pick < 0.35:
            return PASS
        if pick < 0.5:
            return Fault(latency_s=rng.uniform(0.05, 0.4))
        if pick < 0.6:
            return Fault(stall_s=1.5)  # longer than the read timeout
        if pick < 0.75:
            return Fault(reset_after=rng.randint(0, 4000))
        if pick < 0.9:
            return Fault(truncate_after=rng.randint(0, 4000))
        return Fault(refuse=True)

    return plan


def server_documents(central: RunningCentral) -> dict[str, bytes]:
    with sqlite3.connect(central.data_dir / DB_FILE) as db:
        return {row[0]: row[1] for row in db.execute("SELECT id, content FROM documents WHERE content IS NOT NULL")}


def server_events(central: RunningCentral) -> dict[str, list[str]]:
    with sqlite3.connect(central.data_dir / DB_FILE) as db:
        rows = db.execute("SELECT idem_key, outcome FROM print_events").fetchall()
    events: dict[str, list[str]] = {}
    for key, outcome in rows:
        events.setdefault(key, []).append(outcome)
    return events


@pytest.mark.heavy
@pytest.mark.timeout(240)
def test_chaos_gives_clear_messages_prints_only_signed_bytes_and_loses_no_event(central: RunningCentral,
                                                                                 tmp_path: Path):
    rng = random.Random(SEED)
    with cached_rendering():
        residents = [new_resident(central) for _ in range(6)]
    proxy = NetProxy(("127.0.0.1", central.handle.port), chaos_plan(rng))
    kiosk = HeadlessKiosk(kiosk_config(tmp_path, central.client_config(url=proxy.url), read_timeout_s=1,
                                       connect_timeout_s=1, retries=1))
    outcomes: list[str] = []
    try:
        for resident in residents:
            kiosk.dispatch(StartPressed)
            kiosk.dispatch(NikSubmitted, text=resident.nik)
            for _attempt in range(4):
                kiosk.dispatch(PinSubmitted, pin=resident.pin)
                kiosk.pump(lambda s: not s.busy, 30, "the login answer")
                if kiosk.state.screen is Screen.DOCUMENTS:
                    break
                assert kiosk.state.message is not None and kiosk.state.message.key in LOGIN_MESSAGES
                outcomes.append(kiosk.state.message.key)
            if kiosk.state.screen is not Screen.DOCUMENTS:
                kiosk.dispatch(CancelPressed)
                continue
            if rng.random() < 0.5:
                proxy.reset_all()
            kiosk.dispatch(PrintPressed)
            kiosk.dispatch(Confirmed)
            kiosk.pump(lambda s: s.screen is Screen.DONE, 90, "the done screen")
            for progress in kiosk.state.progress:
                assert progress.phase in (Phase.DONE, Phase.FAILED)
                if progress.phase is Phase.FAILED:
                    assert progress.error and "." in progress.error, progress
                outcomes.append(progress.error or "printed")
            kiosk.dispatch(CancelPressed)

        # The network is back: every event goes out, exactly once.
        proxy.plan = lambda: PASS
        store = kiosk.runtime.store
        assert store.outbox.drain(timeout_s=60, poll_s=0.05), store.outbox.backlog()
        jobs = store.journal.jobs()
        assert jobs, "chaos left no print job at all: the test proved nothing"
        events = server_events(central)
        documents = server_documents(central)
        for job in jobs:
            history = [target for _, target, _ in store.journal.history(job.job_id)]
            expected = ("printed" if "PRINTED" in history else "uncertain" if job.state is JobState.UNCERTAIN
                        else "failed")
            assert events.get(job.job_id) == [expected], (job.job_id, history, events.get(job.job_id))
            if "SENDING" in history:
                assert history.index("FETCHED") < history.index("SENDING")
        # What came out of the printers is exactly what the service signed (a verified document).
        by_job = {job.job_id: job for job in jobs}
        printed = [p for name in ("document_printer", "card_printer") for p in (tmp_path / "printed" / name).glob("*")
                   if p.is_file() and not p.name.startswith(".")]
        assert printed, "nothing printed under chaos: the test proved nothing"
        for path in printed:
            job = by_job[path.name[:36]]
            assert "FETCHED" in [t for _, t, _ in store.journal.history(job.job_id)]
            signed = documents[job.document_id]
            if job.kind == "a4":
                assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(signed).digest()
            else:
                side = "front.png" if path.name.endswith("-front.png") else "back.png"
                assert path.read_bytes() == zipfile.ZipFile(io.BytesIO(signed)).read(side)
    finally:
        kiosk.stop()
        proxy.close()
    # The seed must actually have produced trouble and success both.
    assert "printed" in outcomes and set(outcomes) - {"printed"}, outcomes
