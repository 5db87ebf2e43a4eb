"""Fixtures for device tests: a private cupsd, socket listeners that play a printer, pty serial pairs.

Other test packages reuse the daemon with ``from tests.devices.conftest import cupsd  # noqa: F401`` in
their conftest, or use :class:`tests.devices.cupsd.PrivateCupsd` directly.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.devices.cupsd import PrivateCupsd  # noqa: E402


@pytest.fixture
def config_data(tmp_path: Path) -> dict:
    """The demo's config as a dict, its state directory in ``tmp_path``."""
    import yaml

    data = yaml.safe_load((ROOT / "kiosk" / "demo" / "config.yaml").read_text())
    data["storage"]["state_dir"] = str(tmp_path / "state")
    return data


@pytest.fixture(scope="session")
def cupsd() -> Iterator[PrivateCupsd]:
    """One private CUPS daemon for the session (non-root, loopback, random port, own config directory)."""
    daemon = PrivateCupsd().start()
    try:
        yield daemon
    finally:
        daemon.stop()


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection's bytes (a raw printer, port 9100 style)."""

    def __init__(self, read: bool = True) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.read = read
        self.received: list[bytes] = []
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.read:  # a stuck printer: hold the connection open, never read
                self._stop.wait()
                conn.close()
                return
            chunks = []
            with conn:
                conn.settimeout(10)
                while True:
                    try:
                        data = conn.recv(65536)
                    except (TimeoutError, OSError):
                        break
                    if not data:
                        break
                    chunks.append(data)
            self.received.append(b"".join(chunks))
            self.done.set()

    def wait(self, timeout: float = 10.0) -> bytes:
        assert self.done.wait(timeout), "nothing arrived at the listener"
        return self.received[-1]

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback TCP listener that records what a printer would receive."""
    lst = Listener()
    yield lst
    lst.close()
