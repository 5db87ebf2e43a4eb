"""The central data directory (residents, documents, PINs in the WhatsApp outbox) is its owner's alone."""

from __future__ import annotations

import stat
from pathlib import Path

from central.seed import SUMMARY_FILE, seed
from central.server import run_in_thread
from central.store import DB_FILE
from central.whatsapp import OUTBOX_FILE

PRIVATE = (DB_FILE, OUTBOX_FILE, SUMMARY_FILE, "ca.key", "server.key", "kiosk.key", "signing.key")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_private(data: Path) -> None:
    assert _mode(data) == 0o700, oct(_mode(data))
    for path in sorted(data.iterdir()):
        assert _mode(path) & 0o077 == 0, f"{path.name} is {oct(_mode(path))}"
    for name in PRIVATE:
        assert _mode(data / name) == 0o600, name


def test_seed_leaves_nothing_readable_by_others(tmp_path: Path):
    data = tmp_path / "central"
    seed(data)
    _assert_private(data)


def test_serving_keeps_the_database_files_private(tmp_path: Path, make_client):
    from central.testing import RunningCentral

    data = tmp_path / "central"
    summary = seed(data)
    handle = run_in_thread(data)
    try:
        running = RunningCentral(data, summary, handle)
        resident = running.resident("ready")
        make_client(running).login(resident["nik"], resident["pin"])  # a write: the WAL file appears
        assert (data / (DB_FILE + "-wal")).exists() and (data / (DB_FILE + "-shm")).exists()
        _assert_private(data)
    finally:
        handle.stop()


def test_an_existing_world_is_made_private_when_served(tmp_path: Path):
    data = tmp_path / "central"
    seed(data)
    data.chmod(0o755)
    for name in (DB_FILE, OUTBOX_FILE, SUMMARY_FILE):
        (data / name).chmod(0o644)
    handle = run_in_thread(data)
    try:
        _assert_private(data)
    finally:
        handle.stop()
