"""One diagnostics model for the technician screen and ``adm-kiosk diagnose``: no Kivy here.

A :class:`Diagnostics` reads devices, the print store and the central service into a
:class:`DiagnosticsReport`, and carries out the technician's actions (self-tests, reloads, resolving
UNCERTAIN jobs, exports), each written to the audit log with the technician's id.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.base import Device, DeviceError, SelfTestLevel, SelfTestResult, call_with_timeout
from kiosk.config import Config
from kiosk.hardware import DeviceReport, Devices, device_report
from kiosk.logs import event
from printjobs.consumables import ConsumableKind
from printjobs.journal import JobState
from printjobs.store import PrintStore

if TYPE_CHECKING:
    # Imported where used: ``adm-kiosk diagnose --no-central`` (a technician at the kiosk) needs neither the
    # HTTP client nor the contract's models, which take about a third of its start.
    import kiosk.central_client as cc
    from central import contract as c

log = logging.getLogger(__name__)
SELF_TEST_TIMEOUT_S = 120.0


@dataclass
class CentralHealth:
    """Whether the central service answers, how fast, and how long this kiosk's certificate lasts."""

    reachable: bool
    latency_ms: float | None
    error: str | None
    certificate_expires: str | None
    certificate_days_left: int | None
    outbox_backlog: int


@dataclass
class DiagnosticsReport:
    devices: list[DeviceReport] = field(default_factory=list)
    consumables: list[dict] = field(default_factory=list)
    uncertain_jobs: list[dict] = field(default_factory=list)
    recent_faults: list[dict] = field(default_factory=list)
    central: CentralHealth | None = None

    @property
    def ok(self) -> bool:
        """True when nothing needs a technician: devices READY/WARNING, nothing uncertain, service reachable."""
        central_ok = self.central is None or self.central.reachable
        return all(d.ok for d in self.devices) and not self.uncertain_jobs and central_ok

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def to_text(self) -> str:
        rows = []
        for d in self.devices:
            reasons = ",".join(d.reasons) or "-"
            extra = " ".join(f"{k}={v}" for k, v in {**d.consumables, **d.counters}.items())
            rows.append(f"{d.name:<17} {d.kind:<16} {d.driver:<10} {d.state:<16} {reasons:<24} {extra}".rstrip())
            if d.message:
                rows.append(f"{'':<17} {d.message}")
        if not self.devices:
            rows.append("no devices configured")
        for job in self.uncertain_jobs:
            rows.append(f"UNCERTAIN job {job['job_id']} ({job['document_type']} on {job['printer']}): "
                        "resolve with 'adm-kiosk journal resolve JOB printed|not-printed'")
        if self.central is not None:
            ch = self.central
            state = f"reachable, {ch.latency_ms:.0f} ms" if ch.reachable else f"NOT reachable ({ch.error})"
            rows.append(f"central service: {state}; certificate expires {ch.certificate_expires} "
                        f"({ch.certificate_days_left} days); outbox backlog {ch.outbox_backlog}")
        return "\n".join(rows)


