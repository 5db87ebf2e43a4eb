"""The driver registry: which kinds of device a kiosk has, which drivers each kind offers, how each is built.

A driver module registers itself (the way Odoo's IoT box registers drivers by class): it names its kind
and its config key (``driver: cups``), its pydantic config model, how to build the device from that model,
and which discovered items (a CUPS queue, a USB printer, a serial port) it recognises as its own. Nothing
else in the kiosk names a driver: ``kiosk.config`` builds the ``devices`` section of ``config.yaml`` from
the registry, ``kiosk.hardware`` builds devices through it, ``adm-kiosk devices`` asks it about what was
found. Adding a printer with its own protocol is one new module in ``devices/`` (found by
:func:`load_drivers`), its test and its documentation.

Kinds are open too: a new kind (audio output, card reader, fingerprint reader) is one
:func:`register_kind` call with its protocol and config key.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from devices.base import (
    BarcodeReader,
    CardPrinter,
    CardReader,
    Device,
    DocumentPrinter,
    FingerprintReader,
    ReceiptPrinter,
)

M = TypeVar("M", bound="DriverConfig")


class ConfigSection(BaseModel):
    """A part of a driver's config: unknown keys are errors, never silently ignored; values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DriverConfig(ConfigSection):
    """Base of every driver's config model; ``driver`` is the tag in config.yaml.

    Subclasses declare ``driver: Literal["<name>"]`` and give every other field a description (the
    README and ``check-config`` draw on them).
    """

    if TYPE_CHECKING:  # each subclass declares the field, with its own Literal; no field of the base at run time
        driver: str

    def build(self, context: BuildContext) -> Device:
        """The device this config describes; constructs it only, never touches hardware."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to build its device")

    def owns(self, found: Discovered) -> bool:
        """Whether a discovered item is this configured device (its queue, its USB ids, its port)."""
        return False

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        """Whether this driver could drive a discovered item that no configured device owns."""
        return False


_USB_ID = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")


def _usb_id(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _USB_ID.match(value):
        number = int(value, 16)
    else:
        raise ValueError("must be a USB id in hex, such as 0x04b8")
    if not 0 <= number <= 0xFFFF:
        raise ValueError("must be between 0x0000 and 0xffff")
    return number


#: A USB vendor or product id: a hex string such as '0x04b8', or an integer.
UsbId = Annotated[int, BeforeValidator(_usb_id)]


@dataclass(frozen=True)
class DeviceKind:
    """A kind of device: the protocol its drivers implement and where it sits in ``devices:``.

    ``many`` kinds are a list of named devices (``barcode_readers: [{name: front, ...}]``); the others are
    one device or null.
    """

    name: str
    protocol: type
    key: str
    description: str
    many: bool = False


@dataclass(frozen=True)
class BuildContext:
    """What a driver may need besides its own config: its name, the kiosk's state directory and id, the
    consumables' warning thresholds, and (tests only) a pyusb backend."""

    name: str
    state_dir: Path
    kiosk_id: str = ""
    thresholds: Mapping[str, int] = field(default_factory=dict)
    usb_backend: Any = None

    def output_dir(self, configured: Path | None) -> Path:
        """Where a simulated device keeps its output: the configured directory or <state_dir>/printed/<name>."""
        return configured if configured is not None else self.state_dir / "printed" / self.name


@dataclass(frozen=True)
class Discovered:
    """One thing ``adm-kiosk devices`` found: ``source`` is "cups", "usb" or "serial"; ``item`` its fields
    (queue and device_uri; vendor_id, product_id and ieee1284; port and by_id)."""

    source: str
    item: Mapping[str, Any]


def same_serial_port(configured: str, found: Discovered) -> bool:
    """Whether a discovered serial port is ``configured`` (its device node or its /dev/serial/by-id name)."""
    if found.source != "serial":
        return False
    target = os.path.realpath(configured)
    return any(path and os.path.realpath(str(path)) == target
               for path in (found.item.get("port"), found.item.get("by_id")))


def usb_ids(found: Discovered) -> tuple[int, int] | None:
    """(vendor id, product id) of a discovered USB device; None for anything else."""
    if found.source != "usb":
        return None
    try:
        return int(str(found.item["vendor_id"]), 16), int(str(found.item["product_id"]), 16)
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class DriverSpec:
    """One driver of one kind: the tag in config.yaml (``driver: cups``) and its config model, which knows
    how to build the device (:meth:`DriverConfig.build`) and which discovered items are its own
    (:meth:`DriverConfig.owns`, :meth:`DriverConfig.recognizes`)."""

    kind: str
    name: str
    config_model: type[DriverConfig]

    @property
    def summary(self) -> str:
        """The first line of the config model's docstring."""
        return (self.config_model.__doc__ or "").strip().split("\n")[0]


