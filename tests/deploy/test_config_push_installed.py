"""A pushed config on a kiosk as it ships: the config ``deploy/install.sh`` installs, in a config directory the
kiosk cannot write (a read-only bind mount, as ``ProtectSystem=strict`` makes /etc), real ``adm-kiosk run``
processes started one after another as systemd restarts the unit, READY seen on a real NOTIFY_SOCKET, and the
outcome acknowledged to the reference central service over mutual TLS.

The push goes to the state directory; a start under a pushed config that never reaches READY is followed by
one that rolls it back to /etc's file, and the operator sees "failed" in ``adm-central fleet``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from central.cli import main as adm_central
from kiosk.config import load_config
from kiosk.config_push import PushFiles, in_use
from tests.deploy.conftest import free_port
from tests.factories import running_world

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.heavy,  # three kiosk processes, each drawing every screen before READY
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                       reason="a read-only bind mount of the config directory needs root and unshare"),
]


@pytest.fixture
def central(tmp_path_factory):
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


@pytest.fixture
def notify() -> Iterator[socket.socket]:
    """What systemd listens on: READY=1 arrives here (an abstract AF_UNIX datagram socket)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0adm-kiosk-push-" + uuid.uuid4().hex.encode())
    yield sock
    sock.close()


def installed_config(etc: Path, state: Path, central) -> Path:
    """The production example install.sh puts in /etc/adm-kiosk, with what an administrator sets: the central
    service, this kiosk's id and certificates, the key ids; a state directory and a window for this machine."""
    assert 'install -m 0640 "$SRC/config.yaml"' in (ROOT / "deploy" / "install.sh").read_text()
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    for name in ("ca.pem", "kiosk.pem", "kiosk.key", "signing.pub", "operator.pub"):
        shutil.copy(central.data_dir / name, etc / name)
    data["kiosk"]["id"] = central.summary["kiosk_id"]
    data["kiosk"]["display"] = {"fullscreen": False, "width": 1280, "height": 800}
    data["central"]["url"] = central.url
    data["central"]["signing_keys"][0]["key_id"] = central.summary["key_id"]
    data["central"]["heartbeat_interval_s"] = 5
    data["central"]["retries"] = 0
    data["storage"]["state_dir"] = str(state)
    data["metrics"] = {"enabled": False}
    path = etc / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class Kiosk:
    """One start of the unit: ``adm-kiosk run`` with the config directory mounted read-only."""

    def __init__(self, config: Path, notify: socket.socket, log: Path):
        etc = str(config.parent)
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "KIVY_WINDOW", "DISPLAY")}
        env.update(NOTIFY_SOCKET="@" + notify.getsockname()[1:].decode(), CUPS_SERVER=f"127.0.0.1:{free_port()}")
        mount_ro = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
        # --demo only because the central service of this test is on loopback, which production refuses.
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount_ro, etc,
                   sys.executable, "-m", "kiosk.cli", "run", "--demo", "--config", str(config)]
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        self.notify = notify

    def ready(self, timeout: float = 90) -> bool:
        """Whether READY=1 came before the process ended (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.notify.settimeout(0.5)
            try:
                if "READY=1" in self.notify.recv(4096).decode().splitlines():
                    return True
            except TimeoutError:
                pass
            if self.process.poll() is not None:
                return False
        return False

    def ended(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def fleet_status(central, command_id: str, capsys) -> str | None:
    assert adm_central(["fleet", "--data", str(central.data_dir), "--json"]) == 0
    kiosks = json.loads(capsys.readouterr().out)
    return next((cmd["status"] for k in kiosks for cmd in k["commands"] if cmd["id"] == command_id), None)


def test_a_push_that_never_reaches_ready_is_rolled_back_by_the_next_start_and_reported(
        central, notify, tmp_path, capsys):
    etc, state = tmp_path / "etc" / "adm-kiosk", tmp_path / "var" / "lib" / "adm-kiosk"
    etc.mkdir(parents=True)
    state.mkdir(parents=True)
    base = installed_config(etc, state, central)
    etc_before = {p.name: p.read_bytes() for p in etc.iterdir()}
    log = tmp_path / "kiosk.log"
    started: list[Kiosk] = []
    try:
        # The kiosk runs on /etc's file.
        first = Kiosk(base, notify, log)
        started.append(first)
        assert first.ready(), log.read_text()[-3000:]
        # The operator pushes a config that check-config accepts but no kiosk can start on.
        broken = yaml.safe_load(base.read_text())
        broken["storage"]["state_dir"] = "/proc/adm-kiosk-state"
        pushed_file = tmp_path / "pushed.yaml"
        pushed_file.write_text(yaml.safe_dump(broken), encoding="utf-8")
        assert adm_central(["command", "--data", str(central.data_dir), central.summary["kiosk_id"], "config",
                            "--file", str(pushed_file)]) == 0
        command_id = json.loads(capsys.readouterr().out)["id"]
        first.ended(timeout=60)  # staged at the next heartbeat; the kiosk stops for systemd to restart it
        files = PushFiles(state)
        assert in_use(base, state) == files.pushed and files.pushed.read_text() == pushed_file.read_text()
        assert json.loads(files.marker.read_text())["state"] == "staged"
        assert {p.name: p.read_bytes() for p in etc.iterdir()} == etc_before  # /etc untouched
        # diagnose and check-config say which file runs.
        diagnosed = subprocess.run([sys.executable, "-m", "kiosk.cli", "diagnose", "--no-central", "--json",
                                    "--config", str(base)], capture_output=True, text=True, timeout=120, cwd=ROOT,
                                   env={**os.environ, "CUPS_SERVER": f"127.0.0.1:{free_port()}"})
        assert json.loads(diagnosed.stdout)["config"] == {"file": str(files.pushed), "pushed": True}
        checked = subprocess.run([sys.executable, "-m", "kiosk.cli", "check-config", "--demo", str(base)],
                                 capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert f"the kiosk runs on the config the operator pushed, {files.pushed}" in checked.stderr
        # systemd's restart: the pushed config is tried and the kiosk never reaches READY...
        second = Kiosk(base, notify, log)
        started.append(second)
        assert not second.ready()
        assert second.ended() != 0
        # ...so the next restart rolls it back to /etc's file, comes up, and tells the operator.
        third = Kiosk(base, notify, log)
        started.append(third)
        assert third.ready(), log.read_text()[-3000:]
        assert in_use(base, state) == base and not files.pushed.exists()
        deadline = time.monotonic() + 30
        while fleet_status(central, command_id, capsys) != "failed" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert fleet_status(central, command_id, capsys) == "failed"
        assert load_config(base).storage.state_dir == state
        assert {p.name: p.read_bytes() for p in etc.iterdir()} == etc_before
    finally:
        for kiosk in started:
            kiosk.stop()
