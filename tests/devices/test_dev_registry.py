"""The driver registry: config from the registry, devices built through it, discovery claimed by drivers;
the self-test page and card; the page count that paper accounting rests on."""

from __future__ import annotations

import copy
import io
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pytest
import yaml
from PIL import Image
from pydantic import Field
from pypdf import PdfReader

from devices import registry
from devices.base import (
    CARD_HEIGHT_PX,
    CARD_WIDTH_PX,
    BarcodeReader,
    CardJob,
    CardPrinter,
    DeviceState,
    DeviceStatus,
    DocumentPrinter,
    JobResult,
    ReceiptPrinter,
    SelfTestLevel,
    SelfTestResult,
    check_card,
    pdf_page_count,
)
from devices.discovery import Found, claim, usb_printers
from devices.testprint import TEST_PAGE_TITLE, make_test_card, make_test_page
from kiosk.config import ConfigError, parse_config
from kiosk.hardware import Devices, build_devices
from tests.devices.test_dev_receipt_serial_usb import FakeUsbBackend

ROOT = Path(__file__).resolve().parents[2]


def parse(data: dict):
    return parse_config(copy.deepcopy(data), base_dir=ROOT / "kiosk")


# ----------------------------------------------------------------------------- a printer with its own protocol
class AcmeCardPrinter:
    """A card printer speaking its own protocol: all a new model needs is a class like this and its config."""

    kind = "card_printer"
    driver = "acme"

    def __init__(self, name: str, port: str) -> None:
        self.name, self.port = name, port
        self.cards: list[str] = []

    def open(self) -> None: ...
    def close(self) -> None: ...

    def status(self) -> DeviceStatus:
        return DeviceStatus(DeviceState.READY, (), f"acme on {self.port}")

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        return SelfTestResult(SelfTestLevel(level), True, "ok")

    def submit(self, job: CardJob, progress: Callable[[float], None] | None = None,
               timeout: float | None = None) -> JobResult:
        self.cards.append(job.job_id)
        return JobResult(job.job_id, 1)

    def cancel(self, job_id: str) -> None: ...


class AcmeCardPrinterConfig(registry.DriverConfig):
    """An ACME card printer on a serial port."""

    driver: Literal["acme"]
    port: str = Field(..., description="Serial port of the printer.")

    def build(self, context: registry.BuildContext) -> AcmeCardPrinter:
        return AcmeCardPrinter(context.name, self.port)

    def owns(self, found: registry.Discovered) -> bool:
        return registry.same_serial_port(self.port, found)


@pytest.fixture
def acme() -> Iterator[None]:
    registry.register_driver(registry.DriverSpec("card_printer", "acme", AcmeCardPrinterConfig))
    try:
        yield
    finally:
        registry.unregister_driver("card_printer", "acme")


def test_a_driver_registered_elsewhere_is_configured_and_built_with_no_other_edit(acme, config_data):
    config_data["devices"]["card_printer"] = {"driver": "acme", "port": "/dev/ttyS3"}
    config = parse(config_data)
    devices = build_devices(config)
    assert isinstance(devices.card_printer, AcmeCardPrinter) and devices.card_printer.port == "/dev/ttyS3"
    assert devices.card_printer.name == "card_printer"
    config_data["devices"]["card_printer"] = {"driver": "acme", "prot": "/dev/ttyS3"}
    with pytest.raises(ConfigError) as info:
        parse(config_data)
    assert "devices.card_printer.prot: unknown key (did you mean 'port'?)" in [str(p) for p in info.value.problems]


def test_an_unregistered_driver_is_a_config_error_naming_the_known_ones(config_data):
    config_data["devices"]["card_printer"] = {"driver": "acme", "port": "/dev/ttyS3"}
    with pytest.raises(ConfigError) as info:
        parse(config_data)
    problems = [str(p) for p in info.value.problems]
    assert problems == ["devices.card_printer.driver: 'acme' is not one of: cups, simulated"]


@runtime_checkable
class QueueDisplay(Protocol):
    name: str
    kind: str
    driver: str

    def show(self, number: str) -> None: ...


class IdleDisplay:
    kind, driver = "queue_display", "idle"

    def __init__(self, name: str) -> None:
        self.name = name

    def show(self, number: str) -> None: ...
    def open(self) -> None: ...
    def close(self) -> None: ...

    def status(self) -> DeviceStatus:
        return DeviceStatus(DeviceState.READY)


class IdleDisplayConfig(registry.DriverConfig):
    """A queue display that shows nothing."""

    driver: Literal["idle"]

    def build(self, context: registry.BuildContext) -> IdleDisplay:
        return IdleDisplay(context.name)


