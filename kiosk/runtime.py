"""Everything behind the screens, from a Config: running devices, central client, print store and effects.

:mod:`kiosk.assembly` (the composition root) builds one and hands the UI what it needs from it; tests build
one the same way, without a UI.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import kiosk.central_client as cc
from central import contract as c
from devices.base import CardPresence, DeviceError, DeviceStatus, call_with_timeout
from kiosk import __version__
from kiosk.config import Config
from kiosk.diagnostics import Diagnostics, heartbeat_body, printer_supplies
from kiosk.effects import EffectRunner
from kiosk.fleet import FleetAgent
from kiosk.flow import (
    BookingScanned,
    CardPlaced,
    DevicesChanged,
    Event,
    FlowSettings,
    LoginQrScanned,
    Media,
    OfficerCardScanned,
    PrinterAvailability,
    UnknownScan,
    VerifyScanned,
)
from kiosk.hardware import MEDIA_PRINTERS, Devices, build_devices, device_report
from kiosk.logs import event as log_event
from kiosk.metrics import HeartbeatLoop, KioskMetrics, MetricsServer, get_metrics
from kiosk.metrics_feed import MetricsFeed
from kiosk.scans import ScanKind, classify
from kiosk.service_model import NoticeKind
from kiosk.voice import Espeak, SoundLibrary, VoiceGuide
from printjobs.errors import JournalCorrupt, JournalError, PermanentDeliveryError, TransientDeliveryError
from printjobs.maintenance import Maintenance
from printjobs.outbox import JobReport, RatingReport
from printjobs.pipeline import PrintPipeline
from printjobs.store import PrintStore, Recovery, store_dir

log = logging.getLogger(__name__)
STATUS_TIMEOUT_S = 10.0


class CentralEventSender:
    """The outbox's view of the central client: transient errors are retried, the rest are kept as rejected."""

    def __init__(self, central: cc.CentralClient):
        self.central = central

    def send(self, event: JobReport | RatingReport) -> None:
        try:
            if isinstance(event, RatingReport):
                self.central.report_rating(event.key, event.month, event.score)
            else:
                self.central.report_print_event(event.document_id, event.job_id, event.outcome, event.cause,
                                                dict(event.counters), key=event.key)
        except (cc.Unreachable, cc.Timeout) as exc:
            raise TransientDeliveryError(type(exc).__name__) from None
        except cc.ProtocolError as exc:  # a 5xx or a proxy's HTML page: the service may be back later
            raise TransientDeliveryError("protocol") from exc
        except cc.IdentityRefused as exc:  # kept until a person fixes the certificate or kiosk.id, then sent
            raise TransientDeliveryError(exc.code) from None
        except cc.CentralError as exc:
            raise PermanentDeliveryError(type(exc).__name__) from None


def availability(media: Media, status: DeviceStatus | None, empty: list[str]) -> PrinterAvailability:
    """Whether a printer can take a resident's documents, and the reason word when not."""
    if status is None:
        return PrinterAvailability(media, False, "not-installed")
    if empty:
        return PrinterAvailability(media, False, f"{empty[0]}-empty" if empty[0] != "paper" else "media-empty")
    if not status.state.usable:
        return PrinterAvailability(media, False, status.reasons[0] if status.reasons else "offline-report")
    return PrinterAvailability(media, True)


class DeviceMonitor:
    """Polls the printers off the main thread and posts DevicesChanged when availability changes."""

    def __init__(self, devices: Devices, store: PrintStore | None, post: Callable[[Event], None],
                 interval_s: float = 2.0, blocked: str | None = None, *,
                 metrics: KioskMetrics | None = None, feed: MetricsFeed | None = None,
                 fleet: FleetAgent | None = None):
        self.devices = devices
        self.fleet = fleet
        self.metrics = metrics or get_metrics()
        self.feed = feed
        self.blocked = blocked
        self.store = store
        self.post = post
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: tuple[PrinterAvailability, ...] = ()

    def check(self) -> tuple[PrinterAvailability, ...]:
        if self.blocked:
            return tuple(PrinterAvailability(media, False, self.blocked) for media in MEDIA_PRINTERS)
        result = []
        statuses: dict[str, DeviceStatus | None] = {}
        for media, name in MEDIA_PRINTERS.items():
            device = getattr(self.devices, name)
            status = None
            if device is not None:
                try:
                    status = call_with_timeout(device.status, STATUS_TIMEOUT_S, f"{name} status")
                except DeviceError as exc:
                    status = DeviceStatus.offline(exc.reason, type(exc).__name__)
            statuses[name] = status
            empty = self.store.consumables.empty(name) if device is not None and self.store is not None else []
            result.append(availability(media, status, empty))
        if self.feed is not None:
            self.feed.devices(statuses)
        return tuple(result)

    def poll_once(self) -> None:
        current = self.check()
        if self.feed is not None:
            self.feed.refresh()
        stopped = False
        if self.fleet is not None:
            self.fleet.refresh()  # opening hours begin and end with the clock; a cap with the day's prints
            stopped = self.fleet.shown is not None and self.fleet.shown.kind is NoticeKind.OUT_OF_SERVICE
        # Closed hours and a reached cap are the operator's plan, not an outage: they do not count here.
        self.metrics.set_in_service(any(a.available for a in current) and not stopped)
        if current != self.last:
            self.last = current
            log_event(log, "devices.changed", logging.INFO, **{a.media.value: a.reason or "ok" for a in current})
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
    """The flow event for one sanitized scan; the flow decides whether it means anything on the screen shown."""
    scan = classify(text)
    log_event(log, "scan", kind=scan.kind.value)
    if scan.kind is ScanKind.LOGIN:
        return LoginQrScanned(now=time.monotonic(), token=scan.value, holder=scan.holder)
    if scan.kind is ScanKind.VERIFY:
        return VerifyScanned(now=time.monotonic(), code=scan.value)
    if scan.kind is ScanKind.BOOKING:
        return BookingScanned(now=time.monotonic(), code=scan.value)
    if scan.kind is ScanKind.OFFICER_CARD:
        return OfficerCardScanned(now=time.monotonic(), card=scan.value)
    return UnknownScan(now=time.monotonic())


