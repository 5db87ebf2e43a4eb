"""Receipt layouts vs python-escpos Dummy, a network receipt printer, the serial reader over a pty, the USB probe."""

from __future__ import annotations

import os
import threading
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.barcode import ScanSanitizer, SerialBarcodeReader
from devices.base import DeviceState
from devices.receipt import EscposReceiptPrinter, escpos_module
from devices.simulated import SimulatedReceiptPrinter
from devices.usbprobe import UsbPrinterProbe
from tests.devices.cupsd import free_port
from tests.devices.fakeusb import FakeUsbBackend

WHEN = datetime(2026, 3, 4, 9, 30)


def expected_ticket() -> bytes:
    # The layout spelled out call by call on python-escpos's own Dummy printer.
    p = escpos_module().Dummy(profile="TM-T88V")
    p.set_with_default(align="center")
    p.textln("NOMOR ANTRIAN")
    p.set_with_default(align="center", bold=True, custom_size=True, width=4, height=4)
    p.textln("A-017")
    p.set_with_default(align="center", bold=True)
    p.textln("Cetak KTP-el")
    p.set_with_default(align="center")
    p.textln("Loket 2")
    p.textln("04-03-2026 09:30")
    p.qr("https://antrian.example/A-017", size=6, native=True)
    p.cut()
    return p.output


def test_simulated_ticket_bytes_match_python_escpos(tmp_path):
    SimulatedReceiptPrinter("r", tmp_path).print_ticket("A-017", "Cetak KTP-el", "2", WHEN,
                                                        qr="https://antrian.example/A-017")
    assert (tmp_path / "receipt-1.bin").read_bytes() == expected_ticket()


def test_network_receipt_printer_sends_the_layout(listener):
    p = EscposReceiptPrinter("receipt_printer", "network", {"host": "127.0.0.1", "port": listener.port, "timeout": 5})
    p.print_ticket("A-017", "Cetak KTP-el", "2", WHEN, qr="https://antrian.example/A-017")
    assert listener.wait() == expected_ticket()


def test_unreachable_network_receipt_printer_is_offline():
    p = EscposReceiptPrinter("receipt_printer", "network", {"host": "127.0.0.1", "port": free_port(), "timeout": 2})
    assert p.status().state is DeviceState.OFFLINE


def test_escpos_import_leaves_logging_alone():
    import logging

    escpos_module()
    assert not [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]


# ----------------------------------------------------------------------------- serial reader over a pty
@pytest.fixture
def pty_reader():
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    path = os.ttyname(slave)
    reader = SerialBarcodeReader("front", path, max_length=32, partial_timeout_s=0.3, reconnect_interval_s=0.1)
    got: list[str] = []
    arrived = threading.Event()

    def on_scan(scan: str) -> None:
        got.append(scan)
        arrived.set()

    reader.start(on_scan)
    assert reader.wait_connected(5)
    yield reader, master, got, arrived
    reader.stop()
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def wait_for(arrived: threading.Event, got: list[str], count: int, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if len(got) >= count:
            return
        arrived.wait(0.05)
        arrived.clear()
    raise AssertionError(f"expected {count} scans, got {got}")


def test_serial_scans_garbage_partial_and_long_lines(pty_reader):
    reader, master, got, arrived = pty_reader
    os.write(master, b"FIRST123\r")
    wait_for(arrived, got, 1)
    os.write(master, b"bad\x01\xffline\r" + b"Y" * 100 + b"\r")
    os.write(master, b"PARTIAL")  # never finished: dropped after partial_timeout_s
    threading.Event().wait(0.6)
    os.write(master, b"SECOND\r\n")
    wait_for(arrived, got, 2)
    assert got == ["FIRST123", "SECOND"]
    assert reader.sanitizer.dropped == 3
    assert reader.status().state is DeviceState.READY


def test_serial_reader_reports_a_missing_port_offline(tmp_path):
    reader = SerialBarcodeReader("front", str(tmp_path / "ttyACM9"), reconnect_interval_s=0.1)
    assert reader.status().state is DeviceState.OFFLINE
    reader.start(lambda scan: None)
    try:
        assert not reader.wait_connected(0.3)
        assert reader.status().reasons == ("offline-report",)
    finally:
        reader.stop()


def test_serial_reader_reconnects_when_the_device_comes_back(tmp_path):
    import pty
    import tty

    link = tmp_path / "ttyACM0"
    master, slave = pty.openpty()
    tty.setraw(slave)
    link.symlink_to(os.ttyname(slave))
    got: list[str] = []
    reader = SerialBarcodeReader("front", str(link), reconnect_interval_s=0.1)
    reader.start(got.append)
    try:
        assert reader.wait_connected(5)
        os.close(master)  # unplug: the reader's reads fail
        os.close(slave)
        link.unlink()
        for _ in range(100):
            if reader.status().state is DeviceState.OFFLINE:
                break
            threading.Event().wait(0.05)
        assert reader.status().state is DeviceState.OFFLINE
        master, slave = pty.openpty()  # plugged in again
        tty.setraw(slave)
        link.symlink_to(os.ttyname(slave))
        assert reader.wait_connected(5)
        os.write(master, b"AGAIN\r")
        for _ in range(100):
            if got:
                break
            threading.Event().wait(0.05)
        assert got == ["AGAIN"] and reader.reconnects >= 1
    finally:
        reader.stop()
        for fd in (master, slave):
            try:
                os.close(fd)
            except OSError:
                pass


@given(chunks=st.lists(st.binary(max_size=80), max_size=20), gaps=st.lists(st.floats(0, 1), max_size=20))
def test_sanitizer_never_raises_and_only_passes_clean_scans(chunks, gaps):
    sanitizer = ScanSanitizer(max_length=24, terminator=b"\r", partial_timeout_s=0.5)
    now = 0.0
    for i, chunk in enumerate(chunks):
        now += gaps[i] if i < len(gaps) else 0.0
        for scan in sanitizer.feed(chunk, now):
            assert 1 <= len(scan) <= 24 and all(" " <= c <= "~" for c in scan)


# ----------------------------------------------------------------------------- USB probe, fake pyusb backend
def test_usb_probe_reads_the_1284_id_and_a_ready_port():
    backend = FakeUsbBackend()
    probe = UsbPrinterProbe(0x0C16, 0x0006, backend=backend)
    result = probe.probe()
    assert result.device_id == {"MFG": "Evolis", "MDL": "Primacy 2", "CMD": "EVOLIS"}
    assert probe.status().state is DeviceState.READY
    assert (0xA1, 0, 0, 0) in backend.requests and (0xA1, 1, 0, 0) in backend.requests


def test_usb_paper_empty_bit_gives_media_empty():
    status = UsbPrinterProbe(0x0C16, 0x0006, backend=FakeUsbBackend(port_status=0x38)).status()
    assert status.state is DeviceState.NEEDS_ATTENTION and status.reasons == ("media-empty",)


def test_usb_not_selected_or_missing_is_offline():
    assert UsbPrinterProbe(0x0C16, 0x0006, backend=FakeUsbBackend(port_status=0x08)).status().state \
        is DeviceState.OFFLINE
    status = UsbPrinterProbe(0x0C16, 0x0006, backend=FakeUsbBackend(present=False)).status()
    assert status.state is DeviceState.OFFLINE and "offline-report" in status.reasons