def test_a_new_kind_of_device_gets_its_config_key_and_is_built(config_data):
    registry.register_kind(registry.DeviceKind("queue_display", QueueDisplay, "queue_display",
                                               "The office's queue display."))
    registry.register_driver(registry.DriverSpec("queue_display", "idle", IdleDisplayConfig))
    try:
        config_data["devices"]["queue_display"] = {"driver": "idle"}
        devices = build_devices(parse(config_data))
        assert [type(d) for d in devices.others["queue_display"]] == [IdleDisplay]
        assert devices.others["queue_display"][0] in devices.all()
    finally:
        registry.unregister_kind("queue_display")
    with pytest.raises(ConfigError):
        parse(config_data)


def test_devices_are_typed_by_their_kinds_protocol(config_data):
    devices = build_devices(parse(config_data))
    assert isinstance(devices.document_printer, DocumentPrinter)
    assert isinstance(devices.card_printer, CardPrinter)
    assert isinstance(devices.receipt_printer, ReceiptPrinter)
    assert all(isinstance(r, BarcodeReader) for r in devices.barcode_readers) and devices.barcode_readers
    kind = next(k for k in registry.kinds() if k.name == "document_printer")
    with pytest.raises(TypeError, match="DocumentPrinter"):
        Devices().add(kind, IdleDisplay("document_printer"))  # no submit at all
    with pytest.raises(TypeError, match="DocumentPrinter"):
        Devices().add(kind, AcmeCardPrinter("document_printer", "/dev/null"))  # submits cards, not documents


def test_every_builtin_driver_has_a_documented_config_model():
    for spec in registry.drivers():
        assert spec.summary, spec
        assert spec.config_model.model_fields["driver"].annotation == Literal[spec.name]  # type: ignore[valid-type]


# ----------------------------------------------------------------------------- discovery
def test_a_usb_card_printer_is_claimed_by_the_configured_device_and_recognised_without_one(config_data):
    found = {"usb": usb_printers(backend=FakeUsbBackend())}
    assert found["usb"].items and found["usb"].items[0]["ieee1284"]["MFG"] == "Evolis"
    claim(found, [])
    assert found["usb"].items[0]["matches"] == "" and "card_printer/cups" in found["usb"].items[0]["drivers"]

    config_data["devices"]["card_printer"] = {"driver": "cups", "queue": "kartu",
                                              "usb": {"vendor_id": "0x0c16", "product_id": "0x0006"}}
    config = parse(config_data)
    claim(found, [("card_printer", "card_printer", config.devices.card_printer)])
    item = found["usb"].items[0]
    assert (item["matches"], item["driver"], item["drivers"]) == ("card_printer", "card_printer/cups", [])


def test_serial_ports_and_queues_are_claimed_by_their_drivers(config_data):
    found = {
        "serial": Found([{"port": "/dev/ttyACM0", "by_id": "", "description": "", "usb": ""},
                         {"port": "/dev/ttyS0", "by_id": "", "description": "", "usb": ""}]),
        "cups": Found([{"queue": "A4", "device_uri": "ipp://x", "state": 3, "reasons": [], "model": "HP LaserJet"},
                       {"queue": "KARTU", "device_uri": "usb://x", "state": 3, "reasons": [],
                        "model": "Evolis Primacy 2"}]),
        "usb": Found([{"vendor_id": "0x04b8", "product_id": "0x0202", "ieee1284": {"MFG": "EPSON", "CMD": "ESC/POS"}}]),
    }
    claim(found, [])
    assert found["serial"].items[0]["drivers"] == ["barcode_reader/serial"]
    assert found["serial"].items[1]["drivers"] == []
    assert found["cups"].items[0]["drivers"] == ["document_printer/cups"]
    assert found["cups"].items[1]["drivers"] == ["card_printer/cups"]
    assert found["usb"].items[0]["drivers"] == ["receipt_printer/usb"]

    config_data["devices"]["document_printer"] = {"driver": "cups", "queue": "A4"}
    config_data["devices"]["receipt_printer"] = {"driver": "usb", "vendor_id": "0x04b8", "product_id": "0x0202"}
    config_data["devices"]["barcode_readers"] = [{"name": "front", "driver": "serial", "port": "/dev/ttyACM0"}]
    section = parse(config_data).devices
    claim(found, [("document_printer", "document_printer", section.document_printer),
                  ("receipt_printer", "receipt_printer", section.receipt_printer),
                  ("front", "barcode_reader", section.barcode_readers[0])])
    assert [(i["matches"], i["driver"]) for i in found["serial"].items] == [("front", "barcode_reader/serial"),
                                                                            ("", "")]
    assert found["cups"].items[0]["matches"] == "document_printer"
    assert found["usb"].items[0]["driver"] == "receipt_printer/usb"


# ----------------------------------------------------------------------------- test page and test card
def test_the_test_page_is_a_real_one_page_a4_pdf_with_text():
    pdf = make_test_page("ADM-3273-KEC-COBLONG-01", "document_printer")
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = page.extract_text()
    assert TEST_PAGE_TITLE in text and "ADM-3273-KEC-COBLONG-01" in text and "document_printer" in text


