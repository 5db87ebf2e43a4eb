"""The technician area's model: PIN gate, diagnostics, reload, self-test, uncertain jobs, export, central health.

Real simulated devices, a real print store, the reference central service over mutual TLS.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.central_client import CentralClient
from kiosk.config import Technician
from kiosk.demo import demo_config
from kiosk.diagnostics import Diagnostics
from kiosk.hardware import build_devices
from kiosk.pinhash import hash_pin
from kiosk.technician import TechnicianGate
from printjobs.backoff import Backoff
from printjobs.journal import JobState
from printjobs.store import PrintStore, store_dir
from tests.factories import running_world

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_gate_counts_wrong_pins_then_locks_and_reopens():
    clock = Clock()
    gate = TechnicianGate([Technician(id="t1", pin_hash=hash_pin("2468", n=2**10))], max_attempts=3, lockout_s=300,
                          clock=clock)
    assert gate.check("1111").attempts_left == 2
    assert gate.check("1112").attempts_left == 1
    locked = gate.check("1113")
    assert locked.locked_for_s == 300 and not locked.ok
    assert not gate.check("2468").ok  # the right PIN is refused while locked
    clock.now += 301
    answer = gate.check("2468")
    assert answer.ok and answer.technician == "t1"


def test_gate_tells_technicians_apart():
    gate = TechnicianGate([Technician(id="ani", pin_hash=hash_pin("1357", n=2**10)),
                           Technician(id="budi", pin_hash=hash_pin("8642", n=2**10))], 5, 60)
    assert gate.check("8642").technician == "budi"
    assert gate.check("1357").technician == "ani"


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


@pytest.fixture
def kiosk(tmp_path: Path, central):
    config = demo_config(tmp_path, central.client_config(), headless=True)
    devices = build_devices(config)
    devices.open_all()
    store = PrintStore(store_dir(config.storage.state_dir))
    client = CentralClient(config.central, config.kiosk.id)
    diagnostics = Diagnostics(config, devices, store, client)
    yield config, devices, store, diagnostics
    client.close()
    store.close()
    devices.close_all()


def test_media_empty_is_shown_then_cleared_by_a_reload(kiosk):
    config, devices, store, diagnostics = kiosk
    devices.document_printer.set_fault("media-empty")
    report = diagnostics.report(check_central=False)
    printer = next(d for d in report.devices if d.name == "document_printer")
    assert "media-empty" in printer.reasons and not printer.ok
    diagnostics.reload("document_printer", "paper", 500, "teknisi-1")
    report = diagnostics.report(check_central=False)
    printer = next(d for d in report.devices if d.name == "document_printer")
    assert printer.ok and printer.consumables.get("paper") == 500
    assert store.consumables.get("document_printer", "paper").level == 500
    actions = [e.body for e in store.audit.entries() if e.body.get("action") == "reload"]
    assert actions and actions[-1]["technician"] == "teknisi-1"


def test_a_test_page_lands_in_the_simulated_printer_and_is_audited(kiosk):
    config, devices, store, diagnostics = kiosk
    result = diagnostics.self_test("document_printer", "external", "teknisi-1")
    assert result.passed
    assert len(list(devices.document_printer.output_dir.glob("selftest-*.pdf"))) == 1
    entry = [e.body for e in store.audit.entries() if e.body.get("action") == "self_test"][-1]
    assert entry["technician"] == "teknisi-1" and entry["device"] == "document_printer"
    pdf = next(devices.document_printer.output_dir.glob("selftest-*.pdf")).read_bytes()
    assert config.kiosk.id in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()  # a real page, not a blank one


def test_only_devices_can_be_self_tested(kiosk):
    _config, devices, _store, diagnostics = kiosk
    assert diagnostics.self_test("front", "internal", "teknisi-1").passed  # a reader, by its name
    for name in ("all", "others", "open_all", "nothing"):
        with pytest.raises(KeyError):
            diagnostics.self_test(name, "internal", "teknisi-1")


def test_an_uncertain_job_is_listed_then_resolved_with_the_technician_id(kiosk):
    config, devices, store, diagnostics = kiosk
    job = store.create_job("DOC-X", "KTP_EL", "card", "card_printer", "")
    store.fetched(job.job_id, [b"f", b"b"])
    store.sending(job.job_id)
    store.recover()  # the kiosk restarted while the card was being sent
    assert [j["job_id"] for j in diagnostics.report(check_central=False).uncertain_jobs] == [job.job_id]
    diagnostics.resolve(job.job_id, printed=False, technician="teknisi-2")
    assert store.journal.get(job.job_id).state is not JobState.UNCERTAIN
    assert diagnostics.report(check_central=False).uncertain_jobs == []
    assert store.audit.verify().ok


def test_export_to_the_usb_mount(kiosk):
    config, devices, store, diagnostics = kiosk
    with pytest.raises(FileNotFoundError):
        diagnostics.export("teknisi-1")
    config.technician.export_dir.mkdir(parents=True)
    target = diagnostics.export("teknisi-1", month="2026-11")
    assert sorted(p.name for p in target.iterdir()) == ["audit-2026-11.csv", "audit-verify.json",
                                                        "diagnostics.json", "journal.json"]
    assert json.loads((target / "diagnostics.json").read_text())["devices"]
    with (target / "audit-2026-11.csv").open() as handle:
        assert next(csv.reader(handle))  # a header row


def test_central_health_reachable_with_certificate_expiry(kiosk):
    config, devices, store, diagnostics = kiosk
    health = diagnostics.report().central
    assert health.reachable and health.latency_ms is not None
    assert health.certificate_days_left > 300 and health.outbox_backlog == 0


def test_central_health_unreachable(tmp_path: Path, central):
    config = demo_config(tmp_path, central.client_config(url="https://127.0.0.1:9"), headless=True)
    client = CentralClient(config.central, config.kiosk.id, backoff=Backoff(0.01, 0.01))
    try:
        health = Diagnostics(config, build_devices(config), None, client).central_health([])
    finally:
        client.close()
    assert not health.reachable and health.error == "Unreachable"


def test_diagnose_json_shows_the_same_model(tmp_path: Path, central):
    import yaml

    config = demo_config(tmp_path, central.client_config(), headless=True)
    data = json.loads(json.dumps(config.model_dump(mode="json")))
    data["devices"]["card_printer"]["fault"] = "blanko-empty"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "diagnose", "--json", "--config", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    card = next(d for d in report["devices"] if d["name"] == "card_printer")
    assert "blanko-empty" in card["reasons"]
    assert report["central"]["reachable"] is True
    assert set(report) >= {"devices", "consumables", "uncertain_jobs", "recent_faults", "central", "ok"}
