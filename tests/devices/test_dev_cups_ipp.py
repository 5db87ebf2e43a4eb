"""The CUPS document printer against a real IPP printer: ippeveprinter behind the private cupsd.

A printer switched off (ippeveprinter killed) must show OFFLINE within 10 s, a document sent to it must fail
within 15 s, and it must be READY again once switched back on (issue #22). Measured times are printed
(``pytest -s``) for the record.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import OFFLINE_REPORT, DeviceOffline, DeviceState, DeviceTimeout, DocumentJob
from devices.cups_printer import MAX_WAITING_CALLS, CupsCardPrinter, CupsDocumentPrinter
from devices.testprint import make_test_page
from printjobs.journal import JobState
from printjobs.pipeline import FetchedDocument, PrintPipeline
from printjobs.store import PrintStore
from tests.devices import ippeve
from tests.devices.ippeve import IppEvePrinter
from tests.devices.waiting import seconds_until

pytestmark = [pytest.mark.cups, pytest.mark.skipif(not ippeve.available(), reason="needs cups-ipp-utils (./dev)")]
PDF = make_test_page("ADM-TEST-01", "document_printer")
_queues = itertools.count()


@pytest.fixture
def ippeveprinter(tmp_path: Path) -> Iterator[IppEvePrinter]:
    printer = IppEvePrinter(root=tmp_path / "ippeve").start()
    yield printer
    printer.stop()


@pytest.fixture
def a4(cupsd, ippeveprinter: IppEvePrinter) -> CupsDocumentPrinter:
    queue = f"IPP{next(_queues)}"
    ippeveprinter.add_queue(cupsd, queue)
    return CupsDocumentPrinter("document_printer", queue, server=cupsd.host, port=cupsd.port)


@pytest.mark.heavy  # ippeveprinter "prints" for 5-15 s
def test_ready_with_its_toner_and_a_pdf_arrives_in_its_spool(a4, ippeveprinter):
    status = a4.status()
    assert status.state is DeviceState.READY, status
    assert status.consumables.get("black-toner") == 75  # ippeveprinter's printer-supply, read from the printer
    result = a4.submit(DocumentJob("ipp-job-1", PDF, "KK"), timeout=60)
    assert result.pages == 1
    documents = ippeveprinter.documents()
    assert len(documents) == 1 and documents[0].read_bytes().startswith(b"%PDF")


def test_switched_off_it_is_offline_fast_refuses_fast_and_is_ready_again_when_back(a4, ippeveprinter):
    assert a4.status().state is DeviceState.READY
    ippeveprinter.kill()
    detected = seconds_until(lambda: a4.status().state is DeviceState.OFFLINE, 10)
    assert detected is not None, "still not OFFLINE 10 s after the printer was switched off"
    status = a4.status()
    assert OFFLINE_REPORT in status.reasons and "not answering" in status.message
    card = CupsCardPrinter("card_printer", a4.queue, server=a4.server, port=a4.port)  # the same code path
    assert card.status().state is DeviceState.OFFLINE

    start = time.monotonic()
    with pytest.raises(DeviceOffline) as failure:
        a4.submit(DocumentJob("ipp-job-2", PDF, "KK"), timeout=180)
    failed_after = time.monotonic() - start
    assert failed_after < 15 and failure.value.reason == OFFLINE_REPORT and not failure.value.may_have_printed

    ippeveprinter.start()
    back = seconds_until(lambda: a4.status().state is DeviceState.READY, 10)
    assert back is not None, f"not READY again after the printer came back: {a4.status()}"
    print(f"\nswitched off -> OFFLINE in {detected:.2f} s; submit failed in {failed_after:.2f} s; "
          f"back -> READY in {back:.2f} s")
    assert ippeveprinter.documents() == []  # the refused document never went anywhere


def test_a_printer_that_takes_connections_but_never_answers_is_offline_within_the_probe_time(cupsd):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts connections; nobody ever reads or answers
    try:
        queue = f"IPP{next(_queues)}"
        cupsd.add_raw_queue(queue, f"ipp://127.0.0.1:{silent.getsockname()[1]}/ipp/print")
        printer = CupsDocumentPrinter("document_printer", queue, server=cupsd.host, port=cupsd.port,
                                      probe_timeout_s=1.0)
        start = time.monotonic()
        status = printer.status()
        took = time.monotonic() - start
        assert status.state is DeviceState.OFFLINE and OFFLINE_REPORT in status.reasons
        assert took < 5
    finally:
        silent.close()


def test_a_hung_cups_server_leaves_a_capped_number_of_threads_waiting():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    try:
        printer = CupsDocumentPrinter("document_printer", "A4", server="127.0.0.1", port=silent.getsockname()[1],
                                      call_timeout_s=0.2)
        for _ in range(MAX_WAITING_CALLS + 4):
            status = printer.status()
            assert status.state is DeviceState.OFFLINE
        waiting = [t for t in threading.enumerate() if t.name.startswith("device-call:document_printer")]
        assert len(waiting) <= MAX_WAITING_CALLS
        start = time.monotonic()
        with pytest.raises(DeviceTimeout):
            printer._call("status", lambda c: None)
        assert time.monotonic() - start < 0.1  # refused at once, no new thread
    finally:
        silent.close()


@pytest.mark.heavy
def test_a_job_in_flight_when_the_printer_dies_is_uncertain_and_never_printed_twice(a4, ippeveprinter, tmp_path):
    store = PrintStore(tmp_path / "state")
    try:
        pipeline = PrintPipeline(store, {"document_printer": a4}, submit_timeout_s=120)
        outcome: dict = {}
        runner = threading.Thread(target=lambda: outcome.update(result=pipeline.run(
            document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik="3171010101010001",
            fetch=lambda job_id: FetchedDocument([PDF]))))
        runner.start()
        # The document reached the printer (it "prints" for 5-15 s after receiving it): now switch it off.
        assert seconds_until(lambda: ippeveprinter.documents(), 60, 0.1) is not None, "the document never arrived"
        ippeveprinter.kill()
        killed = time.monotonic()
        runner.join(60)
        ended_after = time.monotonic() - killed
        assert not runner.is_alive()
        job = outcome["result"].job
        assert job.state is JobState.UNCERTAIN, job
        assert ended_after < 15
        print(f"\nprinter died mid-job -> job UNCERTAIN after {ended_after:.2f} s")

        ippeveprinter.start()  # back on: CUPS must not send the job again
        assert seconds_until(lambda: a4.status().state is DeviceState.READY, 10) is not None
        time.sleep(5)
        assert len(ippeveprinter.documents()) == 1
        assert store.journal.get(job.job_id).state is JobState.UNCERTAIN  # a person decides, not a retry
    finally:
        store.close()


def test_diagnose_shows_a_switched_off_printer_offline_with_its_reason(cupsd, a4, ippeveprinter, tmp_path):
    import json
    import subprocess
    import sys

    import yaml

    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "kiosk" / "demo" / "config.yaml").read_text())
    data["devices"]["document_printer"] = {"driver": "cups", "queue": a4.queue, "server": cupsd.host,
                                           "port": cupsd.port}
    data["storage"]["state_dir"] = str(tmp_path / "state")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))

    def diagnose() -> dict:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "diagnose", "--config", str(config), "--json",
                               "--no-central"], capture_output=True, text=True, timeout=60, cwd=root)
        return next(d for d in json.loads(proc.stdout)["devices"] if d["name"] == "document_printer")

    before = diagnose()
    assert before["state"] == "READY" and before["consumables"].get("black-toner") == 75
    ippeveprinter.kill()
    after = diagnose()
    assert after["state"] == "OFFLINE" and after["reasons"] == ["offline-report"]
    assert "not answering" in after["message"]


def test_the_printers_toner_level_reaches_the_heartbeat_and_the_metrics(a4):
    from prometheus_client import generate_latest

    from kiosk.diagnostics import heartbeat_body, printer_supplies
    from kiosk.hardware import device_report
    from kiosk.metrics import KioskMetrics

    report = device_report(a4)
    assert printer_supplies(report) == {"black-toner": 75}
    assert heartbeat_body([report], None).consumables == {"document_printer.black-toner": 75}
    recorder = KioskMetrics()
    for supply, percent in printer_supplies(report).items():
        recorder.set_supply(report.name, supply, percent)
    scraped = generate_latest(recorder.registry).decode()
    assert 'adm_kiosk_printer_supply_percent{device="document_printer",supply="black_toner"} 75.0' in scraped


def test_the_kiosk_marks_a4_documents_unavailable_within_10_s_of_the_printer_going_off(a4, ippeveprinter):
    import queue as queues

    from central.vocabulary import Media
    from kiosk.hardware import Devices
    from kiosk.runtime import DeviceMonitor

    events: queues.Queue = queues.Queue()
    monitor = DeviceMonitor(Devices(document_printer=a4), None, events.put)  # the kiosk's 2 s polling
    monitor.start()
    try:
        def a4_now(timeout: float):
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                try:
                    event = events.get(timeout=left)
                except queues.Empty:
                    break
                yield next(p for p in event.printers if p.media is Media.A4)

        assert next(a4_now(10)).available
        ippeveprinter.kill()
        killed = time.monotonic()
        gone = next(p for p in a4_now(10) if not p.available)
        seen_after = time.monotonic() - killed
        assert gone.reason == OFFLINE_REPORT and seen_after < 10
        ippeveprinter.start()
        back_at = time.monotonic()
        assert next(p for p in a4_now(10) if p.available)
        print(f"\nkiosk: A4 unavailable {seen_after:.2f} s after the printer went off; "
              f"available again {time.monotonic() - back_at:.2f} s after it came back")
    finally:
        monitor.stop()
