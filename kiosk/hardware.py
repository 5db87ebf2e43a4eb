"""The one place that turns the ``devices`` section of the config into driver objects.

:func:`build_devices` never touches hardware: it only constructs drivers, so it cannot fail on a missing
printer (the driver reports OFFLINE later). :func:`device_reports` asks every device for its status, each
bounded in time, for ``adm-kiosk diagnose``, the technician screen and the heartbeat.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devices.base import DeviceError, DeviceState, DeviceStatus, DeviceTimeout, call_with_timeout
from kiosk import config as cfg


@dataclass
class Devices:
    """The kiosk's devices; a printer the kiosk does not have is None."""

    document_printer: Any = None
    card_printer: Any = None
    receipt_printer: Any = None
    barcode_readers: list[Any] = field(default_factory=list)

    def all(self) -> list[Any]:
        """Every configured device, printers first."""
        printers = [self.document_printer, self.card_printer, self.receipt_printer]
        return [d for d in printers if d is not None] + list(self.barcode_readers)

    def open_all(self) -> None:
        """Open each device; a device that cannot open shows that in its status, it does not stop the others."""
        for device in self.all():
            try:
                device.open()
            except (DeviceError, OSError):
                continue

    def close_all(self) -> None:
        """Close each device."""
        for device in self.all():
            try:
                device.close()
            except (DeviceError, OSError):
                continue


def _output_dir(configured: Path | None, config: cfg.Config, name: str) -> Path:
    return configured if configured is not None else config.storage.state_dir / "printed" / name


def build_devices(config: cfg.Config, usb_backend: Any = None) -> Devices:
    """Construct the drivers ``config.devices`` names (``usb_backend``: a pyusb backend, for tests)."""
    from devices import simulated
    from devices.barcode import EvdevBarcodeReader, SerialBarcodeReader
    from devices.cups_printer import CupsCardPrinter, CupsDocumentPrinter
    from devices.receipt import EscposReceiptPrinter
    from devices.usbprobe import UsbPrinterProbe

    section, low = config.devices, config.consumables
    devices = Devices()

    doc = section.document_printer
    if isinstance(doc, cfg.SimulatedDocumentPrinter):
        devices.document_printer = simulated.SimulatedDocumentPrinter(
            "document_printer", _output_dir(doc.output_dir, config, "document_printer"), doc.seconds_per_page,
            doc.paper, low.paper_low, doc.fault, doc.jam_after, doc.fail_after)
    elif isinstance(doc, cfg.CupsDocumentPrinter):
        devices.document_printer = CupsDocumentPrinter("document_printer", doc.queue, doc.server, doc.port,
                                                       doc.job_timeout_s)

    card = section.card_printer
    if isinstance(card, cfg.SimulatedCardPrinter):
        devices.card_printer = simulated.SimulatedCardPrinter(
            "card_printer", _output_dir(card.output_dir, config, "card_printer"), card.seconds_per_card,
            card.blanko, card.ribbon, low.blanko_low, low.ribbon_low, card.fault, card.jam_after, card.fail_after)
    elif isinstance(card, cfg.CupsCardPrinter):
        probe = None
        if card.usb is not None:
            probe = UsbPrinterProbe(card.usb.vendor_id, card.usb.product_id, card.usb.serial, backend=usb_backend)
        devices.card_printer = CupsCardPrinter("card_printer", card.queue, card.server, card.port, card.job_timeout_s,
                                               usb_probe=probe)

    receipt = section.receipt_printer
    if isinstance(receipt, cfg.SimulatedReceiptPrinter):
        devices.receipt_printer = simulated.SimulatedReceiptPrinter(
            "receipt_printer", _output_dir(receipt.output_dir, config, "receipt_printer"), receipt.paper,
            low.receipt_low, receipt.fault)
    elif isinstance(receipt, cfg.UsbReceiptPrinter):
        devices.receipt_printer = EscposReceiptPrinter(
            "receipt_printer", "usb", {"idVendor": receipt.vendor_id, "idProduct": receipt.product_id},
            receipt.profile)
    elif isinstance(receipt, cfg.SerialReceiptPrinter):
        devices.receipt_printer = EscposReceiptPrinter(
            "receipt_printer", "serial", {"devfile": receipt.port, "baudrate": receipt.baudrate}, receipt.profile)
    elif isinstance(receipt, cfg.NetworkReceiptPrinter):
        devices.receipt_printer = EscposReceiptPrinter(
            "receipt_printer", "network", {"host": receipt.host, "port": receipt.port, "timeout": 5},
            receipt.profile)

    for reader in section.barcode_readers:
        if isinstance(reader, cfg.SimulatedBarcodeReader):
            devices.barcode_readers.append(simulated.SimulatedBarcodeReader(reader.name, reader.max_length))
        elif isinstance(reader, cfg.SerialBarcodeReader):
            devices.barcode_readers.append(SerialBarcodeReader(
                reader.name, reader.port, reader.baudrate, reader.terminator, reader.max_length,
                reader.partial_timeout_s))
        elif isinstance(reader, cfg.EvdevBarcodeReader):
            devices.barcode_readers.append(EvdevBarcodeReader(reader.name, reader.device, reader.max_length))
    return devices


@dataclass(frozen=True)
class DeviceReport:
    """One device in ``adm-kiosk diagnose`` (and the technician screen, the heartbeat)."""

    name: str
    kind: str
    driver: str
    state: str
    reasons: list[str]
    message: str
    consumables: dict[str, int]
    counters: dict[str, int]

    @property
    def ok(self) -> bool:
        """READY or WARNING."""
        return self.state in (DeviceState.READY, DeviceState.WARNING)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def device_report(device: Any, timeout: float = 15.0) -> DeviceReport:
    """Status of one device, bounded by ``timeout`` (drivers bound their own calls too)."""
    try:
        status: DeviceStatus = call_with_timeout(device.status, timeout, f"{device.name} status")
    except DeviceTimeout as exc:
        status = DeviceStatus.offline("timed-out", str(exc))
    except DeviceError as exc:
        status = DeviceStatus.offline(exc.reason, str(exc))
    return DeviceReport(device.name, device.kind, device.driver, status.state.value, list(status.reasons),
                        status.message, dict(status.consumables), dict(status.counters))


def device_reports(devices: Devices) -> list[DeviceReport]:
    """A report for every configured device."""
    return [device_report(d) for d in devices.all()]
