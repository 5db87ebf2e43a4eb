"""USB printer-class probe (pyusb): the IEEE 1284 device id and the port status of a USB printer.

USB printer class, section 4.2: GET_DEVICE_ID (bRequest 0) returns a two-byte big-endian length and the
IEEE 1284 id string (``MFG:...;MDL:...;CMD:...;``); GET_PORT_STATUS (bRequest 1) returns one byte whose
bit 5 is paper empty, bit 4 selected and bit 3 "not error".
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

from devices.base import (
    DEVICE_MISSING,
    LIBRARY_MISSING,
    MEDIA_EMPTY,
    OFFLINE_REPORT,
    OTHER,
    TIMED_OUT,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    call_with_timeout,
)

PRINTER_CLASS = 7
GET_DEVICE_ID, GET_PORT_STATUS = 0, 1
#: Class request, interface recipient, device to host.
REQUEST_TYPE_IN = 0xA1
PAPER_EMPTY, SELECTED, NOT_ERROR = 0x20, 0x10, 0x08


def parse_device_id(text: str) -> dict[str, str]:
    """``MFG:Evolis;MDL:Primacy;`` -> {"MFG": "Evolis", "MDL": "Primacy"} with the long key names folded."""
    long_names = {"MANUFACTURER": "MFG", "MODEL": "MDL", "COMMAND SET": "CMD", "DESCRIPTION": "DES"}
    out: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            key = key.strip().upper()
            out[long_names.get(key, key)] = value.strip()
    return out


@dataclass(frozen=True)
class UsbProbeResult:
    """What the probe learned; ``found`` False means no such device on the bus."""

    found: bool
    device_id: dict[str, str] = field(default_factory=dict)
    port_status: int | None = None
    error: str = ""

    @property
    def paper_empty(self) -> bool:
        return self.port_status is not None and bool(self.port_status & PAPER_EMPTY)

    @property
    def selected(self) -> bool:
        return self.port_status is not None and bool(self.port_status & SELECTED)

    @property
    def printer_error(self) -> bool:
        return self.port_status is not None and not self.port_status & NOT_ERROR


def find_printer_interface(dev: Any) -> tuple[int, int, int]:
    """(configuration value, interface number, alternate setting) of the first printer-class interface."""
    for cfg in dev:
        for intf in cfg:
            if intf.bInterfaceClass == PRINTER_CLASS:
                return cfg.bConfigurationValue, intf.bInterfaceNumber, intf.bAlternateSetting
    raise LookupError("no USB printer-class interface")


def read_device_id(dev: Any, config: int, interface: int, alternate: int, timeout_ms: int = 1000) -> str:
    """GET_DEVICE_ID: the IEEE 1284 id string."""
    # wValue is the configuration index (zero-based), wIndex the interface in the high byte, alternate low.
    data = bytes(dev.ctrl_transfer(REQUEST_TYPE_IN, GET_DEVICE_ID, max(config - 1, 0), (interface << 8) | alternate,
                                   1023, timeout=timeout_ms))
    if len(data) < 2:
        return ""
    length = min(int.from_bytes(data[:2], "big"), len(data))
    return data[2:length].decode("latin-1", "replace")


def read_port_status(dev: Any, interface: int, timeout_ms: int = 1000) -> int:
    """GET_PORT_STATUS: one status byte."""
    data = bytes(dev.ctrl_transfer(REQUEST_TYPE_IN, GET_PORT_STATUS, 0, interface, 1, timeout=timeout_ms))
    if not data:
        raise OSError(errno.EIO, "empty port status")
    return data[0]


class UsbPrinterProbe:
    """Finds a USB printer by vendor/product (and serial) and reads its 1284 id and port status.

    ``backend`` is a pyusb backend; None means libusb (tests pass a fake backend: USB cannot run here).
    """

    def __init__(self, vendor_id: int, product_id: int, serial: str | None = None, backend: Any = None,
                 timeout_s: float = 3.0) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.serial = serial
        self.backend = backend
        self.timeout_s = timeout_s

    def _find(self, usb: Any) -> Any:
        def matches(dev: Any) -> bool:
            if self.serial is None:
                return True
            try:
                return usb.util.get_string(dev, dev.iSerialNumber) == self.serial
            except (usb.core.USBError, ValueError):
                return False

        return usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id, backend=self.backend,
                             custom_match=matches)

    def probe(self) -> UsbProbeResult:
        """Read the device; raises ImportError without pyusb and DeviceTimeout when USB does not answer."""
        import usb.core
        import usb.util

        def work() -> UsbProbeResult:
            dev = self._find(usb)
            if dev is None:
                return UsbProbeResult(False, error="not on the USB bus")
            try:
                config, interface, alternate = find_printer_interface(dev)
                device_id = parse_device_id(read_device_id(dev, config, interface, alternate))
                port = read_port_status(dev, interface)
            except LookupError as exc:
                return UsbProbeResult(True, error=str(exc))
            except (usb.core.USBError, OSError) as exc:
                return UsbProbeResult(True, error=f"{type(exc).__name__}: {exc}")
            finally:
                usb.util.dispose_resources(dev)
            return UsbProbeResult(True, device_id, port)

        return call_with_timeout(work, self.timeout_s, "usb probe")

    def status(self) -> DeviceStatus:
        """The probe as a DeviceStatus: missing -> OFFLINE, paper empty -> media-empty, not selected -> OFFLINE."""
        try:
            result = self.probe()
        except ImportError:
            return DeviceStatus.offline(LIBRARY_MISSING, "pyusb is not installed")
        except DeviceTimeout as exc:
            return DeviceStatus.offline(TIMED_OUT, str(exc))
        ident = f"{self.vendor_id:04x}:{self.product_id:04x}"
        if not result.found:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT, DEVICE_MISSING), f"USB {ident} not found")
        if result.port_status is None:
            # Found but not readable (e.g. the interface is busy with the CUPS backend): no verdict either way.
            return DeviceStatus(DeviceState.READY, (), f"USB {ident}: status not readable ({result.error})")
        model = " ".join(v for v in (result.device_id.get("MFG"), result.device_id.get("MDL")) if v)
        if not result.selected:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), f"USB {model or ident}: not selected")
        reasons = []
        if result.paper_empty:
            reasons.append(MEDIA_EMPTY)
        if result.printer_error and not reasons:
            reasons.append(OTHER)
        state = DeviceState.NEEDS_ATTENTION if reasons else DeviceState.READY
        return DeviceStatus(state, tuple(reasons), f"USB {model or ident}")
