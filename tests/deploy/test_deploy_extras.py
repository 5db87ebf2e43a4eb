"""deploy/install.sh installs the optional extras the config needs: evdev when it names an evdev reader."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install.sh"


@pytest.fixture
def home() -> Path:
    # A dry run as nobody (pytest's tmp_path is private to root), without --use-venv: the release's pip
    # commands are then written to the plan.
    path = Path(tempfile.mkdtemp(prefix="adm-kiosk-extras-"))
    shutil.chown(path, "nobody", "nogroup")
    yield path
    shutil.rmtree(path)


def pip_steps(home: Path, *args: str) -> list[str]:
    command = ["bash", str(SCRIPT), "--prefix", str(home / "root"), "--no-apt", *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if k != "DESTDIR"})
    assert result.returncode == 0, result.stdout + result.stderr
    plan = (home / "root" / "adm-kiosk-install.plan").read_text().splitlines()
    return [step for step in plan if "/bin/pip install" in step]


def test_the_example_config_gets_no_extra_and_an_evdev_reader_gets_evdev(home: Path):
    assert pip_steps(home) == [f"/opt/adm-kiosk/releases/0.1.0/venv/bin/pip install {ROOT}"]  # readers commented

    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["devices"]["barcode_readers"] = [{"name": "front", "driver": "evdev",
                                           "device": "/dev/input/by-id/usb-Honeywell-event-kbd"}]
    config = home / "evdev.yaml"
    config.write_text(yaml.safe_dump(data))
    shutil.chown(config, "nobody", "nogroup")
    shutil.rmtree(home / "root")
    assert pip_steps(home, "--config", str(config)) == [
        f"/opt/adm-kiosk/releases/0.1.0/venv/bin/pip install {ROOT}[evdev]"]


def plan(home: Path, *args: str) -> list[str]:
    command = ["bash", str(SCRIPT), "--prefix", str(home / "root"), *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if k != "DESTDIR"})
    assert result.returncode == 0, result.stdout + result.stderr
    return (home / "root" / "adm-kiosk-install.plan").read_text().splitlines()


def test_readers_in_the_config_bring_the_cardlogin_extra_and_their_debian_packages(home: Path):
    def apt(steps: list[str]) -> set[str]:
        return {word for step in steps if step.startswith("apt-get install") for word in step.split()[2:]}

    plain = plan(home)
    assert "pcscd" not in apt(plain) and not any("[cardlogin]" in step for step in plain)
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["devices"]["card_reader"] = {"driver": "pcsc", "reader": "ACS", "profile": "adm-demo"}
    data["devices"]["fingerprint_reader"] = {"driver": "libfprint"}
    config = home / "readers.yaml"
    config.write_text(yaml.safe_dump(data))
    shutil.chown(config, "nobody", "nogroup")
    shutil.rmtree(home / "root")
    steps = plan(home, "--config", str(config))
    assert f"/opt/adm-kiosk/releases/0.1.0/venv/bin/pip install {ROOT}[cardlogin]" in steps
    assert {"pcscd", "libfprint-2-2", "gir1.2-fprint-2.0", "swig", "libpcsclite-dev"} <= apt(steps)
