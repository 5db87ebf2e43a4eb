"""The technician's commands start fast because each loads only what it needs; and they still work when the
part of the config they do not need is wrong (the technician is at the kiosk to fix it).

Timing a command here would measure the machine's load; these tests pin the causes instead: which sections
are read and which modules a command imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "kiosk" / "demo" / "config.yaml"

#: Modules a command that reads only the journal has no use for: the drivers (the registry imports them all to
#: build the devices schema), the HTTP client and the UI.
NOT_FOR_STATE_COMMANDS = ("devices.simulated", "devices.cups_printer", "httpx", "kiosk.central_client", "kivy")


def _config(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    data["storage"]["state_dir"] = str(tmp_path / "state")
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data[section][name] = value
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _adm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _modules_after(*args: str) -> set[str]:
    """The modules loaded once ``adm-kiosk ARGS`` has run, in a fresh interpreter."""
    script = ("import sys, json; from kiosk.cli import main; code = main(sys.argv[1:]); "
              "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, 1), result.stderr
    return set(report["modules"])


def test_journal_and_audit_read_the_journal_of_a_kiosk_whose_devices_section_is_wrong(tmp_path: Path):
    config = _config(tmp_path, devices__card_printer={"driver": "acme"})
    checked = _adm("check-config", str(config))
    assert checked.returncode == 2 and "devices.card_printer.driver" in checked.stderr  # the kiosk would not start
    listed = _adm("journal", "--json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["jobs"] == []
    verified = _adm("audit", "verify", "--json", "--config", str(config))
    assert verified.returncode == 0, verified.stderr


def test_a_wrong_section_that_the_journal_needs_is_still_reported(tmp_path: Path):
    config = _config(tmp_path, storage__retention_days=1)
    listed = _adm("journal", "--config", str(config))
    assert listed.returncode == 2
    assert "storage.retention_days" in listed.stderr


def test_journal_and_audit_load_no_driver_no_http_client_and_no_ui(tmp_path: Path):
    config = str(_config(tmp_path))
    for args in (["journal", "--json"], ["audit", "verify"], ["ratings"]):
        loaded = _modules_after(*args, "--config", config)
        assert not loaded & set(NOT_FOR_STATE_COMMANDS), args


def test_diagnose_without_the_central_service_loads_no_http_client(tmp_path: Path):
    loaded = _modules_after("diagnose", "--json", "--no-central", "--config", str(_config(tmp_path)))
    assert "devices.simulated" in loaded  # it does build the devices
    assert not loaded & {"httpx", "kiosk.central_client", "central.contract", "kivy"}
