"""Calls for help from the kiosks: a resident pressed "Panggil petugas".

A call names the kiosk (its client certificate), the screen it was pressed on and a time: never anything of
the resident. It is kept once per call id (a replay gets the same answer), and a kiosk that calls again
within :data:`MIN_INTERVAL_S` of its last call is refused with ``too_many_requests`` (429) and the seconds
to wait: a stuck button or a child at the screen must not flood the officers' list. ``adm-central fleet``
shows each kiosk's count and its latest calls. The table lives in the service's own database
(:mod:`central.store`).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from central import contract as c

#: The least time between two calls of one kiosk that the service records (the kiosk waits longer itself).
MIN_INTERVAL_S = 60.0
#: How many of a kiosk's latest calls ``adm-central fleet`` lists.
LATEST = 5
#: How long calls are kept.
KEEP_S = 30 * 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS help_calls(
    kiosk_id TEXT NOT NULL, call_id TEXT NOT NULL, screen TEXT NOT NULL, called_at REAL NOT NULL,
    received_at REAL NOT NULL, PRIMARY KEY(kiosk_id, call_id));
CREATE INDEX IF NOT EXISTS help_calls_by_time ON help_calls(kiosk_id, received_at);
"""


class TooSoon(Exception):
    """This kiosk called moments ago; ``retry_after_s`` until it may again."""

    def __init__(self, retry_after_s: int):
        super().__init__("a help call from this kiosk arrived moments ago")
        self.retry_after_s = retry_after_s


class HelpDesk:
    """Record and list help calls; uses the store's connection (call inside its transaction)."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float]):
        self.db = db
        self.clock = clock
        db.executescript(SCHEMA)

    def record(self, kiosk_id: str, call: c.HelpCall, min_interval_s: float = MIN_INTERVAL_S) -> c.HelpCallAck:
        """Keep the call; the same id again gets the first answer; another call too soon raises TooSoon."""
        now = self.clock()
        row = self.db.execute("SELECT received_at FROM help_calls WHERE kiosk_id=? AND call_id=?",
                              (kiosk_id, call.call_id)).fetchone()
        if row is not None:
            return c.HelpCallAck(call_id=call.call_id, received_at=datetime.fromtimestamp(row[0], UTC))
        last = self.db.execute("SELECT MAX(received_at) FROM help_calls WHERE kiosk_id=?", (kiosk_id,)).fetchone()[0]
        if last is not None and now - last < min_interval_s:
            raise TooSoon(max(1, math.ceil(last + min_interval_s - now)))
        self.db.execute("INSERT INTO help_calls(kiosk_id, call_id, screen, called_at, received_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (kiosk_id, call.call_id, call.screen, call.called_at.timestamp(), now))
        self.db.execute("DELETE FROM help_calls WHERE received_at < ?", (now - KEEP_S,))
        return c.HelpCallAck(call_id=call.call_id, received_at=datetime.fromtimestamp(now, UTC))

    def summary(self) -> dict[str, dict]:
        """Per kiosk: how many calls are kept and the latest ones (newest first), as plain data."""
        out: dict[str, dict] = {}
        for kiosk_id, count in self.db.execute("SELECT kiosk_id, COUNT(*) FROM help_calls GROUP BY kiosk_id"):
            latest = self.db.execute("SELECT call_id, screen, called_at, received_at FROM help_calls"
                                     " WHERE kiosk_id=? ORDER BY received_at DESC LIMIT ?", (kiosk_id, LATEST))
            out[kiosk_id] = {"help_requests": count, "help_calls": [
                {"id": r[0], "screen": r[1], "called_at": _iso(r[2]), "received_at": _iso(r[3])} for r in latest]}
        return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
