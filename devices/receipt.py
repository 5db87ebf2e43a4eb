"""Receipt printer: the receipt and queue-ticket layouts, and the python-escpos driver (USB, serial, network).

Layouts are rendered into python-escpos's :class:`Dummy` printer first; the bytes it records are what every
driver sends (the simulated one keeps them as files). So a layout is tested once, byte for byte, and the
real connection only carries raw bytes.

python-escpos calls ``logging.basicConfig()`` and may ``print`` when imported or when rendering images;
:func:`escpos_module` imports it with logging and stdout shielded and its capabilities cache in a
private directory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from devices.base import (
    LIBRARY_MISSING,
    MEDIA_EMPTY,
    MEDIA_LOW,
    OFFLINE_REPORT,
    TIMED_OUT,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    MediaEmpty,
    ReceiptPrinter,  # noqa: F401 - the protocol lives in base; importable from here as before
    SelfTestLevel,
    SelfTestResult,
    call_with_timeout,
)
from devices.registry import BuildContext, Discovered, DriverConfig, UsbId, driver, same_serial_port, usb_ids

log = logging.getLogger(__name__)

#: Characters per line in font A on 80 mm paper.
LINE_WIDTH = 42
DEFAULT_PROFILE = "TM-T88V"


# --------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class Receipt:
    """A slip such as "documents printed": a title, plain lines (no personal data), an optional QR."""

    lines: tuple[str, ...]
    title: str = ""
    qr: str | None = None
    footer: str = ""


@dataclass(frozen=True)
class QueueTicket:
    """A queue ticket: big number, service, counter, time, optional QR (e.g. to follow the queue online)."""

    number: str
    service: str
    counter: str
    when: datetime
    qr: str | None = None
    office: str = ""
    extra: tuple[str, ...] = field(default=())


_escpos_lock = threading.Lock()


def escpos_module() -> Any:
    """Import ``escpos.printer`` without letting it configure logging, print, or litter /tmp."""
    with _escpos_lock:
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", _private_cache_dir())
        root = logging.getLogger()
        guard = logging.NullHandler()
        # basicConfig() does nothing when the root logger already has a handler.
        root.addHandler(guard)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                import escpos.printer as printer
        finally:
            root.removeHandler(guard)
        return printer


def _private_cache_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), f"adm-kiosk-escpos-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _fit(text: str) -> str:
    # ESC/POS text is single-byte: keep what the printer's code page can show, one line at most.
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:LINE_WIDTH]


def render_receipt(p: Any, receipt: Receipt) -> None:
    """Draw a receipt on a python-escpos printer object ``p``."""
    if receipt.title:
        p.set_with_default(align="center", bold=True, double_height=True)
        p.textln(_fit(receipt.title))
    p.set_with_default(align="left")
    for line in receipt.lines:
        p.textln(_fit(line))
    if receipt.qr:
        p.set_with_default(align="center")
        p.qr(receipt.qr, size=6, native=True)
    if receipt.footer:
        p.set_with_default(align="center")
        p.textln(_fit(receipt.footer))
    p.cut()


def render_ticket(p: Any, ticket: QueueTicket) -> None:
    """Draw a queue ticket: the number big in the middle, service, counter and time below, QR last."""
    p.set_with_default(align="center")
    if ticket.office:
        p.textln(_fit(ticket.office))
    p.textln("NOMOR ANTRIAN")
    p.set_with_default(align="center", bold=True, custom_size=True, width=4, height=4)
    p.textln(_fit(ticket.number))
    p.set_with_default(align="center", bold=True)
    p.textln(_fit(ticket.service))
    p.set_with_default(align="center")
    p.textln(_fit(f"Loket {ticket.counter}"))
    p.textln(ticket.when.strftime("%d-%m-%Y %H:%M"))
    for line in ticket.extra:
        p.textln(_fit(line))
    if ticket.qr:
        p.qr(ticket.qr, size=6, native=True)
    p.cut()


def receipt_bytes(receipt: Receipt | QueueTicket, profile: str = DEFAULT_PROFILE) -> bytes:
    """The ESC/POS bytes of a layout, rendered through python-escpos's Dummy printer."""
    printer = escpos_module()
    dummy = printer.Dummy(profile=profile)
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(receipt, QueueTicket):
            render_ticket(dummy, receipt)
        else:
            render_receipt(dummy, receipt)
    return dummy.output


