"""Discovery for ``adm-kiosk devices``: CUPS queues, USB printers with their IEEE 1284 ids, serial ports,
smart-card readers (pcscd) and fingerprint readers (libfprint).

Each finder returns what it found and, when it could not look, why (never an exception). :func:`claim`
then asks the drivers (through the registry) whose each item is: a configured device's own config says
whether the item is that device; otherwise every driver says whether it could drive it.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from devices import registry
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


def pcsc_readers(timeout: float = 5.0) -> Found:
    """The smart-card readers pcscd lists, and whether a card is on each."""
    from devices.pcsc import list_readers

    try:
        return Found(call_with_timeout(list_readers, timeout, "pcsc discovery"))
    except ImportError as exc:
        return Found(error=f"pyscard is not installed: {exc}")
    except DeviceError as exc:
        return Found(error=str(exc))


def fingerprint_readers(timeout: float = 10.0) -> Found:
    """The fingerprint readers libfprint finds, by driver id and name."""
    from devices.fingerprint import list_devices

    try:
        return Found(call_with_timeout(list_devices, timeout, "libfprint discovery"))
    except (ImportError, ValueError) as exc:
        return Found(error=f"libfprint through PyGObject is not available: {exc}")
    except DeviceError as exc:
        return Found(error=str(exc))


def discover(cups_server: str | None = None, cups_port: int | None = None, usb_backend: Any = None) -> dict[str, Found]:
    """Every source: {"cups": ..., "usb": ..., "serial": ..., "pcsc": ..., "fingerprint": ...}."""
    return {"cups": cups_queues(cups_server, cups_port), "usb": usb_printers(usb_backend), "serial": serial_ports(),
            "pcsc": pcsc_readers(), "fingerprint": fingerprint_readers()}


def claim(sections: dict[str, Found], configured: Iterable[tuple[str, str, registry.DriverConfig]]) -> None:
    """Mark each found item with whose it is, in place.

    ``configured``: (device name, kind, driver config) of each configured device. An item gets
    ``matches`` (the configured device it is, or "") and ``driver`` (its ``kind/driver``), and, when no
    configured device owns it, ``drivers``: every ``kind/driver`` that says it could drive it.
    """
    configured = list(configured)
    for source, found in sections.items():
        for item in found.items:
            seen = registry.Discovered(source, dict(item))
            owner = next(((name, kind, config) for name, kind, config in configured if config.owns(seen)), None)
            if owner is not None:
                name, kind, config = owner
                item.update(matches=name, driver=f"{kind}/{config.driver}", drivers=[])
            else:
                item.update(matches="", driver="", drivers=[f"{spec.kind}/{spec.name}" for spec in registry.drivers()
                                                             if spec.config_model.recognizes(seen)])
