"""The composition root: from a Config to running devices, central client, print store and effects.

The UI gets a :class:`KioskRuntime` and nothing else; tests and the demo build one the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import kiosk.central as cc
from central import contract as c
from devices.base import DeviceError, DeviceStatus, call_with_timeout
from kiosk import __version__
from kiosk.config import Config
from kiosk.effects import PRINTER_NAMES, EffectRunner
from kiosk.flow import (
    DevicesChanged,
    Event,
    FlowSettings,
    LoginQrScanned,
    PrinterAvailability,
    PrinterKind,
    UnknownScan,
)
from kiosk.hardware import Devices, build_devices, device_report
from kiosk.logs import event as log_event
from kiosk.metrics import get_metrics
from kiosk.scans import ScanKind, classify
from printjobs.errors import PermanentDeliveryError, TransientDeliveryError
from printjobs.outbox import PrintEvent
from printjobs.pipeline import PrintPipeline
from printjobs.store import PrintStore

log = logging.getLogger(__name__)
STATUS_TIMEOUT_S = 10.0


class CentralEventSender:
    """The outbox's view of the central client: transient errors are retried, the rest are kept as rejected."""

    def __init__(self, central: cc.CentralClient):
        self.central = central

    def send(self, event: PrintEvent) -> None:
        try:
            self.central.report_print_event(event.document_id, event.job_id, event.outcome, event.cause,
                                            dict(event.counters))
        except (cc.Unreachable, cc.Timeout) as exc:
            raise TransientDeliveryError(type(exc).__name__) from None
        except cc.ProtocolError as exc:  # a 5xx or a proxy's HTML page: the service may be back later
            raise TransientDeliveryError("protocol") from exc
        except cc.CentralError as exc:
            raise PermanentDeliveryError(type(exc).__name__) from None


def availability(kind: PrinterKind, status: DeviceStatus | None, empty: list[str]) -> PrinterAvailability:
    """Whether a printer can take a resident's documents, and the reason word when not."""
    if status is None:
        return PrinterAvailability(kind, False, "not-installed")
    if empty:
        return PrinterAvailability(kind, False, f"{empty[0]}-empty" if empty[0] != "paper" else "media-empty")
    if not status.state.usable:
        return PrinterAvailability(kind, False, status.reasons[0] if status.reasons else "offline-report")
    return PrinterAvailability(kind, True)


class DeviceMonitor:
    """Polls the printers off the main thread and posts DevicesChanged when availability changes."""

    def __init__(self, devices: Devices, store: PrintStore, post: Callable[[Event], None], interval_s: float = 2.0):
        self.devices = devices
        self.store = store
        self.post = post
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: tuple[PrinterAvailability, ...] = ()

    def check(self) -> tuple[PrinterAvailability, ...]:
        result = []
        for kind, name in PRINTER_NAMES.items():
            device = getattr(self.devices, name)
            status = None
            if device is not None:
                try:
                    status = call_with_timeout(device.status, STATUS_TIMEOUT_S, f"{name} status")
                except DeviceError as exc:
                    status = DeviceStatus.offline(exc.reason, type(exc).__name__)
            empty = self.store.consumables.empty(name) if device is not None else []
            result.append(availability(kind, status, empty))
        return tuple(result)

    def poll_once(self) -> None:
        current = self.check()
        get_metrics().set_in_service(any(a.available for a in current))
        if current != self.last:
            self.last = current
            log_event(log, "devices.changed", **{a.kind.value: a.reason or "ok" for a in current})
            self.post(DevicesChanged(now=time.monotonic(), printers=current))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="device-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=STATUS_TIMEOUT_S + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.interval_s)


def scan_event(text: str) -> Event:
    """The flow event for one sanitized scan (codes for screens not built yet count as unknown)."""
    scan = classify(text)
    log_event(log, "scan", kind=scan.kind.value)
    if scan.kind is ScanKind.LOGIN:
        return LoginQrScanned(now=time.monotonic(), token=scan.value)
    return UnknownScan(now=time.monotonic())


class KioskRuntime:
    """Everything behind the screens, built from one Config."""

    def __init__(self, config: Config, post: Callable[[Event], None], *, monitor_interval_s: float = 2.0):
        self.config = config
        self.devices = build_devices(config)
        self.devices.open_all()
        self.central = cc.CentralClient(config.central, config.kiosk.id)
        thresholds = {
            "blanko": config.consumables.blanko_low,
            "ribbon": config.consumables.ribbon_low,
            "paper": config.consumables.paper_low,
            "receipt": config.consumables.receipt_low,
        }
        self.store = PrintStore(config.storage.state_dir / "jobs", thresholds=thresholds,
                                sender=CentralEventSender(self.central))
        self.recovery = self.store.recover()
        printers = {name: getattr(self.devices, name) for name in PRINTER_NAMES.values()
                    if getattr(self.devices, name) is not None}
        self.pipeline = PrintPipeline(self.store, printers)
        self.effects = EffectRunner(self.central, self.pipeline, post)
        self.monitor = DeviceMonitor(self.devices, self.store, post, monitor_interval_s)
        self._post = post

    def flow_settings(self) -> FlowSettings:
        k = self.config.kiosk
        return FlowSettings(idle_warning_s=k.idle_warning_s, idle_logout_s=k.idle_logout_s,
                            done_logout_s=k.done_logout_s, default_language=k.default_language)

    def heartbeat_status(self) -> c.Heartbeat:
        """Device states, consumables and counters for the central service (no personal data)."""
        reports = [device_report(d) for d in self.devices.all()]
        levels = {f"{s.printer}.{s.kind}": s.level for s in self.store.consumables.status() if s.level is not None}
        counters = {k: v for k, v in self.store.journal.counts().items() if isinstance(v, int)}
        metrics = get_metrics()
        for report in reports:
            metrics.set_device_state(report.name, report.state)
        metrics.set_outbox(self.store.outbox.pending_count())
        return c.Heartbeat(
            devices={r.name: c.DeviceReport(state=r.state, reasons=r.reasons) for r in reports},
            consumables=levels, counters=counters, software_version=__version__,
        )

    def send_heartbeat(self) -> None:
        self.central.heartbeat(self.heartbeat_status())

    def start(self) -> None:
        self.store.outbox.start()
        self.monitor.start()
        for reader in self.devices.barcode_readers:
            try:
                reader.start(lambda text: self._post(scan_event(text)))
            except DeviceError as exc:  # the reader shows OFFLINE in diagnostics; the keypad still works
                log_event(log, "reader.unavailable", logging.WARNING, reader=reader.name, reason=exc.reason)

    def stop(self) -> None:
        for reader in self.devices.barcode_readers:
            reader.stop()
        self.monitor.stop()
        self.effects.shutdown(wait=True)
        self.store.close()
        self.central.close()
        self.devices.close_all()
