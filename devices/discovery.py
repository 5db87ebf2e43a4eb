"""Discovery for ``adm-kiosk devices``: CUPS queues, USB printers with their IEEE 1284 ids, serial ports.

Each finder returns what it found and, when it could not look, why (never an exception).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any

from devices.base import DeviceError, DeviceTimeout, call_with_timeout
from devices.usbprobe import find_printer_interface, parse_device_id, read_device_id


@dataclass
class Found:
    """One discovery section: items (dicts for JSON) and an error when the source could not be read."""

    items: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def cups_queues(server: str | None = None, port: int | None = None, timeout: float = 10.0) -> Found:
    """CUPS queues with their device URI and state."""
    try:
        import cups
    except ImportError as exc:
        return Found(error=f"pycups is not installed: {exc}")

    def work() -> dict:
        if server:
            cups.setServer(server)
        if port:
            cups.setPort(port)
        return cups.Connection().getPrinters()

    try:
        printers = call_with_timeout(work, timeout, "cups discovery")
    except (RuntimeError, cups.IPPError, DeviceError) as exc:
        return Found(error=f"CUPS not reachable: {exc}")
    return Found([{"queue": name, "device_uri": a.get("device-uri", ""), "state": a.get("printer-state"),
                   "reasons": list(a.get("printer-state-reasons", [])), "model": a.get("printer-make-and-model", "")}
                  for name, a in sorted(printers.items())])


def usb_printers(backend: Any = None, timeout: float = 10.0) -> Found:
    """USB devices with a printer-class interface, with vendor/product ids and the 1284 id when readable."""
    try:
        import usb.core
        import usb.util
    except ImportError as exc:
        return Found(error=f"pyusb is not installed: {exc}")

    def is_printer(dev: Any) -> bool:
        try:
            find_printer_interface(dev)
        except (LookupError, usb.core.USBError):
            return False
        return True

    def work() -> list[dict[str, Any]]:
        items = []
        for dev in usb.core.find(find_all=True, backend=backend, custom_match=is_printer) or []:
            item: dict[str, Any] = {"vendor_id": f"0x{dev.idVendor:04x}", "product_id": f"0x{dev.idProduct:04x}"}
            try:
                item["ieee1284"] = parse_device_id(read_device_id(dev, *find_printer_interface(dev)))
            except (usb.core.USBError, OSError, LookupError) as exc:
                item["ieee1284_error"] = type(exc).__name__
            finally:
                usb.util.dispose_resources(dev)
            items.append(item)
        return items

    try:
        return Found(call_with_timeout(work, timeout, "usb discovery"))
    except DeviceTimeout as exc:
        return Found(error=str(exc))
    except (usb.core.NoBackendError, usb.core.USBError) as exc:
        return Found(error=f"USB not readable: {exc}")


def serial_ports() -> Found:
    """Serial and USB CDC ports, with their stable /dev/serial/by-id names."""
    try:
        from serial.tools import list_ports
    except ImportError as exc:
        return Found(error=f"pyserial is not installed: {exc}")
    by_id = {os.path.realpath(p): p for p in glob.glob("/dev/serial/by-id/*")}
    return Found([{"port": p.device, "by_id": by_id.get(os.path.realpath(p.device), ""), "description": p.description,
                   "usb": f"0x{p.vid:04x}:0x{p.pid:04x}" if p.vid is not None else ""}
                  for p in sorted(list_ports.comports(), key=lambda p: p.device)])


