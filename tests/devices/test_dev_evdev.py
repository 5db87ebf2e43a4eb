"""The evdev keyboard-wedge barcode reader on a fake ``evdev`` module (no /dev/uinput here): key events in,
sanitized scans out, the device grabbed, an unplugged reader OFFLINE and back when plugged in again."""

from __future__ import annotations

import queue
import sys

import pytest

from devices.barcode import EvdevBarcodeReader, EvdevBarcodeReaderConfig
from devices.base import LIBRARY_MISSING, OFFLINE_REPORT, DeviceState
from devices.registry import BuildContext
from tests.devices.fakeevdev import FakeEvdev
from tests.devices.waiting import seconds_until

PATH = "/dev/input/by-id/usb-Honeywell_Scanner-event-kbd"


@pytest.fixture
def evdev(monkeypatch) -> FakeEvdev:
    fake = FakeEvdev()
    monkeypatch.setitem(sys.modules, "evdev", fake)
    return fake


def started(tmp_path, scans: queue.Queue) -> EvdevBarcodeReader:
    config = EvdevBarcodeReaderConfig(driver="evdev", name="front", device=PATH, max_length=64)
    reader = config.build(BuildContext("front", tmp_path))
    reader.start(scans.put)
    return reader


def until(predicate, timeout: float = 5.0) -> bool:
    return seconds_until(predicate, timeout, 0.02) is not None


def test_key_events_become_one_clean_scan_and_the_reader_is_grabbed(evdev, tmp_path):
    keyboard = evdev.plug(PATH)
    scans: queue.Queue = queue.Queue()
    reader = started(tmp_path, scans)
    try:
        assert until(lambda: reader.status().state is DeviceState.READY)
        assert keyboard.grabbed  # its keystrokes reach no other window
        keyboard.type("https://adm.example/q/AB12-xy?t=Z9")
        assert scans.get(timeout=5) == "https://adm.example/q/AB12-xy?t=Z9"
        keyboard.type("x" * 100)  # longer than max_length: dropped, not cut
        keyboard.type("BOOK-0042")
        assert scans.get(timeout=5) == "BOOK-0042"
        assert reader.status().counters == {"scans": 2, "dropped": 1}
    finally:
        reader.stop()


def test_an_unplugged_reader_is_offline_and_reads_again_when_plugged_back(evdev, tmp_path):
    scans: queue.Queue = queue.Queue()
    reader = started(tmp_path, scans)  # not plugged in yet
    try:
        assert until(lambda: "cannot open" in reader.status().message)
        assert reader.status().reasons == (OFFLINE_REPORT,)
        keyboard = evdev.plug(PATH)
        assert until(lambda: reader.status().state is DeviceState.READY)
        keyboard.unplug()
        assert until(lambda: reader.status().state is DeviceState.OFFLINE)
        keyboard.plug()
        assert until(lambda: reader.status().state is DeviceState.READY, 5)
        keyboard.type("Q-0017")
        assert scans.get(timeout=5) == "Q-0017"
    finally:
        reader.stop()


def test_without_the_evdev_module_the_reader_says_so(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "evdev", None)  # import evdev raises ImportError
    reader = started(tmp_path, queue.Queue())
    status = reader.status()
    assert status.state is DeviceState.OFFLINE and status.reasons == (LIBRARY_MISSING,)
