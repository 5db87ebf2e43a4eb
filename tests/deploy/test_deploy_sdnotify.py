"""sd_notify: the datagrams systemd would receive, on a real AF_UNIX socket (path and abstract)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import sdnotify
from kiosk.sdnotify import Notifier

ROOT = Path(__file__).resolve().parents[2]


class Listener:
    """What systemd does: a datagram socket that NOTIFY_SOCKET names."""

    def __init__(self, address: str | bytes, name: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(10)
        self.name = name

    def receive(self, timeout: float = 10) -> str:
        self.sock.settimeout(timeout)
        return self.sock.recv(4096).decode()

    def receive_until(self, wanted: str, timeout: float) -> list[str]:
        """Messages up to and including one that holds the line ``wanted``."""
        messages = []
        while True:
            message = self.receive(timeout)
            messages.append(message)
            if wanted in message.splitlines():
                return messages

    def nothing_waiting(self) -> bool:
        self.sock.setblocking(False)
        try:
            self.sock.recv(4096)
        except BlockingIOError:
            return True
        finally:
            self.sock.setblocking(True)
        return False


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    path = tmp_path / "notify.sock"
    sink = Listener(str(path), str(path))
    yield sink
    sink.sock.close()


@pytest.fixture
def abstract_listener() -> Iterator[Listener]:
    name = f"adm-kiosk-test-{uuid.uuid4().hex}"
    sink = Listener(b"\0" + name.encode(), "@" + name)
    yield sink
    sink.sock.close()


def test_ready_watchdog_status_stopping_reach_the_socket(listener: Listener):
    notifier = Notifier({"NOTIFY_SOCKET": listener.name})
    assert notifier.ready("Layar utama siap")
    assert listener.receive() == "READY=1\nSTATUS=Layar utama siap"
    assert notifier.watchdog()
    assert listener.receive() == "WATCHDOG=1"
    assert notifier.status("Printer kartu: blanko habis")
    assert listener.receive() == "STATUS=Printer kartu: blanko habis"
    assert notifier.extend_timeout(2.5)
    assert listener.receive() == "EXTEND_TIMEOUT_USEC=2500000"
    assert notifier.stopping()
    assert listener.receive() == "STOPPING=1"
    notifier.close()


def test_abstract_socket_names_start_with_at(abstract_listener: Listener):
    notifier = Notifier({"NOTIFY_SOCKET": abstract_listener.name})
    assert notifier.ready()
    assert abstract_listener.receive() == "READY=1"
    notifier.close()


def test_status_is_one_short_line(listener: Listener):
    notifier = Notifier({"NOTIFY_SOCKET": listener.name})
    # A newline would smuggle a second assignment (READY=1 here) into the datagram.
    notifier.status("out of service\nREADY=1 " + "x" * 500)
    message = listener.receive()
    assert message.count("\n") == 0 and message.startswith("STATUS=out of service READY=1 x")
    assert len(message) <= len("STATUS=") + 200


def test_without_notify_socket_nothing_is_sent_and_nothing_fails(listener: Listener):
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.watchdog() is False
    assert notifier.watchdog_interval() is None
    assert listener.nothing_waiting()


def test_a_vanished_socket_is_logged_once_and_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    with caplog.at_level(logging.WARNING, logger="kiosk.sdnotify"):
        assert notifier.watchdog() is False
        assert notifier.watchdog() is False
    assert [r.getMessage() for r in caplog.records] == ["sdnotify.send_failed"]
    notifier.close()


@pytest.mark.parametrize(
    "environ,expected",
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getppid())}, 15.0),  # under cage
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # someone else's watchdog
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec_for_this_process(environ: dict, expected: float | None):
    if os.getppid() == 1 and environ.get("WATCHDOG_PID") == "1":
        pytest.skip("pid 1 is our parent here")
    assert Notifier({"NOTIFY_SOCKET": "/run/systemd/notify", **environ}).watchdog_interval() == expected


def test_module_functions_use_the_environment(listener: Listener, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NOTIFY_SOCKET", listener.name)
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.ready() and sdnotify.watchdog() and sdnotify.status("ok") and sdnotify.stopping("bye")
    assert [listener.receive() for _ in range(4)] == ["READY=1", "WATCHDOG=1", "STATUS=ok", "STOPPING=1\nSTATUS=bye"]
    assert sdnotify.watchdog_interval() == 2.0


def test_a_child_process_notifies_as_it_would_under_systemd(abstract_listener: Listener):
    # What kiosk.service does: the app is a child process that inherits NOTIFY_SOCKET and WATCHDOG_*.
    env = {**os.environ, "NOTIFY_SOCKET": abstract_listener.name, "WATCHDOG_USEC": "1000000"}
    env["WATCHDOG_PID"] = str(os.getpid())  # the main process (cage in production) is the child's parent
    code = (
        "from kiosk import sdnotify\n"
        "assert sdnotify.watchdog_interval() == 0.5, sdnotify.watchdog_interval()\n"
        "sdnotify.ready('attract'); sdnotify.watchdog()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert abstract_listener.receive() == "READY=1\nSTATUS=attract"
    assert abstract_listener.receive() == "WATCHDOG=1"


def _app_notifies() -> bool:
    """True once `adm-kiosk run` hands kiosk.sdnotify to the app (the lead wires it; see the report)."""
    return any(
        "sdnotify" in (ROOT / "kiosk" / f).read_text()
        for f in ("commands/run.py", "assembly.py", "ui/app.py")
        if (ROOT / "kiosk" / f).exists()
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.ui
@pytest.mark.heavy  # the whole app, headless
def test_the_real_app_started_headless_sends_ready_then_watchdog(abstract_listener: Listener, tmp_path: Path):
    if not _app_notifies():
        pytest.skip("`adm-kiosk run` does not call kiosk.sdnotify yet")
    import yaml

    from tests.factories import running_world

    with running_world(tmp_path / "central") as central:
        config = yaml.safe_load((ROOT / "kiosk" / "demo" / "config.yaml").read_text())
        config["central"] = {
            **config["central"],
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in central.client_config().items()},
        }
        for keys in ("signing_keys", "operator_keys"):
            config["central"][keys] = [
                {"key_id": key["key_id"], "public_key": str(key["public_key"])}
                for key in central.client_config()[keys]
            ]
        config["storage"]["state_dir"] = str(tmp_path / "state")
        config["metrics"] = {"enabled": True, "host": "127.0.0.1", "port": _free_port()}
        config_file = tmp_path / "config.yaml"
        config_file.write_text(yaml.safe_dump(config))

        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
        env.pop("WATCHDOG_PID", None)
        env.update(
            NOTIFY_SOCKET=abstract_listener.name,
            WATCHDOG_USEC="2000000",
            KIVY_NO_ARGS="1",
            KIVY_NO_CONFIG="1",
            KIVY_NO_FILELOG="1",
            KIVY_HOME=str(tmp_path / "kivy"),
            ESCPOS_CAPABILITIES_PICKLE_DIR=str(tmp_path / "escpos"),
            SDL_NO_SIGNAL_HANDLERS="1",  # as kiosk.service sets it, so that SIGTERM stops the app
        )
        log = tmp_path / "app.log"  # a file, not a pipe: a full pipe would stall the app and its watchdog
        with log.open("w") as stderr:
            app = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "run", "--demo", "--config", str(config_file)],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            abstract_listener.receive_until("READY=1", timeout=60)
            abstract_listener.receive_until("WATCHDOG=1", timeout=10)
            assert app.poll() is None, "the app exited after READY"
            app.terminate()  # what `systemctl stop` does first; the unit waits TimeoutStopSec=20s
            app.wait(timeout=15)
        except TimeoutError:
            pytest.fail(f"no READY=1 and WATCHDOG=1 from `adm-kiosk run`; its log ends:\n{log.read_text()[-3000:]}")
        finally:
            if app.poll() is None:
                app.terminate()
                try:
                    app.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    app.kill()
                    app.wait(timeout=30)


def test_the_pinger_sends_at_most_once_per_interval(listener: Listener):
    now = [100.0]
    notifier = Notifier({"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "10000000"})
    ping = notifier.pinger(clock=lambda: now[0])
    assert ping is not None
    sent = []
    for _ in range(30):  # UI ticks every 0.25 s for 7.5 s: the first tick pings, then one per 5 s
        sent.append(ping())
        now[0] += 0.25
    assert sent.count(True) == 2 and sent[0] is True and sent[20] is True
    assert [listener.receive(), listener.receive()] == ["WATCHDOG=1", "WATCHDOG=1"]
    assert listener.nothing_waiting()
    assert Notifier({"NOTIFY_SOCKET": listener.name}).pinger() is None  # no watchdog armed: nothing to schedule
