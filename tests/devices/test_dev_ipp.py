"""The IPP status probe's encoding and decoding (the wire against ippeveprinter is in test_dev_cups_ipp.py)."""

from __future__ import annotations

import struct

import pytest

from devices.ipp import IppError, IppPrinter, IppResponse, decode_response, supply_levels


def attr(tag: int, name: str, value: bytes) -> bytes:
    return struct.pack(">BH", tag, len(name)) + name.encode() + struct.pack(">H", len(value)) + value


def answer(*attrs: bytes, status: int = 0) -> bytes:
    return struct.pack(">BBHI", 1, 1, status, 1) + b"\x04" + b"".join(attrs) + b"\x03"


def test_values_decode_and_collections_are_skipped_without_losing_the_next_attribute():
    data = answer(
        attr(0x23, "printer-state", struct.pack(">i", 5)),
        attr(0x44, "printer-state-reasons", b"media-empty-error"), attr(0x44, "", b"toner-low-warning"),
        attr(0x34, "media-col-ready", b""), attr(0x4A, "", b"media-size"), attr(0x34, "", b""),
        attr(0x4A, "", b"x-dimension"), attr(0x21, "", struct.pack(">i", 21000)), attr(0x37, "", b""),
        attr(0x37, "", b""),
        attr(0x22, "printer-is-accepting-jobs", b"\x00"),
    )
    got = decode_response(data).attributes
    assert got == {"printer-state": [5], "printer-state-reasons": ["media-empty-error", "toner-low-warning"],
                   "printer-is-accepting-jobs": [False]}


@pytest.mark.parametrize("data", [b"", b"\x01\x01\x00", answer(attr(0x23, "printer-state", b"\x00\x00\x00\x03"))[:-4]])
def test_a_short_or_cut_answer_is_an_ipp_error(data):
    with pytest.raises(IppError):
        decode_response(data)


def test_supply_levels_from_markers_and_from_printer_supply():
    markers = IppResponse(0, {"marker-names": ["Black Toner", "Cyan Ink"], "marker-levels": [40, -1]})
    assert supply_levels(markers) == {"black-toner": 40}
    supplies = IppResponse(0, {
        "printer-supply": ["index=1;class=receptacleThatIsFilled;type=wasteToner;maxcapacity=100;level=25;",
                           "index=2;class=supplyThatIsConsumed;type=toner;maxcapacity=200;level=50;colorantname=black;",
                           "index=3;class=supplyThatIsConsumed;type=ink;maxcapacity=100;level=-2;colorantname=cyan;"],
        "printer-supply-description": ["Waste", "Black Toner", "Cyan Ink"]})
    assert supply_levels(supplies) == {"black-toner": 25}


def test_only_ipp_uris_are_probed():
    assert IppPrinter.from_uri("ipps://printer.lan/ipp/print") == IppPrinter("printer.lan", 631, "/ipp/print", True)
    assert str(IppPrinter.from_uri("ipp://10.0.0.5:8631/ipp/print")) == "10.0.0.5:8631"
    for uri in ("socket://10.0.0.5:9100", "usb://Evolis/Primacy", "dnssd://x._ipp._tcp.local/", "", "ipp:///x"):
        assert IppPrinter.from_uri(uri) is None


def test_a_printer_answering_a_byte_at_a_time_cannot_hold_the_probe_past_its_timeout():
    import socket
    import threading
    import time

    from devices.ipp import get_printer_attributes

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def drip() -> None:
        conn, _ = server.accept()
        with conn:
            for byte in b"HTTP/1.0 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"\x00" * 5000:
                if stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))

    threading.Thread(target=drip, daemon=True).start()
    start = time.monotonic()
    try:
        with pytest.raises(IppError, match="within 1 s"):
            get_printer_attributes(IppPrinter("127.0.0.1", server.getsockname()[1], "/ipp/print", False), 1.0)
        assert time.monotonic() - start < 1.5
    finally:
        stop.set()
        server.close()
