"""A production kiosk refuses the demo: a published technician PIN, simulated devices, the demo's central.

`adm-kiosk check-config` (what install.sh runs) exits 2 naming the key; `--demo` lets the demo, the tests
and the benchmarks through with a warning. The production example that install.sh installs holds none of
the demo's things and fails only on what the administrator must set.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from kiosk.config import load_config
from kiosk.pinhash import hash_pin
from kiosk.production import PUBLISHED_PINS, production_problems
from tests.factories import adm_kiosk

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_CONFIG = ROOT / "config.yaml"
DEMO_CONFIG = ROOT / "kiosk" / "demo" / "config.yaml"
OWN_PIN = "975310"


def check_config(*args: str) -> subprocess.CompletedProcess:
    """``adm-kiosk check-config ARGS``, in this process (tests/test_cli.py runs the entry point itself)."""
    return adm_kiosk("check-config", *args)


def configured(tmp_path: Path, change=None) -> Path:
    """The production example as an administrator finishes it: central URL set, one technician."""
    data = yaml.safe_load(PRODUCTION_CONFIG.read_text())
    data["central"]["url"] = "https://adm.dukcapil.example.go.id"
    data["technician"]["technicians"] = [{"id": "teknisi-01", "pin_hash": hash_pin(OWN_PIN)}]
    if change:
        change(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def test_the_production_example_fails_only_on_the_central_url_placeholder(tmp_path: Path):
    (tmp_path / "config.yaml").write_text(PRODUCTION_CONFIG.read_text())
    result = check_config(str(tmp_path / "config.yaml"))
    assert result.returncode == 2
    assert errors(result) == [
        "error: central.url: is the example's placeholder (https://central-service.invalid); "
        "set the URL of your central service"
    ]


def test_a_finished_production_config_checks_ok(tmp_path: Path):
    result = check_config(str(configured(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "not for production" not in result.stderr


@pytest.mark.parametrize("pin", PUBLISHED_PINS)
def test_a_published_technician_pin_is_refused_by_key_and_never_shown(tmp_path: Path, pin: str):
    def add_demo_technician(data: dict) -> None:
        data["technician"]["technicians"].append({"id": "teknisi-demo", "pin_hash": hash_pin(pin)})

    result = check_config(str(configured(tmp_path, add_demo_technician)))
    assert result.returncode == 2
    assert len(errors(result)) == 1, result.stderr
    assert errors(result)[0].startswith("error: technician.technicians.1.pin_hash: is the hash of a published demo PIN")
    assert "adm-kiosk hash-pin" in result.stderr
    assert pin not in result.stderr and "scrypt$" not in result.stderr


@pytest.mark.parametrize(
    "key,device",
    [
        ("devices.document_printer.driver", {"driver": "simulated"}),
        ("devices.card_printer.driver", {"driver": "simulated"}),
        ("devices.receipt_printer.driver", {"driver": "simulated"}),
        ("devices.barcode_readers.0.driver", [{"name": "front", "driver": "simulated"}]),
    ],
)
def test_a_simulated_device_is_refused_by_key(tmp_path: Path, key: str, device):
    def simulate(data: dict) -> None:
        data["devices"][key.split(".")[1]] = device

    result = check_config(str(configured(tmp_path, simulate)))
    assert result.returncode == 2
    assert [e.split(": ")[1] for e in errors(result)] == [key]
    assert "'simulated' is not a real device" in result.stderr


@pytest.mark.parametrize("url", ["https://127.0.0.1:8443", "https://localhost:8443", "https://[::1]:9000"])
def test_the_demo_central_service_is_refused(tmp_path: Path, url: str):
    def demo_central(data: dict) -> None:
        data["central"]["url"] = url

    result = check_config(str(configured(tmp_path, demo_central)))
    assert result.returncode == 2
    assert len(errors(result)) == 1 and errors(result)[0].startswith(f"error: central.url: {url} is on this machine")


def test_the_demo_config_is_refused_without_demo_and_names_every_key():
    result = check_config(str(DEMO_CONFIG))
    assert result.returncode == 2
    named = {e.split(": ")[1] for e in errors(result)}
    assert named == {
        "central.url",
        "technician.technicians.0.pin_hash",
        "devices.document_printer.driver",
        "devices.card_printer.driver",
        "devices.receipt_printer.driver",
        "devices.barcode_readers.0.driver",
        "devices.audio_output.driver",
        "devices.card_reader.driver",
        "devices.fingerprint_reader.driver",
    }
    assert "246810" not in result.stderr

    allowed = check_config("--demo", str(DEMO_CONFIG))
    assert allowed.returncode == 0, allowed.stderr
    assert "warning: not for production (--demo): technician.technicians.0.pin_hash" in allowed.stderr


def test_the_demo_config_holds_the_hash_of_the_published_demo_pin():
    from kiosk.demo import DEMO_TECHNICIAN_PIN

    assert DEMO_TECHNICIAN_PIN in PUBLISHED_PINS
    problems = production_problems(load_config(DEMO_CONFIG))
    assert "technician.technicians.0.pin_hash" in {p.path for p in problems}


def test_the_service_runs_the_kiosk_in_production_mode():
    unit = (ROOT / "kiosk.service").read_text()
    (exec_start,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert " run " in exec_start + " " and "--demo" not in exec_start
