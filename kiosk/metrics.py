"""Fleet metrics in Prometheus text format, served on loopback only.

The kiosk's parts record what happens through a :class:`KioskMetrics` (or the module-level functions that
use the process-wide one); :class:`MetricsServer` serves its registry on ``config.metrics.host:port``, which
the schema restricts to a loopback address. A fleet's Prometheus reaches it through the node's own
exporter proxy or an SSH/WireGuard tunnel; the README's Deploy section shows the scrape config and alerts.

Labels are a closed vocabulary (device names, document types, outcomes, states): a label never carries a
NIK, a name, a token or any other value a resident typed, and an unexpected value is refused rather than
turned into a new time series.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import start_http_server

from kiosk.logs import event

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from kiosk.config import MetricsSection

log = logging.getLogger(__name__)

PREFIX = "adm_kiosk"

#: Device states, as ``devices``' DeviceState names them (lower case here).
DEVICE_STATES = ("ready", "busy", "warning", "needs_attention", "offline", "error")
#: States in which a device can take a job.
_USABLE = frozenset({"ready", "busy", "warning"})
PRINT_OUTCOMES = ("printed", "failed", "uncertain")
SESSION_OUTCOMES = ("completed", "logged_out", "idle_logout", "login_failed", "locked", "error")
SPOIL_CAUSES = ("failed_encode", "damaged", "failed_print", "data_changed")
CONSUMABLES = ("blanko", "ribbon", "paper", "receipt")
CENTRAL_OUTCOMES = ("ok", "http_error", "network_error", "timeout")
#: What became of a resident's call for help: the service has it, it refused one too soon, or it was not reached.
HELP_OUTCOMES = ("sent", "refused", "failed")

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # a letter first: no NIK or number can pass
# Central round trips over village networks: from loopback-fast to the 20 s read timeout.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)


def _slug(kind: str, value: str | Enum) -> str:
    """A label value from a short identifier ('KTP-el' -> 'ktp_el'); anything else is refused."""
    raw = value.name if isinstance(value, Enum) else str(value)
    text = re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_")
    if not _SLUG.match(text):
        raise ValueError(f"{kind} must be a short identifier, got {raw[:40]!r}")
    return text


def _one_of(kind: str, value: str | Enum, allowed: Iterable[str]) -> str:
    text = _slug(kind, value)
    allowed = tuple(allowed)
    if text not in allowed:
        raise ValueError(f"{kind} must be one of {', '.join(allowed)}, got {text!r}")
    return text


class KioskMetrics:
    """Every metric the kiosk exports, in a registry of its own (so tests and the app never share one)."""

    def __init__(self, *, process_metrics: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process_metrics:
            # RSS, CPU, open fds and the Python version: enough to alert on leaks and restarts.
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        r = self.registry
        self._info = Info(f"{PREFIX}_build", "Software version and kiosk identity.", registry=r)
        self._in_service = Gauge(
            f"{PREFIX}_in_service", "1 while residents can print, 0 while out of service.", registry=r
        )
        self._sessions_started = Counter(f"{PREFIX}_sessions_started", "Resident sessions begun.", registry=r)
        self._sessions = Counter(f"{PREFIX}_sessions", "Resident sessions ended, by outcome.", ["outcome"], registry=r)
        self._documents = Counter(
            f"{PREFIX}_documents", "Documents sent to a printer, by type and outcome.", ["type", "outcome"], registry=r
        )
        self._spoiled = Counter(
            f"{PREFIX}_cards_spoiled", "Blank cards spoiled, by cause (audit log counts each).", ["cause"], registry=r
        )
        self._device_state = Gauge(
            f"{PREFIX}_device_state",
            "1 for the state each device is in, 0 for the others.",
            ["device", "state"],
            registry=r,
        )
        self._device_ready = Gauge(
            f"{PREFIX}_device_ready",
            "1 when the device can take a job (ready, busy, warning).",
            ["device"],
            registry=r,
        )
        self._consumable = Gauge(
            f"{PREFIX}_consumable_remaining",
            "Units left: cards, ribbon prints, sheets, receipts.",
            ["device", "consumable"],
            registry=r,
        )
        self._consumable_low = Gauge(
            f"{PREFIX}_consumable_low_threshold",
            "Units left at which the kiosk warns (config.consumables).",
            ["device", "consumable"],
            registry=r,
        )
        self._supply = Gauge(
            f"{PREFIX}_printer_supply_percent",
            "Percent left of a printer's own supplies (toner, ink), as the printer reports them.",
            ["device", "supply"],
            registry=r,
        )
        self._outbox = Gauge(
            f"{PREFIX}_outbox_backlog", "Print events waiting to reach the central service.", registry=r
        )
        self._outbox_age = Gauge(
            f"{PREFIX}_outbox_oldest_age_seconds", "Age of the oldest unsent print event (0 when none).", registry=r
        )
        self._uncertain = Gauge(
            f"{PREFIX}_jobs_uncertain",
            "Print jobs that may or may not have printed, waiting for a technician's answer.",
            registry=r,
        )
        self._central = Histogram(
            f"{PREFIX}_central_request_duration_seconds",
            "Round trips to the central service.",
            ["endpoint", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self._heartbeats = Counter(
            f"{PREFIX}_heartbeats", "Heartbeats to the central service, by outcome.", ["outcome"], registry=r
        )
        self._heartbeat_ok = Gauge(
            f"{PREFIX}_heartbeat_last_success_timestamp_seconds",
            "Unix time of the last heartbeat the central service accepted (0: none yet).",
            registry=r,
        )
        self._help = Counter(
            f"{PREFIX}_help_requests", "Residents' calls for help ('Panggil petugas'), by outcome.", ["outcome"],
            registry=r,
        )
        for outcome in SESSION_OUTCOMES:  # export zeros, so rate() works from the first scrape
            self._sessions.labels(outcome)

    # -- identity and service state
    def set_info(self, version: str, kiosk_id: str) -> None:
        """Software version and the kiosk's id at the central service (not personal data)."""
        self._info.info({"version": version, "kiosk_id": kiosk_id})

    def set_in_service(self, in_service: bool) -> None:
        """Whether residents can print (False while OUT_OF_SERVICE shows)."""
        self._in_service.set(1 if in_service else 0)

    # -- resident flow
    def session_started(self) -> None:
        """A resident's session began (NIK and PIN accepted, or QR)."""
        self._sessions_started.inc()

    def session_ended(self, outcome: str | Enum) -> None:
        """A session ended: one of :data:`SESSION_OUTCOMES`."""
        self._sessions.labels(_one_of("outcome", outcome, SESSION_OUTCOMES)).inc()

    def document_printed(self, doc_type: str | Enum, outcome: str | Enum) -> None:
        """A document job ended: type such as 'kk', 'akta_kelahiran', 'ktp_el'; outcome printed|failed|uncertain."""
        self._documents.labels(_slug("type", doc_type), _one_of("outcome", outcome, PRINT_OUTCOMES)).inc()

    def card_spoiled(self, cause: str | Enum, count: int = 1) -> None:
        """``count`` blank cards were spoiled: one of :data:`SPOIL_CAUSES` (0 exports the series)."""
        self._spoiled.labels(_one_of("cause", cause, SPOIL_CAUSES)).inc(count)

    def help_requested(self, outcome: str | Enum, count: int = 1) -> None:
        """A resident called for help: one of :data:`HELP_OUTCOMES` (0 exports the series)."""
        self._help.labels(_one_of("outcome", outcome, HELP_OUTCOMES)).inc(count)

    # -- devices
    def set_device_state(self, device: str, state: str | Enum) -> None:
        """The state a device reports (DeviceState or its name)."""
        name = _slug("device", device)
        current = _one_of("state", state, DEVICE_STATES)
        for candidate in DEVICE_STATES:
            self._device_state.labels(name, candidate).set(1 if candidate == current else 0)
        self._device_ready.labels(name).set(1 if current in _USABLE else 0)

    def set_supply(self, device: str, supply: str, percent: int) -> None:
        """Percent left of a supply the printer itself reports (a marker: 'black-toner', 'cyan-ink')."""
        self._supply.labels(_slug("device", device), _slug("supply", supply)).set(percent)

    def set_consumable(self, device: str, consumable: str, remaining: int, low_threshold: int | None = None) -> None:
        """Units left of a consumable, and the configured warning level when known."""
        labels = (_slug("device", device), _one_of("consumable", consumable, CONSUMABLES))
        self._consumable.labels(*labels).set(remaining)
        if low_threshold is not None:
            self._consumable_low.labels(*labels).set(low_threshold)

    # -- outbox and central service
    def set_outbox(self, backlog: int, oldest_age_s: float = 0.0) -> None:
        """Print events not yet accepted by the central service, and how long the oldest has waited."""
        self._outbox.set(backlog)
        self._outbox_age.set(oldest_age_s if backlog else 0.0)

    def set_uncertain_jobs(self, count: int) -> None:
        """Jobs in UNCERTAIN (a crash while sending, a printer that stopped answering) not yet resolved."""
        self._uncertain.set(count)

    def observe_central(self, endpoint: str, seconds: float, outcome: str = "ok") -> None:
        """One round trip to the central service; endpoint is a short route name such as 'sessions'."""
        self._central.labels(_slug("endpoint", endpoint), _one_of("outcome", outcome, CENTRAL_OUTCOMES)).observe(
            seconds
        )

    def heartbeat(self, ok: bool, at: float | None = None) -> None:
        """A heartbeat was sent; ``ok`` when the central service accepted it."""
        self._heartbeats.labels("ok" if ok else "failed").inc()
        if ok:
            self._heartbeat_ok.set(time.time() if at is None else at)