_lock = threading.RLock()
_kinds: dict[str, DeviceKind] = {}
_drivers: dict[str, dict[str, DriverSpec]] = {}
_generation = 0
_loaded = False


def register_kind(kind: DeviceKind) -> DeviceKind:
    """Add a kind of device (idempotent for the same kind)."""
    global _generation
    with _lock:
        known = _kinds.get(kind.name)
        if known is not None and known != kind:
            raise ValueError(f"device kind {kind.name!r} is already registered differently")
        if any(k.key == kind.key and k.name != kind.name for k in _kinds.values()):
            raise ValueError(f"config key {kind.key!r} already belongs to another kind")
        if known is None:
            _kinds[kind.name] = kind
            _drivers.setdefault(kind.name, {})
            _generation += 1
    return kind


def register_driver(spec: DriverSpec) -> DriverSpec:
    """Add a driver to its kind. Its config model must tag itself with ``driver: Literal["<name>"]``."""
    global _generation
    with _lock:
        if spec.kind not in _kinds:
            raise ValueError(f"unknown device kind {spec.kind!r}; known: {', '.join(_kinds)}")
        if "driver" not in spec.config_model.model_fields:
            raise ValueError(f"{spec.config_model.__name__} has no 'driver' field")
        known = _drivers[spec.kind].get(spec.name)
        if known is not None and known.config_model is not spec.config_model:
            raise ValueError(f"{spec.kind} driver {spec.name!r} is already registered")
        _drivers[spec.kind][spec.name] = spec
        _generation += 1
    return spec


def driver(kind: str, name: str) -> Callable[[type[M]], type[M]]:
    """Class decorator that registers a driver's config model: ``@driver("receipt_printer", "network")``."""

    def decorate(model: type[M]) -> type[M]:
        register_driver(DriverSpec(kind, name, model))
        return model

    return decorate


def unregister_driver(kind: str, name: str) -> None:
    """Remove a driver (tests that register a driver of their own clean up with this)."""
    global _generation
    with _lock:
        if _drivers.get(kind, {}).pop(name, None) is not None:
            _generation += 1


def unregister_kind(name: str) -> None:
    """Remove a kind and its drivers (tests that add a kind of their own clean up with this)."""
    global _generation
    with _lock:
        if _kinds.pop(name, None) is not None:
            _drivers.pop(name, None)
            _generation += 1


def kinds() -> list[DeviceKind]:
    """Every kind, in registration order (printers first, as config.yaml lists them)."""
    load_drivers()
    with _lock:
        return list(_kinds.values())


def drivers(kind: str | None = None) -> list[DriverSpec]:
    """The drivers of ``kind`` (all drivers when None), in registration order."""
    load_drivers()
    with _lock:
        names = [kind] if kind is not None else list(_drivers)
        return [spec for k in names for spec in _drivers.get(k, {}).values()]


def generation() -> int:
    """Grows with every registration: a schema built from the registry is stale when this changed."""
    load_drivers()
    return _generation


def load_drivers() -> None:
    """Import every module of the ``devices`` package once, so each driver module registers itself."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        _loaded = True
        package = os.path.dirname(__file__)
        for module in sorted(m.name for m in pkgutil.iter_modules([package])):
            if not module.startswith("_"):
                importlib.import_module(f"devices.{module}")


# The built-in kinds, in the order config.yaml lists them.
register_kind(DeviceKind("document_printer", DocumentPrinter, "document_printer",
                         "A4 printer for KK and akta; null when this kiosk has none."))
register_kind(DeviceKind("card_printer", CardPrinter, "card_printer",
                         "Card printer for KTP-el and KIA; null when this kiosk has none."))
register_kind(DeviceKind("receipt_printer", ReceiptPrinter, "receipt_printer",
                         "Receipt printer for queue tickets and printed-documents slips; null when none."))
register_kind(DeviceKind("barcode_reader", BarcodeReader, "barcode_readers",
                         "Barcode readers (WhatsApp QR, bookings, document QR).", many=True))
register_kind(DeviceKind("card_reader", CardReader, "card_reader",
                         "Smart-card reader for the KTP-el login (PC/SC); null when this kiosk has none."))
register_kind(DeviceKind("fingerprint_reader", FingerprintReader, "fingerprint_reader",
                         "Fingerprint reader for the KTP-el login (libfprint); null when this kiosk has none."))
