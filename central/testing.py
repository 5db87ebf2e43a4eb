"""Start a seeded reference server for tests and demos: ``with running_central(tmp_dir) as central: ...``.

Plain code, no pytest, so any test suite (or the kiosk demo) can start the same server the central
tests use. Nothing here imports the kiosk: ``client_config()`` returns the ``central:`` section of a
kiosk config as plain data (build ``kiosk.config.CentralSection(**central.client_config())``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.fleet import OPERATOR_KEY_ID, OPERATOR_PUB_FILE
from central.seed import SUMMARY_FILE, seed
from central.server import KEEP_ALIVE_S, ServerHandle, run_in_thread
from central.whatsapp import Message, WhatsAppGateway


@dataclass
class RunningCentral:
    """A seeded data directory and the server running on it."""

    data_dir: Path
    summary: dict
    handle: ServerHandle

    @property
    def url(self) -> str:
        return self.handle.url

    def resident(self, role: str) -> dict:
        """A seeded resident by role: 'ready', 'ready_woman', 'waiting', 'printed' or 'ready_family'."""
        return next(r for r in self.summary["residents"] if r["role"] == role)

    def client_config(self, **overrides: Any) -> dict:
        """The kiosk's ``central:`` config section for this server, with ``overrides`` applied."""
        config: dict[str, Any] = {
            "url": self.url,
            "ca_file": self.data_dir / "ca.pem",
            "client_cert": self.data_dir / "kiosk.pem",
            "client_key": self.data_dir / "kiosk.key",
            "signing_keys": [{"key_id": self.summary["key_id"], "public_key": self.data_dir / "signing.pub"}],
            "operator_keys": [{"key_id": OPERATOR_KEY_ID, "public_key": self.data_dir / OPERATOR_PUB_FILE}],
        }
        config.update(overrides)
        return config

    def outbox(self) -> list[Message]:
        """Messages the simulated WhatsApp gateway has sent, once the PIN requests made so far are handled."""
        self.handle.store.drain()
        return WhatsAppGateway(self.data_dir).messages()

    def stop(self) -> None:
        self.handle.stop()


def start_central(data_dir: Path | str, *, keep_alive_s: float = KEEP_ALIVE_S,
                  **seed_options: Any) -> RunningCentral:
    """Seed ``data_dir`` (must hold no world yet) and start the server on a free loopback port.

    ``keep_alive_s``: the server's keep-alive (default the production 5 s; see :func:`run_in_thread`).
    """
    data = Path(data_dir)
    summary = seed(data, **seed_options)
    return RunningCentral(data, summary, run_in_thread(data, "127.0.0.1", 0, keep_alive_s=keep_alive_s))


def copy_world(template: Path | str, data_dir: Path | str) -> dict:
    """Copy a seeded (not running) data directory: a fresh world in milliseconds instead of a new seed. Its
    summary (also in its summary file), whose ``data_dir`` names the copy; PINs are the template's."""
    data = Path(data_dir)
    shutil.copytree(template, data, dirs_exist_ok=True)
    summary = json.loads((data / SUMMARY_FILE).read_text(encoding="utf-8"))
    summary["data_dir"] = str(data.resolve())
    (data / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def clone_world(template: Path | str, data_dir: Path | str, *, keep_alive_s: float = KEEP_ALIVE_S) -> RunningCentral:
    """:func:`copy_world`, and a server started on the copy."""
    summary = copy_world(template, data_dir)
    return RunningCentral(Path(data_dir), summary, run_in_thread(data_dir, "127.0.0.1", 0,
                                                                 keep_alive_s=keep_alive_s))


@contextmanager
def running_central(data_dir: Path | str, *, keep_alive_s: float = KEEP_ALIVE_S,
                    **seed_options: Any) -> Iterator[RunningCentral]:
    """:func:`start_central` as a context manager that always stops the server."""
    central = start_central(data_dir, keep_alive_s=keep_alive_s, **seed_options)
    try:
        yield central
    finally:
        central.stop()
