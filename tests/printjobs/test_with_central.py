"""The print side against the reference central service over real mutual TLS.

Documents are claimed and fetched by the kiosk's own client; print events go out through the outbox while
the service is unreachable for the whole run, and arrive exactly once per job after a restart, when it is
reachable again. The adapters in ``central_sender.py`` are what the kiosk wires in.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from central.testing import clone_world
from kiosk import central_client as kc
from kiosk.config import CentralSection
from printjobs.backoff import Backoff
from printjobs.errors import UnknownJob
from printjobs.journal import JobState
from printjobs.pipeline import PrintPipeline
from printjobs.store import PrintStore
from tests.factories import seeded, simulated_printers
from tests.printjobs.central_sender import CentralSender, fetcher
from tests.printjobs.receiver import free_port

KIOSK_ID = "ADM-TEST-01"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world")
    seeded(path, kiosk_id=KIOSK_ID)  # the client certificate names the kiosk
    return path


def test_printed_documents_reach_the_service_once_after_an_outage(world: Path, tmp_path: Path):
    running = clone_world(world, tmp_path / "central")
    client = kc.CentralClient(CentralSection(**running.client_config()), KIOSK_ID, backoff=Backoff(0.01, 0.05))
    down = kc.CentralClient(CentralSection(**running.client_config(url=f"https://127.0.0.1:{free_port()}",
                                                                   connect_timeout_s=1)),
                            KIOSK_ID, backoff=Backoff(0.01, 0.05))
    try:
        resident = running.resident("ready")
        session = client.login(resident["nik"], resident["pin"])
        documents = [d for d in session.documents if d.status == "ready"]
        assert {d.media for d in documents} == {"a4", "card"}

        state = tmp_path / "state"
        store = PrintStore(state, sender=CentralSender(down), outbox_backoff=Backoff(0.01, 0.02, jitter=0.5))
        pipeline = PrintPipeline(store, simulated_printers(tmp_path), submit_timeout_s=10)
        jobs = {}
        for document in documents:
            outcome = pipeline.run(document_id=document.id, document_type=str(document.type), kind=document.media,
                                   printer="card_printer" if document.media == "card" else "document_printer",
                                   nik=resident["nik"], fetch=fetcher(client, session, document.id))
            assert outcome.job.state is JobState.PRINTED, outcome
            jobs[document.id] = outcome.job.job_id
        for _ in range(2):
            store.outbox.deliver_due(now=float("inf"))
        assert store.outbox.pending_count() == len(documents)
        assert all(running.handle.store.print_event_count(d) == 0 for d in jobs)
        store.close()

        # The kiosk restarts; the service is reachable again.
        store = PrintStore(state, sender=CentralSender(client))
        store.recover()
        assert store.outbox.drain(timeout_s=30)
        assert {store.journal.get(job).state for job in jobs.values()} == {JobState.REPORTED}
        assert {d: running.handle.store.print_event_count(d) for d in jobs} == {d: 1 for d in jobs}
        statuses = {d.id: d.status for d in client.documents(session)}
        assert all(statuses[d] == "printed" for d in jobs)
        for path in state.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert resident["nik"].encode() not in data and resident["name"].encode() not in data, path
        store.close()
    finally:
        client.close()
        down.close()
        running.stop()


def test_a_document_printed_before_the_retention_window_is_never_printed_again(world: Path, tmp_path: Path):
    """Pruning forgets the job; the central service's claim still refuses the document to every later job."""
    running = clone_world(world, tmp_path / "central")
    client = kc.CentralClient(CentralSection(**running.client_config()), KIOSK_ID, backoff=Backoff(0.01, 0.05))
    now = [time.time()]
    try:
        resident = running.resident("ready")
        session = client.login(resident["nik"], resident["pin"])
        documents = [d for d in session.documents if d.status == "ready"]
        store = PrintStore(tmp_path / "state", sender=CentralSender(client), clock=lambda: now[0],
                           retention_days=90)
        printers = simulated_printers(tmp_path)
        pipeline = PrintPipeline(store, printers, submit_timeout_s=10)

        def run(document: kc.DocumentSummary):
            return pipeline.run(document_id=document.id, document_type=str(document.type), kind=document.media,
                                printer="card_printer" if document.media == "card" else "document_printer",
                                nik=resident["nik"], fetch=fetcher(client, session, document.id))

        printed, uncertain = documents[0], documents[1]
        first = run(printed).job.job_id
        # The second one stopped mid-send: uncertain, and so it stays until a technician answers.
        job = store.create_job(uncertain.id, str(uncertain.type), uncertain.media, "card_printer"
                               if uncertain.media == "card" else "document_printer", resident["nik"])
        fetched = fetcher(client, session, uncertain.id)(job.job_id)
        store.fetched(job.job_id, fetched.parts)
        store.sending(job.job_id)
        store.uncertain(job.job_id, "interrupted-while-sending")
        assert store.outbox.drain(timeout_s=30)
        assert store.journal.get(first).state is JobState.REPORTED

        now[0] += 365 * 86400.0  # a year later, past the window
        assert store.retention.prune().jobs == 1
        with pytest.raises(UnknownJob):
            store.journal.get(first)
        assert store.journal.get(job.job_id).state is JobState.UNCERTAIN
        outputs = sorted(p.name for p in tmp_path.rglob("out-*/*"))

        for document in (printed, uncertain):
            with pytest.raises(kc.AlreadyPrinted):
                run(document)
        assert sorted(p.name for p in tmp_path.rglob("out-*/*")) == outputs  # not one more page or card
        assert {d.id: d.status for d in client.documents(session)}[printed.id] == "printed"
        store.close()
    finally:
        client.close()
        running.stop()
