"""A broken config.yaml: `adm-kiosk run` shows the problems on the screen and stays up, instead of a
restart loop behind a black screen; systemd hears READY with the reason, then the app stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from central.pki import issue, make_ca

ROOT = Path(__file__).resolve().parents[2]


def run_until_ready(config: Path, tmp_path: Path) -> tuple[int, str]:
    """`adm-kiosk run --config CONFIG` as systemd starts it: READY (with the reason) and watchdog pings from
    the config-error page, then SIGTERM. Returns the exit code and stderr."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"@adm-kiosk-test-{uuid.uuid4().hex}"
    listener.bind("\0" + name[1:])
    listener.settimeout(60)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env.update(NOTIFY_SOCKET=name, STATE_DIRECTORY=str(tmp_path), WATCHDOG_USEC="2000000")
    app = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        messages: list[str] = []
        while not (any("READY=1" in m for m in messages) and any("WATCHDOG=1" in m for m in messages)):
            messages.append(listener.recv(4096).decode())  # the watchdog is fed: systemd does not restart it
        ready = next(m for m in messages if "READY=1" in m)
        assert "STATUS=config error:" in ready
        assert app.poll() is None
        app.send_signal(signal.SIGTERM)
        _out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
        listener.close()
    return app.returncode, err


@pytest.mark.ui
def test_a_broken_config_is_shown_on_screen_and_the_service_stays_up(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "kiosk" / "demo" / "config.yaml").read_text()
                      .replace("idle_warning_s: 60", "idel_warning_s: 60")
                      .replace("pin_hash: scrypt", "pin_hash: 246810 #"))
    code, err = run_until_ready(config, tmp_path)
    assert code == 2
    assert "kiosk.idel_warning_s: unknown key (did you mean 'idle_warning_s'?)" in err
    assert "technician.technicians.0.pin_hash" in err and "246810" not in err


@pytest.mark.ui
def test_a_production_kiosk_with_the_demo_technician_shows_the_refusal_instead_of_starting(tmp_path: Path):
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["central"]["url"] = "https://adm.dukcapil.example.go.id"
    demo = yaml.safe_load((ROOT / "kiosk" / "demo" / "config.yaml").read_text())
    data["technician"]["technicians"] = demo["technician"]["technicians"]  # the README's PIN 246810
    ca = make_ca()
    issued = issue(ca, data["kiosk"]["id"], server=False)  # this kiosk's own: only the PIN is wrong
    for name, content in (("ca.pem", ca.cert_pem), ("kiosk.pem", issued.cert_pem), ("kiosk.key", issued.key_pem),
                          ("signing.pub", b"not checked before the refusal\n")):
        (tmp_path / name).write_bytes(content)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    code, err = run_until_ready(config, tmp_path)
    assert code == 2
    refusals = [line for line in err.splitlines() if line.startswith("error: ")]
    assert refusals == ["error: technician.technicians.0.pin_hash: is the hash of a published demo PIN; anyone "
                        "could open the technician area. Set a PIN of your own with 'adm-kiosk hash-pin'"]
