"""The server's rules where time matters, with a controlled clock (no waiting) on a copy of the seeded world."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from central.contract import ErrorCode
from central.seed import SUMMARY_FILE
from central.store import BASE_LOCK_S, DB_FILE, Store, StoreError


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> tuple[Store, Clock, dict]:
    data = tmp_path / "world"
    shutil.copytree(world_template, data)
    clock = Clock()
    store = Store(data, clock=clock)
    yield store, clock, json.loads((data / SUMMARY_FILE).read_text())
    store.close()


def _resident(summary: dict, role: str) -> dict:
    return next(r for r in summary["residents"] if r["role"] == role)


def _wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def _lock_out(store: Store, nik: str, pin: str) -> int:
    """Enter wrong PINs until locked; return the lock in seconds."""
    for _ in range(4):
        with pytest.raises(StoreError) as refused:
            store.login(nik, pin)
        assert refused.value.code == ErrorCode.INVALID_CREDENTIALS
    with pytest.raises(StoreError) as locked:
        store.login(nik, pin)
    assert locked.value.code == ErrorCode.LOCKED
    return locked.value.retry_after_s


def test_lockouts_double(world):
    store, clock, summary = world
    resident = _resident(summary, "ready")
    wrong = _wrong(resident["pin"])
    assert _lock_out(store, resident["nik"], wrong) == BASE_LOCK_S
    clock.now += BASE_LOCK_S + 1
    assert _lock_out(store, resident["nik"], wrong) == 2 * BASE_LOCK_S
    clock.now += 2 * BASE_LOCK_S + 1
    assert _lock_out(store, resident["nik"], wrong) == 4 * BASE_LOCK_S
    clock.now += 4 * BASE_LOCK_S + 1
    assert store.login(resident["nik"], resident["pin"]).masked_name  # after the lock, the right PIN works


def test_unknown_niks_lock_like_known_ones(world):
    store, _, _ = world
    assert _lock_out(store, "3273010101900009", "123456") == BASE_LOCK_S


def test_pins_expire_after_seven_days(world):
    store, clock, summary = world
    resident = _resident(summary, "ready_woman")
    # Issued on this clock: the template's PIN was issued when the template was seeded, which may be minutes ago.
    pin = store.issue_pin(resident["nik"]).pin
    clock.now += 7 * 24 * 3600 - 60
    store.login(resident["nik"], pin)
    clock.now += 120
    with pytest.raises(StoreError) as expired:
        store.login(resident["nik"], pin)
    assert expired.value.code == ErrorCode.INVALID_CREDENTIALS  # the same words as a wrong PIN


def test_sessions_expire(world):
    store, clock, summary = world
    resident = _resident(summary, "ready_woman")
    session = store.login(resident["nik"], resident["pin"])
    store.documents(session.token)
    clock.now += store.session_ttl_s + 1
    with pytest.raises(StoreError) as expired:
        store.documents(session.token)
    assert expired.value.code == ErrorCode.SESSION_EXPIRED


def test_the_database_holds_no_pin_or_token_in_clear(world):
    store, _, summary = world
    resident = _resident(summary, "ready")
    token = store.login(resident["nik"], resident["pin"]).token
    raw = b"".join(p.read_bytes() for p in store.data_dir.glob(DB_FILE + "*"))
    assert raw  # the check reads the real files
    for secret in [r["pin"] for r in summary["residents"] if r["pin"]] + [token, resident["qr_token"]]:
        assert secret.encode() not in raw
