"""Keeps the fleet's series current from the running kiosk, so the shipped alerts can fire.

:class:`KioskMetrics` only holds values; this reads them from where the kiosk keeps its truth: the
printers' statuses (polled by the device monitor), the journal's counted consumables, the outbox's backlog
and the age of its oldest event, and the spoiled cards in the audit log (wherever they were recorded: a job's
failure, the technician screen or ``adm-kiosk audit spoiled``). Nothing here carries personal data: device
names, consumable kinds and spoil causes are closed vocabularies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from devices.base import DeviceStatus
from kiosk.logs import event as log_event
from kiosk.metrics import CONSUMABLES, HELP_OUTCOMES, SPOIL_CAUSES, KioskMetrics
from printjobs.journal import JobState
from printjobs.store import PrintStore, Recovery

log = logging.getLogger(__name__)


class MetricsFeed:
    """Sets device, consumable, outbox and spoiled-card series from the runtime; :meth:`refresh` is cheap."""

    def __init__(self, metrics: KioskMetrics, store: PrintStore | None, thresholds: Mapping[str, int]):
        self.metrics = metrics
        self.store = store
        self.thresholds = dict(thresholds)
        self._lock = threading.Lock()
        self._audit_seq = 0
        for cause in SPOIL_CAUSES:  # zeros from the first scrape, so increase() sees the first spoiled card
            metrics.card_spoiled(cause, 0)
        for outcome in HELP_OUTCOMES:  # and the first call for help
            metrics.help_requested(outcome, 0)

    def devices(self, statuses: Mapping[str, DeviceStatus | None]) -> None:
        """Each polled device's state, and what it reports of its consumables where the journal counts none."""
        counted = self._counted()
        for name, status in statuses.items():
            if status is None:
                continue
            self.metrics.set_device_state(name, status.state)
            for kind, level in status.consumables.items():
                if kind in CONSUMABLES and (name, kind) not in counted:
                    self.metrics.set_consumable(name, kind, level, self.thresholds.get(kind))

    def refresh(self) -> None:
        """Counted consumables, the outbox, and spoiled cards recorded since the last refresh."""
        if self.store is None:
            return
        for (printer, kind), (level, threshold) in self._counted().items():
            self.metrics.set_consumable(printer, kind, level, threshold)
        self.metrics.set_uncertain_jobs(self.store.journal.count_in(JobState.UNCERTAIN))
        outbox = self.store.outbox
        self.metrics.set_outbox(outbox.pending_count(), outbox.oldest_pending_age())
        with self._lock:  # the monitor and the heartbeat both refresh: count each audit entry once
            self._audit_seq, counts = self.store.audit.spoiled_since(self._audit_seq)
        for cause, count in counts.items():
            if cause in SPOIL_CAUSES:
                self.metrics.card_spoiled(cause, count)
            else:
                log_event(log, "metrics.unknown_spoil_cause", logging.WARNING, count=count)

    def recovered(self, recovery: Recovery) -> None:
        """Jobs found SENDING at start became UNCERTAIN: each counts, so the "uncertain print" alert fires."""
        if self.store is None:
            return
        for job_id in recovery.uncertain:
            self.metrics.document_printed(self.store.journal.get(job_id).document_type, "uncertain")

    def _counted(self) -> dict[tuple[str, str], tuple[int, int]]:
        if self.store is None:
            return {}
        return {(s.printer, s.kind): (s.level, s.threshold) for s in self.store.consumables.status()
                if s.level is not None and s.kind in CONSUMABLES}
