"""A kiosk that dies (SIGKILL) while it fetches a later document during a print: the child of
test_overlap_crash. Argument: a JSON object with the kiosk config's inputs and the resident to print for.

It logs in, prints the resident's documents through the kiosk's own EffectRunner (fetch ahead, one lane per
printer) and kills itself at the moment the second A4 document's fetch begins while the first one is on the
printer (its job in SENDING).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.effects import document_item  # noqa: E402
from kiosk.flow import Media, PrintDocuments  # noqa: E402
from kiosk.nik import parse_nik  # noqa: E402
from kiosk.runtime import KioskRuntime  # noqa: E402
from printjobs.journal import JobState  # noqa: E402
from tests.services.conftest import kiosk_config  # noqa: E402


def main(request: dict) -> None:
    tmp = Path(request["tmp"])
    central = SimpleNamespace(client_config=lambda: request["central"])  # the parent runs the service
    config = kiosk_config(tmp, central, "", devices=request["devices"])  # type: ignore[arg-type]
    runtime = KioskRuntime(config, lambda event: None, monitor_interval_s=60)
    session = runtime.central.login(request["nik"], request["pin"])
    documents = [document_item(d) for d in session.documents if d.status == "ready"]
    a4 = [d.id for d in documents if d.media is Media.A4]
    fetch = runtime.central.fetch_document

    def fetch_then_die(session, document_id, job_id, **kw):  # type: ignore[no-untyped-def]
        if document_id == a4[1]:
            deadline = time.monotonic() + 30
            while not any(j.state is JobState.SENDING for j in runtime.store.journal.jobs()):
                if time.monotonic() > deadline:
                    raise SystemExit("the first document never reached the printer")
                time.sleep(0.01)
            print("dying", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return fetch(session, document_id, job_id, **kw)

    runtime.central.fetch_document = fetch_then_die  # type: ignore[method-assign]
    runtime.effects._print(PrintDocuments(session=session, nik=parse_nik(request["nik"]),
                                          documents=tuple(d for d in documents if d.media is Media.A4)))
    raise SystemExit("still alive after printing")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
