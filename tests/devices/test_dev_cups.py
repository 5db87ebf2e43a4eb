"""The CUPS drivers against a private cupsd: raw queues to loopback listeners."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from devices.base import (
    NOT_ACCEPTING,
    PAUSED,
    CardJob,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    DocumentJob,
    JobCancelled,
    NeedsAttention,
)
from devices.cups_printer import CupsCardPrinter, CupsDocumentPrinter, marker_levels, reasons_to_status
from devices.testprint import make_test_card, make_test_page
from tests.devices.cupsd import free_port

pytestmark = pytest.mark.cups
_names = itertools.count()


def queue(cupsd, uri: str) -> str:
    name = f"Q{next(_names)}"
    cupsd.add_raw_queue(name, uri)
    return name


def printer(cupsd, name: str, cls=CupsDocumentPrinter, **kw):
    return cls("document_printer", name, server=cupsd.host, port=cupsd.port, **kw)


_TEST_PDF = make_test_page("ADM-TEST-01", "document_printer")
_TEST_CARD = make_test_card("ADM-TEST-01", "card_printer")[0]
PDF = _TEST_PDF + b"%" + bytes(range(256)) * 40  # binary tail: must arrive untouched


def test_a_pdf_arrives_byte_identical(cupsd, listener):
    p = printer(cupsd, queue(cupsd, listener.uri))
    assert p.status().state is DeviceState.READY
    seen: list[float] = []
    result = p.submit(DocumentJob("job-1", PDF, "KK"), progress=seen.append, timeout=30)
    assert listener.wait() == PDF
    assert result.pages == 1 and result.device_job_id
    assert seen and seen[-1] == 1.0
    assert p.status().counters == {"jobs": 1, "pages": 1}


def test_a_card_goes_out_as_a_two_page_pdf_with_cr80_and_duplex(cupsd, listener):
    p = printer(cupsd, queue(cupsd, listener.uri), CupsCardPrinter)
    p.submit(CardJob("card-1", _TEST_CARD, _TEST_CARD, "KTP-el"), timeout=30)
    data = listener.wait()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 0
    assert len([m for m in data.split(b"/Type /Page") if m[:1] != b"s"]) - 1 == 2
    assert p.options["sides"] == "two-sided-long-edge" and p.options["media"] == "CR80"


def test_a_paused_queue_needs_attention_and_refuses_jobs(cupsd, listener):
    name = queue(cupsd, listener.uri)
    cupsd.connection().disablePrinter(name)
    p = printer(cupsd, name)
    status = p.status()
    assert status.state is DeviceState.NEEDS_ATTENTION
    assert PAUSED in status.reasons
    with pytest.raises(NeedsAttention):
        p.submit(DocumentJob("job-2", PDF, "KK"), timeout=5)
    assert listener.received == []


def test_a_rejecting_queue_is_offline(cupsd, listener):
    name = queue(cupsd, listener.uri)
    cupsd.connection().rejectJobs(name)
    status = printer(cupsd, name).status()
    assert status.state is DeviceState.OFFLINE and NOT_ACCEPTING in status.reasons


def test_a_missing_queue_and_a_missing_server_are_offline_not_exceptions(cupsd):
    assert printer(cupsd, "no-such-queue").status().state is DeviceState.OFFLINE
    dead = CupsDocumentPrinter("document_printer", "A4", server="127.0.0.1", port=free_port(), call_timeout_s=5)
    status = dead.status()
    assert status.state is DeviceState.OFFLINE and status.reasons == ("offline-report",)
    with pytest.raises(DeviceOffline):
        dead.submit(DocumentJob("job-3", PDF, "KK"), timeout=5)


def test_a_stuck_job_times_out_and_is_cancelled(cupsd):
    # Nothing listens on that port: the socket backend keeps retrying, the job never completes.
    name = queue(cupsd, f"socket://127.0.0.1:{free_port()}")
    p = printer(cupsd, name)
    with pytest.raises(DeviceTimeout):
        p.submit(DocumentJob("job-4", PDF, "KK"), timeout=2)
    conn = cupsd.connection()
    # The stuck job was cancelled, not left spooled to print when the printer comes back.
    assert conn.getJobs(which_jobs="not-completed") == {}
    states = [conn.getJobAttributes(j, requested_attributes=["job-state"])["job-state"]
              for j in conn.getJobs(which_jobs="all")]
    assert 7 in states


def test_a_socket_printer_that_is_switched_off_fails_the_job_fast_and_shows_offline_meanwhile(cupsd):
    # Nothing can be asked of a socket printer; CUPS's backend says it cannot reach it once a job waits.
    name = queue(cupsd, f"socket://127.0.0.1:{free_port()}")
    p = printer(cupsd, name)
    seen: list[DeviceState] = []
    watcher = threading.Timer(2.0, lambda: seen.append(printer(cupsd, name).status().state))
    watcher.start()
    start = time.monotonic()
    with pytest.raises(DeviceOffline) as failure:
        p.submit(DocumentJob("job-6", PDF, "KK"), timeout=180)
    assert time.monotonic() - start < 15
    assert failure.value.may_have_printed  # CUPS had the job processing: a person looks, it is never resent
    assert seen == [DeviceState.OFFLINE]
    assert cupsd.connection().getJobs(which_jobs="not-completed") == {}  # cancelled, not left to print later


def test_cancel_ends_a_waiting_submit(cupsd):
    name = queue(cupsd, f"socket://127.0.0.1:{free_port()}")
    p = printer(cupsd, name)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            p.submit(DocumentJob("job-5", PDF, "KK"), timeout=30)
        except (JobCancelled, DeviceTimeout) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    for _ in range(100):
        if "job-5" in p._jobs:
            break
        threading.Event().wait(0.05)
    p.cancel("job-5")
    thread.join(20)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], JobCancelled)


@pytest.mark.parametrize("state,reasons,expected,words", [
    (3, ["none"], DeviceState.READY, ()),
    (4, ["none"], DeviceState.BUSY, ()),
    (5, ["media-empty-error"], DeviceState.NEEDS_ATTENTION, ("media-empty",)),
    (3, ["toner-low-warning"], DeviceState.WARNING, ("toner-low",)),
    (3, ["offline-report"], DeviceState.OFFLINE, ("offline-report",)),
    (5, ["media-jam-error", "cover-open-error"], DeviceState.NEEDS_ATTENTION, ("media-jam", "cover-open")),
    (5, ["paused"], DeviceState.NEEDS_ATTENTION, ("paused",)),
    (3, ["cups-missing-filter-warning"], DeviceState.READY, ()),
    (5, ["fuser-over-temp-error"], DeviceState.ERROR, ("fuser-over-temp",)),
])
def test_ipp_states_and_reasons_map_to_the_device_model(state, reasons, expected, words):
    assert reasons_to_status(state, reasons) == (expected, words)


@pytest.mark.parametrize("names, levels, expected", [
    (["cyan", "black"], [40, 75], {"cyan": 40, "black": 75}),
    ("black", 75, {"black": 75}),  # one marker: pycups gives the value itself, not a list of one
    (["ribbon", "unknown"], [10, -1], {"ribbon": 10}),
    ([], [], {}),
])
def test_marker_levels_become_consumables(names, levels, expected):
    assert marker_levels(names, levels) == expected


def test_devices_command_lists_queues_and_matches_the_configured_one(cupsd, listener, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    name = queue(cupsd, listener.uri)
    data = yaml.safe_load((root / "kiosk" / "demo" / "config.yaml").read_text())
    data["devices"]["document_printer"] = {"driver": "cups", "queue": name, "server": cupsd.host, "port": cupsd.port}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "devices", "--config", str(config), "--json"],
                          capture_output=True, text=True, timeout=60, cwd=root)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    mine = [q for q in out["cups"]["items"] if q["queue"] == name]
    assert mine and mine[0]["matches"] == "document_printer" and mine[0]["device_uri"] == listener.uri
    assert mine[0]["driver"] == "document_printer/cups"
    assert set(out) == {"cups", "usb", "serial", "pcsc", "fingerprint"}



def test_a_reload_resumes_a_queue_that_cups_stopped_on_the_fault(cupsd, listener, tmp_path):
    # CUPS stops the queue when the printer reports paper out, and it stays stopped after new paper goes in
    # (photo-booth kiosks report needing `cupsenable` by hand). The technician's reload resumes it.
    from kiosk.demo import demo_config
    from kiosk.diagnostics import Diagnostics
    from kiosk.hardware import Devices
    from printjobs.store import PrintStore

    name = queue(cupsd, listener.uri)
    cupsd.connection().disablePrinter(name)
    cupsd.connection().rejectJobs(name)
    p = printer(cupsd, name)
    assert p.status().state is not DeviceState.READY
    config = demo_config(tmp_path, {"url": "https://central.invalid"}, headless=True)
    store = PrintStore(tmp_path / "state")
    try:
        Diagnostics(config, Devices(document_printer=p), store, None).reload("document_printer", "paper", 500,
                                                                             "teknisi-1")
        audited = [e.body for e in store.audit.entries() if e.kind == "technician"]
    finally:
        store.close()
    assert p.status().state is DeviceState.READY
    attrs = cupsd.connection().getPrinterAttributes(name)
    assert attrs["printer-state"] == 3 and attrs["printer-is-accepting-jobs"]
    assert [body["action"] for body in audited] == ["reload", "resume_queue"]
    p.submit(DocumentJob("job-after-reload", PDF, "KK"), timeout=30)
    assert listener.wait() == PDF
    assert p.resume() is False  # already running: nothing to do
