"""Consumables counted per job: blanko cards, ribbon, paper and receipt paper.

Levels are the kiosk's own count, set by a reload (a technician fills the hopper and says how many) and
lowered by every job in the same transaction as the job's outcome. At or below its threshold a consumable
is WARNING; at zero it is EMPTY and blocks that printer's documents until a reload. A level nobody has
set yet is UNKNOWN and blocks nothing (the device's own sensors still do).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from printjobs._log import event
from printjobs.db import Database
from printjobs.errors import PrinterBlocked

log = logging.getLogger("printjobs.consumables")


class ConsumableKind(enum.StrEnum):
    """What runs out."""

    BLANKO = "blanko"
    RIBBON = "ribbon"
    PAPER = "paper"
    RECEIPT = "receipt"


class Level(enum.StrEnum):
    """How a consumable stands (WARNING is the device layer's word for 'works, but look soon')."""

    OK = "OK"
    WARNING = "WARNING"
    EMPTY = "EMPTY"
    UNKNOWN = "UNKNOWN"


#: The defaults of config.consumables, used when the kiosk passes none.
DEFAULT_THRESHOLDS: dict[str, int] = {"blanko": 20, "ribbon": 25, "paper": 50, "receipt": 50}


@dataclass(frozen=True)
class ConsumableStatus:
    """One consumable of one printer."""

    printer: str
    kind: str
    level: int | None
    threshold: int
    state: Level

    def to_json(self) -> dict:
        """Plain data for ``--json`` output and the diagnostics model."""
        return {"printer": self.printer, "kind": self.kind, "level": self.level, "threshold": self.threshold,
                "state": self.state.value}


class Consumables:
    """Levels and their history in the shared database."""

    def __init__(
        self,
        db: Database,
        thresholds: Mapping[str, int] | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        self._clock = clock

    def set_level(
        self, printer: str, kind: str, level: int, *, technician: str | None = None, reason: str = "reload"
    ) -> ConsumableStatus:
        """Record a reload (or a correction): the new absolute level, who did it and when."""
        kind = ConsumableKind(kind).value
        if level < 0:
            raise ValueError("a level cannot be negative")
        now = self._clock()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO consumables (printer, kind, level, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (printer, kind) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at",
                (printer, kind, level, now),
            )
            conn.execute(
                "INSERT INTO consumable_events (printer, kind, reason, delta, level_after, technician, at)"
                " VALUES (?, ?, ?, NULL, ?, ?, ?)",
                (printer, kind, reason, level, technician, now),
            )
        event(log, "consumable.set", printer=printer, kind=kind, new_level=level, reason=reason, technician=technician)
        return self.get(printer, kind)

    def ensure_level(self, printer: str, kind: str, level: int) -> ConsumableStatus:
        """Start counting at ``level`` (e.g. what the device reports at first start) unless already counted."""
        current = self.get(printer, kind)
        if current.level is not None:
            return current
        return self.set_level(printer, kind, level, reason="initial")

    def consume(self, printer: str, usage: Mapping[str, int], job_id: str | None = None) -> list[ConsumableStatus]:
        """Lower the counted levels by ``usage`` (joins the caller's transaction); untracked kinds are skipped."""
        now = self._clock()
        changed = []
        with self.db.transaction() as conn:
            for kind, amount in usage.items():
                if amount <= 0:
                    continue
                row = conn.execute(
                    "SELECT level FROM consumables WHERE printer = ? AND kind = ?", (printer, kind)
                ).fetchone()
                if row is None:
                    continue
                level = max(0, int(row[0]) - amount)
                conn.execute(
                    "UPDATE consumables SET level = ?, updated_at = ? WHERE printer = ? AND kind = ?",
                    (level, now, printer, kind),
                )
                conn.execute(
                    "INSERT INTO consumable_events (printer, kind, reason, delta, level_after, job_id, at)"
                    " VALUES (?, ?, 'job', ?, ?, ?, ?)",
                    (printer, kind, -amount, level, job_id, now),
                )
                changed.append((kind, level))
        statuses = [self._status(printer, kind, level) for kind, level in changed]
        for status in statuses:
            if status.state in (Level.WARNING, Level.EMPTY):
                event(log, "consumable.low", level=logging.WARNING, printer=printer, kind=status.kind,
                      remaining=status.level, state=status.state.value)
        return statuses

    def get(self, printer: str, kind: str) -> ConsumableStatus:
        """The status of one consumable (UNKNOWN when never set)."""
        rows = self.db.query("SELECT level FROM consumables WHERE printer = ? AND kind = ?", (printer, kind))
        return self._status(printer, kind, int(rows[0][0]) if rows else None)

    def status(self, printer: str | None = None) -> list[ConsumableStatus]:
        """Every tracked consumable, or those of one printer."""
        if printer is None:
            rows = self.db.query("SELECT printer, kind, level FROM consumables ORDER BY printer, kind")
        else:
            rows = self.db.query(
                "SELECT printer, kind, level FROM consumables WHERE printer = ? ORDER BY kind", (printer,)
            )
        return [self._status(row[0], row[1], int(row[2])) for row in rows]

    def empty(self, printer: str) -> list[str]:
        """The consumables of ``printer`` that are at zero (its documents are unavailable while any is)."""
        return [s.kind for s in self.status(printer) if s.state is Level.EMPTY]

    def check_available(self, printer: str) -> None:
        """Raise :class:`PrinterBlocked` when a consumable of ``printer`` is empty."""
        empty = self.empty(printer)
        if empty:
            raise PrinterBlocked(printer, empty)

    def history(self, printer: str | None = None) -> list[dict]:
        """Reloads and per-job usage, oldest first."""
        sql = "SELECT printer, kind, reason, delta, level_after, job_id, technician, at FROM consumable_events"
        params: tuple = ()
        if printer is not None:
            sql += " WHERE printer = ?"
            params = (printer,)
        return [dict(row) for row in self.db.query(sql + " ORDER BY id", params)]

    def _status(self, printer: str, kind: str, level: int | None) -> ConsumableStatus:
        threshold = int(self.thresholds.get(kind, 0))
        if level is None:
            state = Level.UNKNOWN
        elif level <= 0:
            state = Level.EMPTY
        elif level <= threshold:
            state = Level.WARNING
        else:
            state = Level.OK
        return ConsumableStatus(printer=printer, kind=kind, level=level, threshold=threshold, state=state)