def test_the_test_card_is_a_cr80_front_and_back_at_300_dpi():
    front, back = make_test_card("ADM-3273-KEC-COBLONG-01", "card_printer")
    assert front != back
    for side in (front, back):
        image = Image.open(io.BytesIO(side))
        assert (image.format, image.mode, image.size) == ("PNG", "RGB", (CARD_WIDTH_PX, CARD_HEIGHT_PX))
        assert round(image.info["dpi"][0]) == 300
        assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 2  # not blank
    check_card(CardJob("selftest", front, back, "self-test"))


def test_a_self_test_prints_the_test_page_and_card_with_the_kiosk_id(config_data):
    config = parse(config_data)
    devices = build_devices(config)
    for device in (devices.document_printer, devices.card_printer):
        device.seconds_per_unit = 0
        result = device.self_test("external")
        assert result.passed, result
    printed = config.storage.state_dir / "printed"
    pdf = next((printed / "document_printer").glob("selftest-*.pdf")).read_bytes()
    assert config.kiosk.id in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    fronts = list((printed / "card_printer").glob("selftest-*-front.png"))
    assert len(fronts) == 1 and Image.open(fronts[0]).size == (CARD_WIDTH_PX, CARD_HEIGHT_PX)


# ----------------------------------------------------------------------------- page count
def pdf_in_object_streams(pages: int) -> bytes:
    """A PDF 1.5 whose catalog, page tree and pages all live in one compressed object stream, with a
    cross-reference stream: how many producers (Word, Ghostscript, qpdf --object-streams) write them."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [b"<</Type /Catalog /Pages 2 0 R>>", f"<</Type /Pages /Kids [{kids}] /Count {pages}>>".encode()]
    objects += [b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources <<>>>>"] * pages
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    header = " ".join(f"{n + 1} {off}" for n, off in enumerate(offsets)).encode() + b"\n"
    packed = zlib.compress(header + body)
    stream_no, xref_no = len(objects) + 1, len(objects) + 2
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_at = len(out)
    out += (f"{stream_no} 0 obj\n<</Type /ObjStm /N {len(objects)} /First {len(header)} /Filter /FlateDecode "
            f"/Length {len(packed)}>>\nstream\n").encode() + packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [bytes([2]) + stream_no.to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(len(objects))]
    rows += [bytes([1]) + stream_at.to_bytes(4, "big") + (0).to_bytes(2, "big")]
    rows += [bytes([1]) + xref_at.to_bytes(4, "big") + (0).to_bytes(2, "big")]
    table = zlib.compress(b"".join(rows))
    out += (f"{xref_no} 0 obj\n<</Type /XRef /Size {xref_no + 1} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
            f"/Length {len(table)}>>\nstream\n").encode() + table + b"\nendstream\nendobj\n"
    return out + f"startxref\n{xref_at}\n%%EOF\n".encode()


def test_pages_in_compressed_object_streams_are_counted():
    pdf = pdf_in_object_streams(3)
    assert len(PdfReader(io.BytesIO(pdf), strict=True).pages) == 3  # a well-formed file
    assert not re.search(rb"/Type\s*/Page(?![a-zA-Z])", pdf)  # no page object is visible to a byte scan
    assert pdf_page_count(pdf) == 3


def test_page_count_of_plain_and_unreadable_pdfs(caplog):
    assert pdf_page_count(make_test_page()) == 1
    with caplog.at_level("DEBUG"):
        assert pdf_page_count(b"%PDF-1.4 SITI NURHALIZA") == 1  # unreadable: one sheet, the printer will refuse it
        assert pdf_page_count(b"SITI NURHALIZA") == 1
    assert "SITI" not in caplog.text  # the parser's complaints do not quote the document into the logs


def test_devices_command_says_whose_each_item_is(monkeypatch, capsys, config_data, tmp_path):
    import argparse
    import json

    from kiosk.commands import devices as command

    config_data["devices"]["barcode_readers"] = [{"name": "front", "driver": "serial", "port": "/dev/ttyACM0"}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_data))

    def discover(*args, **kwargs):
        return {"cups": Found(error="CUPS not reachable"),
                "usb": Found([{"vendor_id": "0x04b8", "product_id": "0x0e28", "ieee1284": {"MFG": "EPSON"}}]),
                "serial": Found([{"port": "/dev/ttyACM0", "by_id": "", "description": "scanner", "usb": ""},
                                 {"port": "/dev/ttyACM1", "by_id": "", "description": "", "usb": ""}])}

    monkeypatch.setattr("devices.discovery.discover", discover)
    assert command.run(argparse.Namespace(config=str(path), json=False)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "cups: (CUPS not reachable)" in lines
    assert "  port=/dev/ttyACM0 description=scanner  <- front (barcode_reader/serial)" in lines
    assert "  port=/dev/ttyACM1  could be: barcode_reader/serial" in lines
    assert any(line.endswith("could be: receipt_printer/usb") for line in lines)
    assert command.run(argparse.Namespace(config=str(path), json=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"cups", "usb", "serial"}
    assert out["serial"]["items"][0]["matches"] == "front" and out["serial"]["items"][1]["matches"] == ""