def receipt_text(receipt: Receipt | QueueTicket) -> str:
    """A plain-text picture of a layout, for the simulated printer's files and the demo."""
    if isinstance(receipt, QueueTicket):
        rows = [receipt.office, "NOMOR ANTRIAN", receipt.number, receipt.service, f"Loket {receipt.counter}",
                receipt.when.strftime("%d-%m-%Y %H:%M"), *receipt.extra]
        rows = [_fit(r).center(LINE_WIDTH).rstrip() for r in rows if r]
    else:
        rows = ([_fit(receipt.title).center(LINE_WIDTH).rstrip()] if receipt.title else [])
        rows += [_fit(line) for line in receipt.lines]
        if receipt.footer:
            rows.append(_fit(receipt.footer).center(LINE_WIDTH).rstrip())
    if receipt.qr:
        rows.append(f"[QR] {receipt.qr}")
    return "\n".join(rows) + "\n" + "-" * LINE_WIDTH + "\n"


def test_receipt(name: str) -> Receipt:
    """The self-test slip."""
    return Receipt(lines=(f"Printer: {name}", "Tes cetak / test print", "0123456789 ABCDEFGHIJ abcdefghij"),
                   title="ADM SELF-TEST", qr="ADM-SELF-TEST", footer="OK")


# --------------------------------------------------------------------------- the real driver
class EscposReceiptPrinter:
    """A receipt printer reached by python-escpos over USB, serial or network.

    ``connect`` builds a python-escpos printer object (``escpos.printer.Network(...)`` etc.); the driver
    opens it per print so a printer that was switched off and on again just works on the next receipt.
    """

    kind = "receipt_printer"

    def __init__(self, name: str, driver: str, connect_args: dict[str, Any], profile: str = DEFAULT_PROFILE,
                 call_timeout: float = 10.0) -> None:
        self.name = name
        self.driver = driver
        self.profile = profile
        self.call_timeout = call_timeout
        self._connect_args = connect_args
        self._lock = threading.Lock()
        self._printed = 0
        self._last_error: DeviceStatus | None = None

    def _printer_class(self) -> Any:
        try:
            module = escpos_module()
        except ImportError as exc:
            raise DeviceOffline(f"python-escpos is not installed: {exc}", LIBRARY_MISSING) from None
        cls = {"usb": "Usb", "serial": "Serial", "network": "Network"}[self.driver]
        printer_class = getattr(module, cls)
        if not printer_class.is_usable():
            raise DeviceOffline(f"python-escpos {cls} needs a library that is missing", LIBRARY_MISSING)
        return printer_class

    def _connected(self) -> Any:
        printer_class = self._printer_class()

        def connect() -> Any:
            with contextlib.redirect_stdout(io.StringIO()):
                printer = printer_class(profile=self.profile, **self._connect_args)
                printer.open(raise_not_found=True)
            return printer

        try:
            return call_with_timeout(connect, self.call_timeout, f"{self.name} connect")
        except DeviceTimeout:
            raise
        except (OSError, ValueError) as exc:
            raise DeviceOffline(f"{self.name}: cannot connect: {type(exc).__name__}: {exc}") from None
        except Exception as exc:
            # python-escpos raises its own DeviceNotFoundError/USBNotFoundError (Exception subclasses) and
            # pyusb's USBError; all mean the printer cannot be reached.
            if type(exc).__module__.split(".")[0] in ("escpos", "usb", "serial"):
                raise DeviceOffline(f"{self.name}: cannot connect: {type(exc).__name__}: {exc}") from None
            raise

    def _send(self, data: bytes) -> None:
        with self._lock:
            printer = self._connected()
            try:
                call_with_timeout(lambda: printer._raw(data), self.call_timeout, f"{self.name} write")
            except OSError as exc:
                raise DeviceOffline(f"{self.name}: write failed: {type(exc).__name__}") from None
            finally:
                with contextlib.suppress(OSError):
                    printer.close()
            self._printed += 1

    def open(self) -> None:
        """Nothing to hold open: each print connects (see the class docstring)."""

    def close(self) -> None:
        """Nothing held open."""

    def status(self) -> DeviceStatus:
        """Ask the printer (DLE EOT) whether it is online and has paper; a printer that does not answer
        real-time status is READY as long as it accepts a connection."""
        counters = {"receipts": self._printed}
        try:
            printer = self._connected()
        except DeviceOffline as exc:
            return DeviceStatus(DeviceState.OFFLINE, (exc.reason,), str(exc), counters=counters)
        except DeviceTimeout as exc:
            return DeviceStatus(DeviceState.OFFLINE, (TIMED_OUT,), str(exc), counters=counters)
        try:
            online = call_with_timeout(printer.is_online, self.call_timeout, f"{self.name} status")
            paper = call_with_timeout(printer.paper_status, self.call_timeout, f"{self.name} paper")
        except (DeviceTimeout, OSError, AttributeError, NotImplementedError):
            return DeviceStatus(DeviceState.READY, (), "connected; the printer does not answer status",
                                counters=counters)
        finally:
            with contextlib.suppress(OSError):
                printer.close()
        if not online:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), "the printer reports offline",
                                counters=counters)
        if paper == 0:
            return DeviceStatus(DeviceState.NEEDS_ATTENTION, (MEDIA_EMPTY,), "receipt paper is out", counters=counters)
        if paper == 1:
            return DeviceStatus(DeviceState.WARNING, (MEDIA_LOW,), "receipt paper is low", counters=counters)
        return DeviceStatus(DeviceState.READY, (), "", counters=counters)

    def print_receipt(self, lines: Sequence[str], qr: str | None = None, title: str = "", footer: str = "") -> None:
        """Print a receipt (see :class:`Receipt`)."""
        self._send(receipt_bytes(Receipt(tuple(lines), title, qr, footer), self.profile))

    def print_ticket(self, number: str, service: str, counter: str, when: datetime, qr: str | None = None) -> None:
        """Print a queue ticket (see :class:`QueueTicket`)."""
        self._send(receipt_bytes(QueueTicket(number, service, counter, when, qr), self.profile))

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status only; external: a test slip; interactive: a test slip the technician checks."""
        level = SelfTestLevel(level)
        status = self.status()
        if level is SelfTestLevel.INTERNAL or not status.state.usable:
            return SelfTestResult(level, status.state.usable, status.message or status.state.value)
        try:
            self._send(receipt_bytes(test_receipt(self.name), self.profile))
        except (DeviceOffline, DeviceTimeout, MediaEmpty) as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, "test slip printed", needs_confirmation=level is SelfTestLevel.INTERACTIVE)


# --------------------------------------------------------------------------- config and registration
#: USB vendors whose printer-class devices speak ESC/POS (receipt printers).
ESCPOS_VENDORS = {0x04B8: "Epson", 0x0519: "Star Micronics", 0x1504: "Bixolon", 0x1D90: "Citizen",
                  0x0DD4: "Custom", 0x154F: "SNBC"}


#: How long one USB transfer to a receipt printer may take before it fails.
USB_TIMEOUT_MS = 5000


class _EscposConfig(DriverConfig):
    profile: str = Field(DEFAULT_PROFILE, description="python-escpos printer profile (QR and cut support).")


@driver("receipt_printer", "usb")
class UsbReceiptPrinterConfig(_EscposConfig):
    """An ESC/POS receipt printer on USB."""

    driver: Literal["usb"]
    vendor_id: UsbId = Field(..., description="USB vendor id, e.g. '0x04b8'.")
    product_id: UsbId = Field(..., description="USB product id, e.g. '0x0202'.")

    def build(self, context: BuildContext) -> EscposReceiptPrinter:
        # python-escpos waits forever on a USB write by default: bound it (milliseconds, as pyusb counts).
        args: dict[str, Any] = {"idVendor": self.vendor_id, "idProduct": self.product_id, "timeout": USB_TIMEOUT_MS}
        if context.usb_backend is not None:  # tests: a fake pyusb backend, since these machines have no USB
            args["usb_args"] = {"backend": context.usb_backend}
        return EscposReceiptPrinter(context.name, "usb", args, self.profile)

    def owns(self, found: Discovered) -> bool:
        return usb_ids(found) == (self.vendor_id, self.product_id)

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        ids = usb_ids(found)
        command_set = str((found.item.get("ieee1284") or {}).get("CMD", "")).upper()
        return ids is not None and (ids[0] in ESCPOS_VENDORS or "ESC/POS" in command_set or "ESCPOS" in command_set)


@driver("receipt_printer", "serial")
class SerialReceiptPrinterConfig(_EscposConfig):
    """An ESC/POS receipt printer on a serial port."""

    driver: Literal["serial"]
    port: str = Field(..., description="Serial device, e.g. /dev/ttyS0 or /dev/serial/by-id/...")
    baudrate: int = Field(9600, description="Baud rate.")

    def build(self, context: BuildContext) -> EscposReceiptPrinter:
        return EscposReceiptPrinter(context.name, "serial", {"devfile": self.port, "baudrate": self.baudrate},
                                    self.profile)

    def owns(self, found: Discovered) -> bool:
        return same_serial_port(self.port, found)


@driver("receipt_printer", "network")
class NetworkReceiptPrinterConfig(_EscposConfig):
    """An ESC/POS receipt printer on the network (raw port 9100)."""

    driver: Literal["network"]
    host: str = Field(..., min_length=1, description="Printer address.")
    port: int = Field(9100, ge=1, le=65535, description="Raw printing port.")

    def build(self, context: BuildContext) -> EscposReceiptPrinter:
        return EscposReceiptPrinter(context.name, "network", {"host": self.host, "port": self.port, "timeout": 5},
                                    self.profile)
