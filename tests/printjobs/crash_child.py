"""The child side of the crash harness: a fork server that runs the print pipeline in children it can SIGKILL.

Started once per test as ``python crash_child.py``; it imports everything and renders the sample documents
once, then, for each JSON line on stdin (a *round*), forks a child that restarts the kiosk's print side
on the given state directory (open, integrity check, recover), prints whatever documents may still be
printed, and drains the outbox. The child dies by SIGKILL when the round's plan says so:

- ``kill_at``: right after the N-th committed journal transition (recovery's moves count too);
- ``kill_after_output``: right after the N-th printer submission returned, before PRINTED is committed;
- ``kill_after_send``: right after the N-th event reached the server, before it is marked delivered;
- ``kill_after_s``: this server kills the child after that many seconds, wherever it is.

Forking from one warm process keeps a round at a few milliseconds instead of a Python start-up each.
One JSON line per round goes back on stdout: ``{"exit": code, "signal": signo}``.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path

from printjobs.backoff import Backoff

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.central_client import CentralClient  # noqa: E402
from kiosk.config import CentralSection  # noqa: E402
from printjobs.journal import JobState  # noqa: E402
from printjobs.pipeline import FetchedDocument, PrintPipeline  # noqa: E402
from printjobs.store import PrintStore  # noqa: E402
from tests.factories import NIK, make_card_png, make_pdf, simulated_printers  # noqa: E402
from tests.printjobs.central_sender import CRASH_KIOSK_ID, CentralSender  # noqa: E402

#: The documents every run prints: (document type, kind, printer); ids come with each round (seeded ones).
DOCUMENTS = [
    ("kk", "a4", "document_printer"),
    ("akta_kelahiran", "a4", "document_printer"),
    ("ktp_el", "card", "card_printer"),
]
CARD = make_card_png()
CONTENT = {"kk": [make_pdf(pages=2)], "akta_kelahiran": [make_pdf(pages=1)], "ktp_el": [CARD, CARD]}


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def may_print(store: PrintStore, document_id: str) -> bool:
    """A document may be printed unless one of its jobs ever reached SENDING (then it may be in someone's hands)."""
    for job in store.journal.jobs():
        if job.document_id == document_id:
            if any(target == JobState.SENDING for _, target, _ in store.journal.history(job.job_id)):
                return False
    return True


def round_(state_dir: Path, out_dir: Path, central: dict, document_ids: dict[str, str], plan: dict) -> None:
    """One kiosk life: restart, recover, print what may be printed, report to the reference server."""
    transitions = itertools.count(1)
    submissions = itertools.count(1)
    sends = itertools.count(1)

    class Sender(CentralSender):
        def send(self, event) -> None:  # type: ignore[no-untyped-def]
            super().send(event)
            if next(sends) == plan.get("kill_after_send"):
                die()

    client = CentralClient(CentralSection(**central), CRASH_KIOSK_ID, backoff=Backoff(0.001, 0.002))
    store = PrintStore(state_dir, sender=Sender(client), outbox_backoff=Backoff(0.001, 0.002, jitter=0.5))
    if plan.get("kill_at"):
        store.journal.add_listener(lambda job, previous: next(transitions) == plan["kill_at"] and die())
    store.recover()
    printers = simulated_printers(out_dir)
    for printer in printers.values():
        original = printer.submit

        def submit(job, progress=None, timeout=None, _original=original):  # type: ignore[no-untyped-def]
            result = _original(job, progress, timeout)
            if next(submissions) == plan.get("kill_after_output"):
                die()
            return result

        printer.submit = submit  # type: ignore[method-assign]
    pipeline = PrintPipeline(store, printers, submit_timeout_s=10)
    for document_type, kind, printer_name in DOCUMENTS:
        document_id = document_ids[document_type]
        if may_print(store, document_id):
            pipeline.run(document_id=document_id, document_type=document_type, kind=kind,  # type: ignore[arg-type]
                         printer=printer_name, nik=NIK,
                         fetch=lambda job_id, t=document_type: FetchedDocument(list(CONTENT[t])))
    store.outbox.drain(timeout_s=10, poll_s=0.002)
    store.close()
    client.close()


def serve() -> None:
    out = sys.stdout
    sys.stdout = io.StringIO()  # nothing the libraries print may corrupt the protocol
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                round_(Path(request["state_dir"]), Path(request["out_dir"]), request["central"],
                       request["documents"], request["plan"])
            except BaseException as exc:  # report any failure of the child to the parent as exit code 3
                print(f"child failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                code = 3
            os._exit(code)
        delay = request["plan"].get("kill_after_s")
        status = None
        if delay is not None:
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                reaped, reaped_status = os.waitpid(pid, os.WNOHANG)
                if reaped:
                    status = reaped_status
                    break
                time.sleep(0.0005)
            else:
                os.kill(pid, signal.SIGKILL)  # our own child, not yet reaped: its pid cannot have been reused
        if status is None:
            _, status = os.waitpid(pid, 0)
        answer = {"exit": os.waitstatus_to_exitcode(status)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