def build_voice(config: Config, devices: Devices) -> VoiceGuide | None:
    """The voice guide over the kiosk's audio output; None when the kiosk has no audio output."""
    audio = devices.audio_output()
    if audio is None:
        return None
    base = config.storage.state_dir / "voice"
    section = config.voice
    library = SoundLibrary(Espeak(words_per_minute=section.words_per_minute),
                           section.cache_dir or base / "cache", section.clips_dir or base / "clips")
    return VoiceGuide(audio, library)


class KioskRuntime:
    """Everything behind the screens, built from one Config."""

    def __init__(self, config: Config, post: Callable[[Event], None], *, monitor_interval_s: float = 2.0,
                 metrics: KioskMetrics | None = None, config_path: Path | None = None,
                 push_root: Path | None = None,
                 restart: Callable[[], None] | None = None):
        self.config = config
        self.metrics = metrics or get_metrics()
        self.metrics.set_info(__version__, config.kiosk.id)
        self.devices = build_devices(config)
        self.devices.open_all()
        self.central = cc.CentralClient(config.central, config.kiosk.id)
        thresholds = {
            "blanko": config.consumables.blanko_low,
            "ribbon": config.consumables.ribbon_low,
            "paper": config.consumables.paper_low,
            "receipt": config.consumables.receipt_low,
        }
        self.blocked: str | None = None  # why nothing may print at all, e.g. a corrupt journal
        try:
            self.store: PrintStore | None = PrintStore(store_dir(config.storage.state_dir), thresholds=thresholds,
                                                       outbox_backoff=config.central.outbox_backoff.policy(),
                                                       sender=CentralEventSender(self.central),
                                                       retention_days=config.storage.retention_days)
            self.recovery = self.store.recover()
        except JournalError as exc:
            # Printing without a journal we can trust could print a card twice: out of service until a
            # technician looks. The damaged file stays as it is, for them.
            log_event(log, "journal.unusable", logging.CRITICAL, error=type(exc).__name__)
            self.store, self.blocked = None, "journal-corrupt"
            self.recovery = Recovery(uncertain=[], interrupted=[], purged_documents=0)
        printers = {name: getattr(self.devices, name) for name in MEDIA_PRINTERS.values()
                    if getattr(self.devices, name) is not None}
        self.pipeline = PrintPipeline(self.store, printers) if self.store is not None else None
        #: The KTP-el + finger login needs both readers; with either missing the other logins stay as they are.
        self.card_login = self.devices.card_reader is not None and self.devices.fingerprint_reader is not None
        self.effects = EffectRunner(self.central, self.pipeline, post, receipt=self.devices.receipt_printer,
                                    kiosk_id=config.kiosk.id, office=config.kiosk.location, metrics=self.metrics,
                                    card_reader=self.devices.card_reader if self.card_login else None,
                                    fingerprint_reader=self.devices.fingerprint_reader if self.card_login else None)
        self.feed = MetricsFeed(self.metrics, self.store, thresholds)
        self.feed.recovered(self.recovery)
        # The full integrity check, pruning and the audit checkpoint, off the UI thread once the kiosk runs.
        self.maintenance = (Maintenance(self.store.db, self.store.retention, self.store.audit,
                                        on_corrupt=self._journal_corrupt) if self.store is not None else None)
        self.diagnostics = Diagnostics(config, self.devices, self.store, self.central)
        self.fleet = FleetAgent(config, self.store, self.central, post,
                                bundle=lambda: self.diagnostics.bundle(journal_limit=50),
                                config_path=config_path, push_root=push_root, restart=restart)
        self.monitor = DeviceMonitor(self.devices, self.store, post, monitor_interval_s, blocked=self.blocked,
                                     metrics=self.metrics, feed=self.feed, fleet=self.fleet)
        self._post = post
        self._last_scan: str | None = None
        self.voice = build_voice(config, self.devices)
        self.metrics_server: MetricsServer | None = None
        self.heartbeat: HeartbeatLoop | None = None
        self._stopped = False
        self._heartbeat_lock = threading.Lock()

    def _journal_corrupt(self, problems: list[str]) -> None:
        """The background check found damage the check at open could not see: stop printing, as at open."""
        log_event(log, "journal.unusable", logging.CRITICAL, error=JournalCorrupt.__name__, problems=len(problems))
        self.blocked = "journal-corrupt"
        self.monitor.blocked = self.blocked
        if self.store is not None:
            self.store.refuse_new_jobs(self.blocked)
        self.monitor.poll_once()

    def flow_settings(self) -> FlowSettings:
        k = self.config.kiosk
        return FlowSettings(idle_warning_s=k.idle_warning_s, idle_logout_s=k.idle_logout_s,
                            done_logout_s=k.done_logout_s, default_language=k.default_language,
                            technician_idle_s=self.config.technician.idle_exit_s,
                            officer_idle_s=self.config.officer.idle_warning_s,
                            officer_session_s=self.config.officer.session_s,
                            card_login=self.card_login,
                            help_call_interval_s=k.help_call_interval_s)

    def _on_scan(self, text: str) -> None:
        self._last_scan = text
        self._post(scan_event(text))

    def _on_card(self, presence: CardPresence) -> None:
        """A card placed starts the card login (the flow decides whether it means anything on the screen shown)."""
        if presence is CardPresence.PLACED:
            self._post(CardPlaced(now=time.monotonic()))

    def last_scan(self) -> str | None:
        """The last sanitized scan, for the technician's scan test; a login token is never shown."""
        if self._last_scan is None:
            return None
        scan = classify(self._last_scan)
        if scan.kind in (ScanKind.LOGIN, ScanKind.OFFICER_CARD):  # credentials
            return f"[{scan.kind.value}, {len(self._last_scan)}]"
        return self._last_scan[:40]

    def heartbeat_status(self) -> c.Heartbeat:
        """Device states, consumables and counters for the central service (no personal data)."""
        reports = [device_report(d) for d in self.devices.all()]
        for report in reports:
            self.metrics.set_device_state(report.name, report.state)
            for supply, percent in printer_supplies(report).items():
                self.metrics.set_supply(report.name, supply, percent)
        self.feed.refresh()
        return heartbeat_body(reports, self.store)

    def send_heartbeat(self) -> None:
        """One heartbeat with the acks of the commands run; then the commands in its answer are run."""
        with self._heartbeat_lock:  # one at a time: acks and commands of two beats must not cross
            fields = self.fleet.heartbeat_fields()
            if self.monitor.last and not any(a.available for a in self.monitor.last):
                fields.update(in_service=False, notice=fields["notice"] or "no_printer")
            body = self.heartbeat_status().model_copy(update=fields)
            try:
                answer = self.central.heartbeat(body)
            except cc.CentralError:
                self.fleet.set_reachable(False)
                raise
            self.fleet.answered(body.acks, answer)

    def start(self) -> None:
        """Background work: outbox, device monitor, readers, the metrics endpoint and the heartbeat.

        The metrics endpoint's OSError (say, the port taken) reaches the caller, which stops what started."""
        if self.voice is not None:
            self.voice.start()
        if self.store is not None:
            self.store.outbox.start()
        if self.maintenance is not None:
            self.maintenance.start()
        self.monitor.start()
        if self.config.metrics.enabled:
            self.metrics_server = MetricsServer.from_config(self.metrics, self.config.metrics).start()
        self.heartbeat = HeartbeatLoop(self.send_heartbeat, self.config.central.heartbeat_interval_s,
                                       self.metrics).start()
        for reader in self.devices.barcode_readers:
            try:
                reader.start(self._on_scan)
            except DeviceError as exc:  # the reader shows OFFLINE in diagnostics; the keypad still works
                log_event(log, "reader.unavailable", logging.WARNING, reader=reader.name, reason=exc.reason)
        card_reader = self.devices.card_reader
        if self.card_login and card_reader is not None:
            try:
                card_reader.start(self._on_card)
            except DeviceError as exc:  # OFFLINE in diagnostics; NIK + PIN and the QR still work
                log_event(log, "reader.unavailable", logging.WARNING, reader=card_reader.name, reason=exc.reason)

    def stop(self) -> None:
        """Stop the background work and close the devices; a second call does nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.metrics_server is not None:
            self.metrics_server.stop()
        if self.voice is not None:
            self.voice.stop()
        for reader in self.devices.barcode_readers:
            reader.stop()
        if self.devices.card_reader is not None:
            self.devices.card_reader.stop()
        self.monitor.stop()
        self.effects.shutdown(wait=True)
        if self.maintenance is not None:
            self.maintenance.stop()
        if self.store is not None:
            self.store.close()
        self.central.close()
        self.devices.close_all()
