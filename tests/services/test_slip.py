"""After printing, the receipt printer prints a slip of the documents printed: types and counts, a QR to
verify, no personal data; the done screen knows whether it came out."""

from __future__ import annotations

import re

from kiosk.flow import Confirmed, Phase, PrintPressed, Screen
from kiosk.scans import ScanKind, classify


def print_everything(kiosk, resident: dict):
    kiosk.log_in(resident["nik"], resident["pin"])
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    return kiosk.wait(lambda s: s.screen is Screen.DONE and s.slip_printed is not None, "the slip", timeout=60)


def test_the_slip_lists_types_and_counts_with_a_verification_qr(kiosk):
    resident = kiosk.central.resident("ready")
    state = print_everything(kiosk, resident)
    assert [p.phase for p in state.progress] == [Phase.DONE] * 3 and state.slip_printed is True
    [text_file] = sorted(kiosk.receipts.glob("receipt-*.txt"))
    text = text_file.read_text()
    assert "DOKUMEN TERCETAK" in text
    # The service's titles (its catalogue), the same the documents screen showed.
    assert " 1 x Kartu Keluarga" in text and " 1 x Kutipan Akta Kelahiran" in text and " 1 x KTP Elektronik" in text
    assert "Jumlah: 3 dokumen" in text
    qr = re.search(r"^\[QR\] (\S+)$", text, re.M).group(1)
    assert classify(qr).kind is ScanKind.VERIFY
    assert classify(qr).value in kiosk.central.summary["verify_codes"]["active"]
    data = text_file.read_bytes() + text_file.with_suffix(".bin").read_bytes()
    for secret in (resident["nik"], resident["name"], *resident["name"].split(), resident["pin"]):
        assert secret.encode() not in data


def test_no_slip_when_the_receipt_printer_is_down_and_printing_still_ends(kiosk):
    kiosk.runtime.devices.receipt_printer.set_fault("media-empty")
    state = print_everything(kiosk, kiosk.central.resident("ready"))
    assert [p.phase for p in state.progress] == [Phase.DONE] * 3
    assert state.slip_printed is False
    assert not list(kiosk.receipts.glob("receipt-*"))
