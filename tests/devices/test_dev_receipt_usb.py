"""The USB receipt printer end to end: the kiosk's driver, python-escpos and pyusb for real, on a fake pyusb
backend (no USB bus here): the ticket's bytes reach the bulk OUT endpoint, and the printer's real-time status
answers (DLE EOT) become its state."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from devices.base import MEDIA_EMPTY, MEDIA_LOW, OFFLINE_REPORT, DeviceOffline, DeviceState
from devices.receipt import Receipt, UsbReceiptPrinterConfig, receipt_bytes
from devices.registry import BuildContext
from tests.devices.fakeusb import PAPER_LOW, PAPER_OUT, FakeEscposBackend

WHEN = datetime(2026, 3, 4, 9, 30)


def usb_receipt_printer(backend: FakeEscposBackend, tmp_path: Path):
    config = UsbReceiptPrinterConfig(driver="usb", vendor_id="0x04b8", product_id="0x0202")
    return config.build(BuildContext("receipt_printer", tmp_path, usb_backend=backend))


def test_a_receipt_reaches_the_endpoint_byte_for_byte(tmp_path):
    backend = FakeEscposBackend()
    printer = usb_receipt_printer(backend, tmp_path)
    assert printer.status().state is DeviceState.READY
    printer.print_receipt(["1 x Kartu Keluarga"], qr="https://verify.example/x", title="DOKUMEN TERCETAK")
    expected = receipt_bytes(Receipt(("1 x Kartu Keluarga",), "DOKUMEN TERCETAK", "https://verify.example/x"))
    assert bytes(backend.written) == expected
    assert printer.status().counters == {"receipts": 1}


@pytest.mark.parametrize(("paper", "state", "reason"), [(PAPER_OUT, DeviceState.NEEDS_ATTENTION, MEDIA_EMPTY),
                                                        (PAPER_LOW, DeviceState.WARNING, MEDIA_LOW)])
def test_the_paper_sensor_answer_gives_the_state(tmp_path, paper, state, reason):
    status = usb_receipt_printer(FakeEscposBackend(paper=paper), tmp_path).status()
    assert (status.state, status.reasons) == (state, (reason,))


def test_a_printer_reporting_offline_or_unplugged_is_offline_and_refuses_a_ticket(tmp_path):
    status = usb_receipt_printer(FakeEscposBackend(online=False), tmp_path).status()
    assert (status.state, status.reasons) == (DeviceState.OFFLINE, (OFFLINE_REPORT,))
    unplugged = usb_receipt_printer(FakeEscposBackend(present=False), tmp_path)
    assert unplugged.status().state is DeviceState.OFFLINE
    with pytest.raises(DeviceOffline):
        unplugged.print_ticket("A-001", "Perekaman KTP-el", "2", WHEN)


def test_a_printer_that_takes_no_bytes_fails_the_ticket_instead_of_hanging(tmp_path):
    printer = usb_receipt_printer(FakeEscposBackend(stuck=True), tmp_path)
    start = time.monotonic()
    with pytest.raises(DeviceOffline):
        printer.print_ticket("A-001", "Perekaman KTP-el", "2", WHEN)
    assert time.monotonic() - start < 8  # the driver's USB timeout (5 s), not the 10 s call timeout
