"""The one place that turns the ``devices`` section of the config into driver objects.

:func:`build_devices` never touches hardware: it only constructs drivers, so it cannot fail on a missing
printer (the driver reports OFFLINE later). :func:`device_reports` asks every device for its status, each
bounded in time, for ``adm-kiosk diagnose``, the technician screen and the heartbeat.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from central.vocabulary import Media
from devices import registry
from devices.audio import AudioOutput
from devices.base import (
    BarcodeReader,
    CardPrinter,
    CardReader,
    Device,
    DeviceError,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DocumentPrinter,
    FingerprintReader,
    ReceiptPrinter,
    call_with_timeout,
)
from kiosk import config as cfg

#: Which configured printer prints which media: the one place that ties the contract's media to device kinds.
MEDIA_PRINTERS: dict[Media, str] = {Media.A4: "document_printer", Media.CARD: "card_printer"}


@dataclass
class Devices:
    """The kiosk's devices, each behind its kind's protocol; a printer or reader the kiosk does not have is None.

    Devices of a kind registered without a field here (a new kind, before the kiosk uses it) are kept in
    ``others`` by kind name.
    """

    document_printer: DocumentPrinter | None = None
    card_printer: CardPrinter | None = None
    receipt_printer: ReceiptPrinter | None = None
    barcode_readers: list[BarcodeReader] = field(default_factory=list)
    #: The KTP-el + finger login needs both; either missing leaves the other logins.
    card_reader: CardReader | None = None
    fingerprint_reader: FingerprintReader | None = None
    others: dict[str, list[Device]] = field(default_factory=dict)

    def all(self) -> list[Device]:
        """Every configured device, printers first."""
        printers: list[Device | None] = [self.document_printer, self.card_printer, self.receipt_printer]
        others = [d for devices in self.others.values() for d in devices]
        readers: list[Device | None] = [self.card_reader, self.fingerprint_reader]
        return ([d for d in printers if d is not None] + list(self.barcode_readers)
                + [d for d in readers if d is not None] + others)

    def add(self, kind: registry.DeviceKind, device: Device) -> None:
        """Put a built device in its kind's place."""
        if not isinstance(device, kind.protocol) or getattr(device, "kind", None) != kind.name:
            raise TypeError(f"{type(device).__name__} is not a {kind.name} ({kind.protocol.__name__})")
        if kind.key in _FIELDS and kind.many:
            getattr(self, kind.key).append(device)
        elif kind.key in _FIELDS:
            setattr(self, kind.key, device)
        else:
            self.others.setdefault(kind.name, []).append(device)

    def audio_output(self) -> AudioOutput | None:
        """The kiosk's audio output (voice guidance), if it has one."""
        found = self.others.get("audio_output", [])
        return found[0] if found and isinstance(found[0], AudioOutput) else None

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


_FIELDS = frozenset(f.name for f in fields(Devices)) - {"others"}


def configured_devices(config: cfg.Config) -> list[tuple[registry.DeviceKind, str, registry.DriverConfig]]:
    """(kind, device name, driver config) of every device ``config.devices`` names, printers first.

    A one-of-a-kind device is named after its key (``card_printer``); a device in a list by its ``name``.
    """
    found = []
    for kind in registry.kinds():
        value = getattr(config.devices, kind.key, None)
        if value is None:
            continue
        for item in value if kind.many else [value]:
            found.append((kind, str(getattr(item, "name", kind.key)) if kind.many else kind.key, item))
    return found


def build_devices(config: cfg.Config, usb_backend: Any = None) -> Devices:
    """Construct the drivers ``config.devices`` names (``usb_backend``: a pyusb backend, for tests).

    Each driver's config model builds its device; nothing here knows one driver from another.
    """
    devices = Devices()
    thresholds = config.consumables.model_dump()
    for kind, name, item in configured_devices(config):
        context = registry.BuildContext(name, config.storage.state_dir, config.kiosk.id, thresholds, usb_backend)
        devices.add(kind, item.build(context))
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


def device_report(device: Device, timeout: float = 15.0) -> DeviceReport:
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
