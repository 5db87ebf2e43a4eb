"""Receipt layouts vs python-escpos Dummy, a network receipt printer, the serial reader over a pty, the USB probe."""

from __future__ import annotations

import array
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
class _Desc:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class FakeUsbBackend:
    """A pyusb backend (usb.backend.IBackend) holding one USB printer; the only fake in these tests."""

    def __init__(self, present=True, port_status=0x18, device_id=b"MFG:Evolis;MDL:Primacy 2;CMD:EVOLIS;"):
        self.present, self.port_status, self.device_id = present, port_status, device_id
        self.requests: list[tuple[int, int, int, int]] = []

    def enumerate_devices(self):
        return ["printer"] if self.present else []

    def get_device_descriptor(self, dev):
        return _Desc(bLength=18, bDescriptorType=1, bcdUSB=0x200, bDeviceClass=0, bDeviceSubClass=0,
                     bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=0x0C16, idProduct=0x0006, bcdDevice=1,
                     iManufacturer=0, iProduct=0, iSerialNumber=0, bNumConfigurations=1, address=1, bus=1,
                     port_number=1, port_numbers=(1,), speed=3)

    def get_configuration_descriptor(self, dev, config):
        return _Desc(bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1, bConfigurationValue=1,
                     iConfiguration=0, bmAttributes=0xC0, bMaxPower=1, extra_descriptors=[])

    def get_interface_descriptor(self, dev, intf, alt, config):
        if intf != 0 or alt != 0:
            raise IndexError
        return _Desc(bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0, bNumEndpoints=0,
                     bInterfaceClass=7, bInterfaceSubClass=1, bInterfaceProtocol=2, iInterface=0,
                     extra_descriptors=[])

    def open_device(self, dev):
        return "handle"

    def close_device(self, handle):
        pass

    def claim_interface(self, handle, intf):
        pass

    def release_interface(self, handle, intf):
        pass

    def get_configuration(self, handle):
        return 1

    def ctrl_transfer(self, handle, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        self.requests.append((bmRequestType, bRequest, wValue, wIndex))
        if bRequest == 0:
            payload = (len(self.device_id) + 2).to_bytes(2, "big") + self.device_id
        else:
            payload = bytes([self.port_status])
        n = min(len(payload), len(data))
        data[:n] = array.array("B", payload[:n])
        return n


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