class MetricsServer:
    """The HTTP endpoint for one :class:`KioskMetrics`, on a loopback address, in a daemon thread."""

    def __init__(self, metrics: KioskMetrics, host: str = "127.0.0.1", port: int = 9464) -> None:
        if not _is_loopback(host):
            # The schema already refuses this; checked again because this is the line that opens the port.
            raise ValueError(f"metrics must listen on a loopback address, not {host!r}")
        self.metrics = metrics
        self.host = host
        self._requested_port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, metrics: KioskMetrics, section: MetricsSection) -> MetricsServer:
        """A server for ``config.metrics`` (call :meth:`start` when ``section.enabled``)."""
        return cls(metrics, section.host, section.port)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0 in tests)."""
        if self._server is None:
            raise RuntimeError("the metrics server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Where to scrape, e.g. ``http://127.0.0.1:9464/metrics``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> MetricsServer:
        """Listen and serve; raises OSError (e.g. port in use) to the caller, which reports it."""
        if self._server is None:
            self._server, self._thread = start_http_server(self._requested_port, self.host, self.metrics.registry)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and free the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HeartbeatLoop:
    """Sends the heartbeat to the central service every ``interval_s`` on a daemon thread, and records it.

    ``send`` does one heartbeat, e.g. ``lambda: client.heartbeat(runtime.heartbeat_status())``; it runs on
    this loop's thread, never the UI's. A :class:`kiosk.central_client.CentralError` is a failed beat (counted,
    logged once per outage); the loop goes on. The first beat goes out at once, so the fleet sees a
    restarted kiosk without waiting a whole interval.
    """

    def __init__(self, send: Callable[[], object], interval_s: float, metrics: KioskMetrics) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._send = send
        self.interval_s = interval_s
        self.metrics = metrics
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def beat(self) -> bool:
        """One heartbeat now; ``True`` when the central service accepted it."""
        from kiosk.central_client import CentralError, Timeout, Unreachable

        started = time.monotonic()
        try:
            self._send()
        except CentralError as exc:
            outcome = (
                "timeout"
                if isinstance(exc, Timeout)
                else "network_error"
                if isinstance(exc, Unreachable)
                else "http_error"
            )
            self.metrics.observe_central("heartbeat", time.monotonic() - started, outcome)
            self.metrics.heartbeat(False)
            if not self._failing:
                self._failing = True
                event(log, "heartbeat.failed", logging.WARNING, error=type(exc).__name__)
            return False
        self.metrics.observe_central("heartbeat", time.monotonic() - started, "ok")
        self.metrics.heartbeat(True)
        if self._failing:
            self._failing = False
            event(log, "heartbeat.restored")
        return True

    def start(self) -> HeartbeatLoop:
        """Begin beating on a daemon thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the beat in flight, if any (bounded by ``timeout``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.interval_s)


