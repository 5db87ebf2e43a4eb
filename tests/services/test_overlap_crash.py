"""A crash while a later document is fetched during a print leaves the journal exact.

The kiosk dies (SIGKILL) when the second A4 document's fetch begins while the first is on the printer.
After the restart, the first job, which may be on paper, is UNCERTAIN and never printed again by itself;
the second, claimed but never sent, is FAILED ``interrupted``; reporting both releases the second
document at the central service, which then prints once, and keeps the first for a technician.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from central.testing import clone_world
from kiosk.central_client import CentralClient
from kiosk.effects import document_item
from kiosk.flow import Media
from printjobs.backoff import Backoff
from printjobs.journal import JobState
from printjobs.store import PrintStore, store_dir
from tests.printjobs.central_sender import CentralSender
from tests.services.conftest import KIOSK_ID, SLOW_PRINTERS

CHILD = Path(__file__).with_name("overlap_child.py")


def test_a_crash_while_the_next_document_is_fetched_during_a_print_leaves_the_journal_exact(world, tmp_path: Path):
    central = clone_world(world, tmp_path / "central")
    try:
        section = {k: str(v) if isinstance(v, Path) else v for k, v in central.client_config().items()}
        for keys in ("signing_keys", "operator_keys"):
            section[keys] = [{k: str(v) for k, v in key.items()} for key in section.get(keys, [])]
        resident = central.resident("ready")
        request = {"tmp": str(tmp_path / "kiosk"), "central": section, "nik": resident["nik"],
                   "pin": resident["pin"], "devices": {**SLOW_PRINTERS, "barcode_readers": []}}
        child = subprocess.run([sys.executable, str(CHILD), json.dumps(request)], capture_output=True, text=True,
                               timeout=120)
        assert child.returncode == -9 and "dying" in child.stdout, child.stderr[-2000:]

        client = CentralClient(_section(section), KIOSK_ID, backoff=Backoff(0.01, 0.05))
        store = PrintStore(store_dir(tmp_path / "kiosk" / "state"), sender=CentralSender(client))
        try:
            recovery = store.recover()
            jobs = sorted(store.journal.jobs(), key=lambda j: j.created_at)
            assert [(j.state, j.cause) for j in jobs] == [(JobState.UNCERTAIN, jobs[0].cause),
                                                         (JobState.FAILED, "interrupted")]
            assert recovery.uncertain == [jobs[0].job_id]
            store.outbox.drain(timeout_s=20, poll_s=0.01)
            assert store.outbox.pending_count() == 0

            session = client.login(resident["nik"], resident["pin"])
            a4 = {d.id: d for d in map(document_item, session.documents) if d.media is Media.A4}
            first, second = jobs[0].document_id, jobs[1].document_id
            assert a4[second].status.value == "ready"  # released: the resident can print it
            assert a4[first].status.value != "ready"  # may be on paper: a technician answers first
            client.fetch_document(session, second, "after-restart-1")  # claimed again, once
        finally:
            store.close()
            client.close()
    finally:
        central.stop()


def _section(data: dict):
    from kiosk.config import CentralSection

    return CentralSection(**data)