def certificate_expiry(path: Path) -> datetime | None:
    """When the kiosk's client certificate expires (None when it cannot be read)."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    return cert.not_valid_after_utc


def printer_supplies(report: DeviceReport) -> dict[str, int]:
    """The supplies a printer reports of itself (toner, ink; percent left), apart from what the kiosk counts."""
    counted = {kind.value for kind in ConsumableKind}
    return {name: level for name, level in report.consumables.items() if name not in counted}


def heartbeat_body(reports: list[DeviceReport], store: PrintStore | None) -> c.Heartbeat:
    """Device states, counted consumables, the printers' own supply levels and job counts for the central
    service (no personal data)."""
    from central import contract as c
    from kiosk import __version__

    levels: dict[str, int] = {f"{r.name}.{name}": level for r in reports for name, level in printer_supplies(r).items()}
    counters: dict[str, int] = {}
    if store is not None:
        levels |= {f"{s.printer}.{s.kind}": s.level for s in store.consumables.status() if s.level is not None}
        counters = dict(store.journal.counts())
    return c.Heartbeat(
        devices={r.name: c.DeviceReport(state=r.state, reasons=r.reasons) for r in reports},
        consumables=levels, counters=counters, software_version=__version__,
    )


class Diagnostics:
    """The technician's view of the kiosk and the actions they take; every action is audited."""

    def __init__(self, config: Config, devices: Devices, store: PrintStore | None,
                 central: cc.CentralClient | None):
        self.config = config
        self.devices = devices
        self.store = store
        self.central = central
        self.faults: deque[dict] = deque(maxlen=50)

    # ----- reading
    def report(self, *, check_central: bool = True) -> DiagnosticsReport:
        devices = [device_report(d) for d in self.devices.all()]
        for d in devices:
            if not d.ok:
                self.note_fault(d.name, d.reasons[0] if d.reasons else d.state)
        report = DiagnosticsReport(devices=devices, recent_faults=list(self.faults))
        if self.store is not None:
            report.consumables = [s.to_json() for s in self.store.consumables.status()]
            report.uncertain_jobs = [j.to_json() for j in self.store.journal.jobs(states=[JobState.UNCERTAIN])]
            report.recent_faults += [
                {"at": j.updated_at, "device": j.printer, "reason": j.cause, "job_id": j.job_id}
                for j in self.store.journal.jobs(states=[JobState.FAILED, JobState.REPORTED], limit=20)
                if j.cause
            ]
        if check_central:
            report.central = self.central_health(devices)
        return report

    def note_fault(self, device: str, reason: str) -> None:
        last = self.faults[-1] if self.faults else None
        if not last or (last["device"], last["reason"]) != (device, reason):
            self.faults.append({"at": time.time(), "device": device, "reason": reason})

    def central_health(self, devices: list[DeviceReport] | None = None) -> CentralHealth:
        """A heartbeat to the central service, timed; the certificate's expiry and the outbox backlog."""
        expires = certificate_expiry(self.config.central.client_cert)
        expires_on = expires.date().isoformat() if expires else None
        days = (expires - datetime.now(UTC)).days if expires else None
        backlog = self.store.outbox.pending_count() if self.store is not None else 0
        if self.central is None:
            return CentralHealth(False, None, "no client", expires_on, days, backlog)
        import kiosk.central_client as cc

        started = time.monotonic()
        try:
            self.central.heartbeat(heartbeat_body(devices or [], self.store))
        except cc.IdentityRefused as exc:  # the one a technician can fix here: say which
            return CentralHealth(False, None, f"{type(exc).__name__} ({exc.code}): run adm-kiosk check-config",
                                 expires_on, days, backlog)
        except cc.CentralError as exc:
            return CentralHealth(False, None, type(exc).__name__, expires_on, days, backlog)
        latency = (time.monotonic() - started) * 1000
        return CentralHealth(True, round(latency, 1), None, expires_on, days, backlog)

    # ----- actions
    def _device(self, name: str) -> Device:
        devices = self.devices.all()
        device = getattr(self.devices, name, None)
        if device not in devices:  # not a device field ("all", "others"), or an empty one: look by name
            device = next((d for d in devices if d.name == name), None)
        if device is None:
            raise KeyError(name)
        return device

    def self_test(self, name: str, level: SelfTestLevel | str, technician: str) -> SelfTestResult:
        """Run a device's self-test (external: a test page, card or receipt) and audit it."""
        device = self._device(name)
        level = SelfTestLevel(level)
        try:
            result = call_with_timeout(lambda: device.self_test(level), SELF_TEST_TIMEOUT_S, f"{name} self-test")
        except DeviceError as exc:
            result = SelfTestResult(level, False, f"{exc.reason}: {exc}")
        self._audit(technician, "self_test", device=name, test_level=level.value, passed=result.passed)
        return result

    def reload(self, printer: str, kind: str, level: int, technician: str) -> None:
        """A technician filled paper, blanko or ribbon: the journal's count, the audit, and the
        simulated device's tray when it is one (training mode mirrors what the hands did)."""
        if self.store is not None:
            self.store.reload(printer, kind, level, technician)
        device = self._device(printer)
        refill = getattr(device, "reload", None)
        if callable(refill) and getattr(device, "driver", "") == "simulated":
            refill(**{"paper" if kind in ("paper", "receipt") else kind: level})
        resumed = False
        resume = getattr(device, "resume", None)
        if callable(resume):  # a CUPS queue stopped on the fault stays stopped until someone resumes it
            try:
                resumed = bool(resume())
            except DeviceError as exc:
                self.note_fault(printer, exc.reason)
        if resumed:
            self._audit(technician, "resume_queue", printer=printer)
        event(log, "technician.reload", technician=technician, printer=printer, kind=kind, count=level)

    def spoiled_card(self, printer: str, cause: str, technician: str) -> None:
        """A spoiled blanko found outside a job (one of the four causes): audited with the technician's id and
        counted off the blanko, like ``adm-kiosk audit spoiled``."""
        if self.store is None:
            raise RuntimeError("no print store")
        self.store.record_spoiled_card(printer, cause, technician)
        event(log, "technician.spoiled_card", technician=technician, printer=printer, cause=cause)

    def resolve(self, job_id: str, printed: bool, technician: str) -> None:
        """The technician's answer for an UNCERTAIN job (audited by the store)."""
        if self.store is None:
            raise RuntimeError("no print store")
        self.store.resolve(job_id, "printed" if printed else "not-printed", technician)

    def export(self, technician: str, month: str | None = None) -> Path:
        """Write diagnostics, the journal (no personal data) and the month's audit report to the USB stick.

        Raises FileNotFoundError when no stick is mounted at ``technician.export_dir``."""
        mount = self.config.technician.export_dir
        if not mount.is_dir():
            raise FileNotFoundError(f"no USB stick at {mount}")
        month = month or datetime.now(UTC).strftime("%Y-%m")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = mount / f"adm-{self.config.kiosk.id}-{stamp}"
        target.mkdir(parents=True, exist_ok=False)
        for name, text in self.bundle(month).items():
            _write(target / name, text)
        self._audit(technician, "export", target=target.name, month=month)
        return target

    def bundle(self, month: str | None = None, *, journal_limit: int = 500) -> dict[str, str]:
        """The export's files by name: diagnostics, the journal (no personal data), the month's audit report
        and its verification. The USB export writes them; an ``upload_diagnostics`` command sends them."""
        month = month or datetime.now(UTC).strftime("%Y-%m")
        files = {"diagnostics.json": json.dumps(self.report(check_central=False).to_dict(), indent=1, default=str)}
        if self.store is not None:
            files["journal.json"] = json.dumps(self.store.summary(limit=journal_limit), indent=1, default=str)
            report = io.StringIO()
            self.store.audit.report_csv(month, report)
            files[f"audit-{month}.csv"] = report.getvalue()
            files["audit-verify.json"] = json.dumps(asdict(self.store.audit.verify()), indent=1, default=str)
        return files

    def _audit(self, technician: str, action: str, **fields: Any) -> None:
        if self.store is not None:
            self.store.audit.technician_action(technician, action, **fields)
        event(log, f"technician.{action}", technician=technician, **fields)


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