# --------------------------------------------------------------------------- process-wide instance
_default: KioskMetrics | None = None
_default_lock = threading.Lock()


def get_metrics() -> KioskMetrics:
    """The process-wide :class:`KioskMetrics` that the module-level functions record into."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KioskMetrics()
        return _default


def session_started() -> None:
    """See :meth:`KioskMetrics.session_started`."""
    get_metrics().session_started()


def session_ended(outcome: str | Enum) -> None:
    """See :meth:`KioskMetrics.session_ended`."""
    get_metrics().session_ended(outcome)


def document_printed(doc_type: str | Enum, outcome: str | Enum) -> None:
    """See :meth:`KioskMetrics.document_printed`."""
    get_metrics().document_printed(doc_type, outcome)


def card_spoiled(cause: str | Enum) -> None:
    """See :meth:`KioskMetrics.card_spoiled`."""
    get_metrics().card_spoiled(cause)


def set_device_state(device: str, state: str | Enum) -> None:
    """See :meth:`KioskMetrics.set_device_state`."""
    get_metrics().set_device_state(device, state)


def set_consumable(device: str, consumable: str, remaining: int, low_threshold: int | None = None) -> None:
    """See :meth:`KioskMetrics.set_consumable`."""
    get_metrics().set_consumable(device, consumable, remaining, low_threshold)


def set_outbox(backlog: int, oldest_age_s: float = 0.0) -> None:
    """See :meth:`KioskMetrics.set_outbox`."""
    get_metrics().set_outbox(backlog, oldest_age_s)


def observe_central(endpoint: str, seconds: float, outcome: str = "ok") -> None:
    """See :meth:`KioskMetrics.observe_central`."""
    get_metrics().observe_central(endpoint, seconds, outcome)


def heartbeat(ok: bool, at: float | None = None) -> None:
    """See :meth:`KioskMetrics.heartbeat`."""
    get_metrics().heartbeat(ok, at)


def set_in_service(in_service: bool) -> None:
    """See :meth:`KioskMetrics.set_in_service`."""
    get_metrics().set_in_service(in_service)
