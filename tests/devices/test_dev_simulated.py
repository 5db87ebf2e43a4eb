"""Simulated drivers: faults in status(), output files, consumables, and `adm-kiosk diagnose --json`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from devices.base import (
    BlankoEmpty,
    CardJob,
    DeviceOffline,
    DeviceState,
    DocumentJob,
    JobCancelled,
    JobFailed,
    MediaEmpty,
    MediaJam,
)
from devices.simulated import (
    FAULTS,
    SimulatedBarcodeReader,
    SimulatedCardPrinter,
    SimulatedDocumentPrinter,
    SimulatedReceiptPrinter,
)
from devices.testprint import make_test_card, make_test_page
from tests.factories import adm_kiosk

ROOT = Path(__file__).resolve().parents[2]
_TEST_PDF = make_test_page("ADM-TEST-01", "document_printer")
_TEST_CARD = make_test_card("ADM-TEST-01", "card_printer")[0]
EXPECTED = {
    "offline": ("OFFLINE", "offline-report"), "switched-off": ("OFFLINE", "offline-report"),
    "media-empty": ("NEEDS_ATTENTION", "media-empty"),
    "media-jam": ("NEEDS_ATTENTION", "media-jam"), "cover-open": ("NEEDS_ATTENTION", "cover-open"),
    "ribbon-empty": ("NEEDS_ATTENTION", "ribbon-empty"), "blanko-empty": ("NEEDS_ATTENTION", "blanko-empty"),
    "media-low": ("WARNING", "media-low"), "toner-low": ("WARNING", "toner-low"),
    "ribbon-low": ("WARNING", "ribbon-low"), "blanko-low": ("WARNING", "blanko-low"), "slow": ("WARNING", "slow"),
}


def test_every_config_fault_is_covered():
    assert set(EXPECTED) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_shows_in_status_and_set_fault_clears_it(tmp_path, fault):
    printers = [SimulatedDocumentPrinter("d", tmp_path / "d", fault=fault),
                SimulatedCardPrinter("c", tmp_path / "c", fault=fault),
                SimulatedReceiptPrinter("r", tmp_path / "r", fault=fault)]
    for p in printers:
        status = p.status()
        assert (status.state.value, status.reasons) == (EXPECTED[fault][0], (EXPECTED[fault][1],))
        p.set_fault(None)
        assert p.status().state is DeviceState.READY


def test_a_completed_submission_always_writes_a_new_file(tmp_path):
    p = SimulatedDocumentPrinter("d", tmp_path, seconds_per_page=0)
    progress: list[float] = []
    for _ in range(3):
        p.submit(DocumentJob("J1", _TEST_PDF, "KK"), progress=progress.append)
    p.submit(DocumentJob("J2", _TEST_PDF, "KK"))
    assert sorted(f.name for f in tmp_path.iterdir()) == ["J1-1.pdf", "J1-2.pdf", "J1-3.pdf", "J2-1.pdf"]
    assert (tmp_path / "J1-2.pdf").read_bytes() == _TEST_PDF
    assert progress[-1] == 1.0
    # a new driver (a restarted kiosk) continues the numbering instead of overwriting
    SimulatedDocumentPrinter("d", tmp_path).submit(DocumentJob("J1", _TEST_PDF, "KK"))
    assert (tmp_path / "J1-4.pdf").exists()
    assert p.status().consumables == {"paper": 496} and p.status().counters == {"pages": 4, "jobs": 4}


def test_faults_raise_typed_errors_and_write_nothing(tmp_path):
    p = SimulatedDocumentPrinter("d", tmp_path, fault="media-empty")
    with pytest.raises(MediaEmpty):
        p.submit(DocumentJob("J", _TEST_PDF, "KK"))
    p.set_fault("offline")
    with pytest.raises(DeviceOffline):
        p.submit(DocumentJob("J", _TEST_PDF, "KK"))
    with pytest.raises(JobFailed):
        SimulatedDocumentPrinter("d", tmp_path).submit(DocumentJob("J", b"not a pdf", "KK"))
    assert list(tmp_path.iterdir()) == []


def test_switched_off_refuses_at_once_and_mid_job_leaves_the_job_uncertain(tmp_path):
    from printjobs.journal import JobState
    from printjobs.pipeline import FetchedDocument, PrintPipeline
    from printjobs.store import PrintStore

    p = SimulatedDocumentPrinter("d", tmp_path / "out", seconds_per_page=0.5, fault="switched-off")
    assert p.status().state is DeviceState.OFFLINE and "not answering" in p.status().message
    with pytest.raises(DeviceOffline) as refused:
        p.submit(DocumentJob("J", _TEST_PDF, "KK"))
    assert not refused.value.may_have_printed
    p.set_fault(None)
    store = PrintStore(tmp_path / "state")
    try:
        pipeline = PrintPipeline(store, {"document_printer": p}, submit_timeout_s=10)
        threading.Timer(0.2, p.set_fault, ("switched-off",)).start()  # the power goes during the first page
        outcome = pipeline.run(document_id="doc-1", document_type="KK", kind="a4", printer="document_printer",
                               nik="3171010101010001", fetch=lambda job_id: FetchedDocument([_TEST_PDF]))
        assert outcome.job.state is JobState.UNCERTAIN and outcome.reason == "offline-report"
    finally:
        store.close()
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_jam_after_n_pages_then_clear(tmp_path):
    p = SimulatedDocumentPrinter("d", tmp_path, jam_after=2)
    p.submit(DocumentJob("A", _TEST_PDF, "KK", copies=2))
    with pytest.raises(MediaJam):
        p.submit(DocumentJob("B", _TEST_PDF, "KK"))
    assert p.status().reasons == ("media-jam",)
    p.set_fault(None)
    p.submit(DocumentJob("B", _TEST_PDF, "KK"))
    assert sorted(f.name for f in tmp_path.iterdir()) == ["A-1.pdf", "B-1.pdf"]


def test_paper_runs_out_and_reload(tmp_path):
    p = SimulatedDocumentPrinter("d", tmp_path, paper=1, paper_low=0)
    p.submit(DocumentJob("A", _TEST_PDF, "KK"))
    assert p.status().reasons == ("media-empty",)
    with pytest.raises(MediaEmpty):
        p.submit(DocumentJob("B", _TEST_PDF, "KK"))
    p.reload(paper=10)
    assert p.status().state is DeviceState.READY


def test_cards_consume_blanko_and_ribbon_and_keep_both_sides(tmp_path):
    p = SimulatedCardPrinter("c", tmp_path, blanko=2, ribbon=5, blanko_low=1, ribbon_low=0)
    p.submit(CardJob("K", _TEST_CARD, _TEST_CARD, "KTP-el"))
    assert p.status().state is DeviceState.WARNING and p.status().reasons == ("blanko-low",)
    p.submit(CardJob("K", _TEST_CARD, _TEST_CARD, "KTP-el"))
    with pytest.raises(BlankoEmpty):
        p.submit(CardJob("K", _TEST_CARD, _TEST_CARD, "KTP-el"))
    assert sorted(f.name for f in tmp_path.iterdir()) == ["K-1-back.png", "K-1-front.png", "K-2-back.png",
                                                          "K-2-front.png"]
    assert p.status().consumables == {"blanko": 0, "ribbon": 3}
    with pytest.raises(JobFailed):
        p.submit(CardJob("bad", b"\x89PNG\r\n\x1a\n" + bytes(20), _TEST_CARD, "KTP-el"))


def test_cancel_stops_a_slow_job_before_it_prints(tmp_path):
    p = SimulatedCardPrinter("c", tmp_path, seconds_per_card=30)
    errors: list[Exception] = []

    def run() -> None:
        try:
            p.submit(CardJob("K", _TEST_CARD, _TEST_CARD, "KTP-el"), timeout=60)
        except JobCancelled as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    for _ in range(200):
        if p.status().state is DeviceState.BUSY:
            break
        threading.Event().wait(0.01)
    p.cancel("K")
    thread.join(10)
    assert len(errors) == 1 and list(tmp_path.iterdir()) == []
    assert p.status().consumables["blanko"] == 100


def test_receipts_and_reader(tmp_path):
    r = SimulatedReceiptPrinter("r", tmp_path)
    r.print_receipt(["KK dicetak"], qr="https://verify/x", title="ADM")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["receipt-1.bin", "receipt-1.txt"]
    assert "KK dicetak" in (tmp_path / "receipt-1.txt").read_text()
    reader = SimulatedBarcodeReader("front", max_length=16)
    got: list[str] = []
    reader.start(got.append)
    reader.inject(b"ABC123")
    reader.inject(b"bad\x00bytes")
    reader.inject(b"x" * 40)
    assert got == ["ABC123"] and reader.status().counters == {"scans": 1, "dropped": 2}


def write_config(tmp_path: Path, fault: str | None) -> Path:
    data = yaml.safe_load((ROOT / "kiosk" / "demo" / "config.yaml").read_text())
    devices = data["devices"]
    devices["document_printer"] = {"driver": "simulated", "fault": fault, "seconds_per_page": 0}
    devices["card_printer"] = {"driver": "simulated", "fault": fault, "seconds_per_card": 0}
    devices["receipt_printer"] = {"driver": "simulated", "fault": fault}
    data["storage"]["state_dir"] = str(tmp_path / "state")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def diagnose(config: Path, *, in_process: bool = True) -> tuple[int, dict]:
    """``adm-kiosk diagnose --json``: in this process for the fault matrix, as a new process for the exit codes."""
    args = ("diagnose", "--config", str(config), "--json")
    if in_process:
        proc = adm_kiosk(*args)
    else:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=60,
                              cwd=ROOT)
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("fault", ["offline", "switched-off", "media-empty", "media-jam", "cover-open", "ribbon-empty",
                                   "blanko-empty", "media-low", "toner-low", "ribbon-low", "blanko-low", "slow"])
def test_diagnose_json_shows_each_fault(tmp_path, fault):
    code, report = diagnose(write_config(tmp_path, fault))
    printers = [d for d in report["devices"] if d["kind"].endswith("printer")]
    assert [d["name"] for d in printers] == ["document_printer", "card_printer", "receipt_printer"]
    for d in printers:
        assert set(d) >= {"name", "kind", "driver", "state", "reasons", "consumables", "counters"}
        assert (d["state"], d["reasons"]) == (EXPECTED[fault][0], [EXPECTED[fault][1]])
    assert code == (0 if EXPECTED[fault][0] == "WARNING" else 1)


def test_diagnose_all_ready_exits_0_and_a_bad_config_exits_2(tmp_path):
    code, report = diagnose(write_config(tmp_path, None), in_process=False)
    assert code == 0 and {d["state"] for d in report["devices"]} == {"READY"}
    assert report["devices"][1]["consumables"] == {"blanko": 100, "ribbon": 250}
    bad = tmp_path / "bad.yaml"
    bad.write_text("kiosk: [\n")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "diagnose", "--config", str(bad)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
