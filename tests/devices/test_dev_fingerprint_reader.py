"""The libfprint fingerprint reader against libfprint's own virtual device (``FP_VIRTUAL_DEVICE``).

Nothing above libfprint is faked: the reader drives the real library in-process through PyGObject, and the
tests play the finger through the virtual device's socket (``SCAN id``, ``RETRY n``, ``ERROR n``, ``UNPLUG``),
from another thread while the reader's call runs, as the device takes a command only while libfprint
iterates its main context.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import (
    DEVICE_MISSING,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    FingerOutcome,
    SelfTestLevel,
)
from devices.fingerprint import LibfprintReader


def _missing() -> str:
    try:
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint  # noqa: F401
    except (ImportError, ValueError) as exc:
        return f"libfprint through PyGObject is not available ({exc}): Debian gir1.2-fprint-2.0, pip '.[cardlogin]'"
    return ""


pytestmark = pytest.mark.skipif(bool(_missing()), reason=_missing() or "runs")


class VirtualFinger:
    """Sends the virtual device its commands, one connection each, waiting until the device has taken it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads: list[threading.Thread] = []

    def send(self, *commands: str, delay: float = 0.0) -> None:
        """Send ``commands`` in order from a thread of their own (after ``delay`` seconds)."""

        def run() -> None:
            time.sleep(delay)
            for command in commands:
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.settimeout(10)
                    sock.connect(str(self.path))
                    sock.sendall(command.encode())
                    sock.recv(1)  # the device closes the connection once it has read the command

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


@pytest.fixture
def finger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> VirtualFinger:
    path = tmp_path / "virtual-fp.sock"
    monkeypatch.setenv("FP_VIRTUAL_DEVICE", str(path))
    return VirtualFinger(path)


@pytest.fixture
def reader(finger: VirtualFinger) -> Iterator[LibfprintReader]:
    device = LibfprintReader("fingerprint_reader", "virtual_device")
    try:
        yield device
    finally:
        finger.join()
        device.close()


@pytest.fixture
def template(reader: LibfprintReader, finger: VirtualFinger) -> bytes:
    """Alice's enrolled finger: the virtual device takes five scans."""
    assert reader.status().state is DeviceState.READY  # opens the device, which starts its socket
    finger.send(*["SCAN alice"] * 5)
    return reader.capture(timeout=10)


def test_a_captured_finger_matches_itself_and_not_another(reader, finger, template):
    finger.send("SCAN alice")
    started = time.monotonic()
    assert reader.verify(template, timeout=10).outcome is FingerOutcome.MATCH
    print(f"\nverify took {1000 * (time.monotonic() - started):.1f} ms")
    finger.send("SCAN bob")
    assert reader.verify(template, timeout=10).outcome is FingerOutcome.NO_MATCH
    counters = reader.status().counters
    assert counters["matches"] == 1 and counters["no_matches"] == 1 and counters["captures"] == 1
    reader.close()  # as the kiosk does at shutdown, or diagnostics after it: asked again, it opens again
    assert reader.status().state is DeviceState.READY


@pytest.mark.parametrize("code, word", [(0, "general"), (1, "too-short"), (2, "center-finger"), (3, "remove-finger")])
def test_a_poor_scan_asks_to_try_again_with_why(reader, finger, template, code, word):
    finger.send(f"RETRY {code}")
    result = reader.verify(template, timeout=10)
    assert result.outcome is FingerOutcome.RETRY and result.retry == word
    finger.send("SCAN alice")
    assert reader.verify(template, timeout=10).outcome is FingerOutcome.MATCH


def test_a_device_error_is_a_typed_error_and_the_reader_goes_on(reader, finger, template):
    finger.send("ERROR 5")  # FP_DEVICE_ERROR_PROTO
    with pytest.raises(DeviceError) as caught:
        reader.verify(template, timeout=10)
    assert not isinstance(caught.value, DeviceOffline)
    finger.send("SCAN alice")
    assert reader.verify(template, timeout=10).outcome is FingerOutcome.MATCH


# A cancel runs on the reader's worker thread (devices/fingerprint.py, LibfprintReader._cancel). Cancelled from
# another thread, GLib logged "g_source_unref: assertion 'source != NULL' failed" in 10 of 40 runs of these two
# tests on a loaded machine (0 of 40 since); PyGObject makes that a warning, an error here.
@pytest.mark.filterwarnings("error::Warning")
def test_no_finger_is_a_timeout_within_the_bound(reader, template):
    started = time.monotonic()
    with pytest.raises(DeviceTimeout):
        reader.verify(template, timeout=1.0)
    assert time.monotonic() - started < 1.0 + 2.5  # the bound plus the cancellation's grace
    assert reader.status().state is DeviceState.READY


@pytest.mark.filterwarnings("error::Warning")  # see the test above
def test_cancel_ends_a_wait_for_a_finger_at_once_and_the_reader_goes_on(reader, finger, template):
    """The kiosk cancels a capture nobody waits for (the resident left), so the next finger is the next
    visitor's."""
    ended: list[BaseException] = []

    def wait() -> None:
        try:
            reader.verify(template, timeout=30)
        except DeviceTimeout as exc:
            ended.append(exc)

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not reader._busy.is_set() and time.monotonic() < deadline:  # libfprint's verify is under way
        time.sleep(0.01)
    started = time.monotonic()
    reader.cancel()
    thread.join(5)
    assert ended, "the verify went on waiting for a finger after cancel()"
    assert time.monotonic() - started < 2.5
    finger.send("SCAN alice")
    assert reader.verify(template, timeout=10).outcome is FingerOutcome.MATCH
    reader.cancel()  # nothing waits: nothing happens


def test_unplugged_during_a_verify_is_offline_and_stays_so_until_it_is_back(reader, finger, template, monkeypatch):
    finger.send("UNPLUG", delay=0.3)
    with pytest.raises(DeviceOffline):
        reader.verify(template, timeout=10)
    monkeypatch.delenv("FP_VIRTUAL_DEVICE")  # no longer enumerated: as a real reader pulled out
    status = reader.status()
    assert status.state is DeviceState.OFFLINE and status.reasons == (DEVICE_MISSING,)
    assert not reader.self_test(SelfTestLevel.INTERNAL).passed


def test_not_a_template_is_refused_before_any_scan(reader):
    with pytest.raises(ValueError):
        reader.verify(b"not a print", timeout=1)


def test_without_a_device_the_reader_is_offline(monkeypatch):
    monkeypatch.delenv("FP_VIRTUAL_DEVICE", raising=False)
    device = LibfprintReader("fingerprint_reader", "virtual_device")
    try:
        assert device.status().reasons == (DEVICE_MISSING,)
        with pytest.raises(DeviceOffline):
            device.capture(timeout=1)
    finally:
        device.close()


def test_discovery_lists_the_virtual_device_and_a_libfprint_reader_could_drive_it(finger):
    from devices.discovery import claim, fingerprint_readers

    found = fingerprint_readers()
    assert [item["driver"] for item in found.items] == ["virtual_device"]
    claim({"fingerprint": found}, [])
    assert found.items[0]["drivers"] == ["fingerprint_reader/libfprint"]
