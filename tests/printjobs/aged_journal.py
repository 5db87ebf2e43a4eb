"""A journal as years of printing leave it, written straight into the project's own schema (fast).

Used by the retention and upkeep tests and by the bench's three-year state directory. The mix follows what
a kiosk sees: A4 documents and cards, failures, spoiled cards, uncertain jobs answered by a technician,
reloads, a few uncertain jobs still waiting and a few events not yet delivered at the end. Every audit entry
is hash-chained and signed with the state directory's own key, so ``audit verify`` passes.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from printjobs.audit import GENESIS, entry_digest
from printjobs.retention import DAY_S
from printjobs.store import PrintStore

_A4 = ["kk", "akta_kelahiran", "akta_kematian"]
_CARDS = ["ktp_el", "kia"]
_FLOW = ["CREATED", "FETCHED", "SENDING"]


@dataclass(frozen=True)
class AgedJournal:
    """What was written."""

    jobs: int
    audit_entries: int
    uncertain_open: int
    pending_events: int


def build_aged_journal(state_dir: Path, *, jobs: int, days: float, end: float, seed: int = 1,
                       open_uncertain: int = 3, pending: int = 5) -> AgedJournal:
    """``jobs`` jobs spread over the ``days`` before ``end``; the last ones still open (uncertain, pending)."""
    PrintStore(state_dir).close()  # schema, keys
    store = PrintStore(state_dir)
    key = store.audit._key  # the kiosk's own audit key: the log must verify as the kiosk's
    store.close()
    rng = random.Random(seed)
    start = end - days * DAY_S
    step = (end - start) / max(1, jobs)
    audit = _AuditWriter(key)
    rows: dict[str, list[tuple]] = {"jobs": [], "t": [], "outbox": [], "ce": []}
    levels = {"paper": 5000, "blanko": 5000, "ribbon": 5000}
    last_reload = start
    for i in range(jobs):
        at = start + i * step
        job = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        card = rng.random() < 0.4
        kind, printer = ("card", "card_printer") if card else ("a4", "document_printer")
        doc_type = rng.choice(_CARDS if card else _A4)
        doc = f"DOC-{i:07d}"
        tail = jobs - i
        roll = rng.random()
        if tail <= open_uncertain:
            state, cause, resolution, tech, outcome = "UNCERTAIN", "interrupted-while-sending", None, None, "uncertain"
        elif roll < 0.05:
            state, cause, resolution, tech, outcome = "FAILED", rng.choice(["media-jam", "fetch:unreachable",
                                                                           "offline-report"]), None, None, "failed"
        elif roll < 0.053:
            state, cause, resolution, tech, outcome = "RESOLVED", "interrupted-while-sending", "printed", "teknisi-1", \
                "printed"
        else:
            state, cause, resolution, tech, outcome = "PRINTED", None, None, None, "printed"
        moves = [*_FLOW, {"FAILED": "FAILED", "PRINTED": "PRINTED", "UNCERTAIN": "UNCERTAIN",
                          "RESOLVED": "UNCERTAIN"}[state]]
        if state == "RESOLVED":
            moves.append("RESOLVED")
        delivered = tail > open_uncertain + pending or state == "UNCERTAIN"
        if delivered and state != "UNCERTAIN":
            moves.append("REPORTED")
        previous = None
        for move in moves:
            rows["t"].append((job, previous, move, cause if move in ("FAILED", "UNCERTAIN") else None, at))
            previous = move
        rows["jobs"].append((job, doc, doc_type, kind, printer, moves[-1], cause, resolution, tech, "h" * 64, at, at,
                             at if state in ("UNCERTAIN", "RESOLVED") else None))
        rows["outbox"].append((job, job, doc, "uncertain" if state in ("UNCERTAIN", "RESOLVED") else outcome,
                               cause, at, at, "delivered" if delivered else "pending", at if delivered else None))
        if state == "RESOLVED":
            rows["outbox"].append((job + ":resolution", job, doc, "printed", None, at, at, "delivered", at))
            audit.add(at, "technician", {"technician": tech, "action": "resolve_uncertain", "job_id": job,
                                         "document_id": doc, "printer": printer, "resolution": "printed"})
        if state in ("PRINTED", "RESOLVED") or (state == "FAILED" and card and cause == "media-jam"):
            used = {"blanko": 1, "ribbon": 1} if card else {"paper": 1}
            for consumable, n in used.items():
                levels[consumable] -= n
                rows["ce"].append((printer, consumable, "job", -n, levels[consumable], job, None, at))
        if card and state in ("PRINTED", "RESOLVED"):
            audit.add(at, "card_issued", {"job_id": job, "document_id": doc, "document_type": doc_type,
                                          "printer": printer})
        elif card and state == "FAILED" and cause == "media-jam":
            audit.add(at, "card_spoiled", {"cause": "failed_print", "printer": printer, "job_id": job,
                                           "document_id": doc, "document_type": doc_type, "detail": cause})
        elif card and state == "UNCERTAIN":
            audit.add(at, "card_uncertain", {"job_id": job, "document_id": doc, "document_type": doc_type,
                                             "printer": printer, "detail": cause})
        if at - last_reload > 3 * DAY_S:  # a technician's visit: reload, sometimes a card spoiled by hand
            last_reload = at
            for consumable in levels:
                levels[consumable] = 5000
                printer_of = "document_printer" if consumable == "paper" else "card_printer"
                rows["ce"].append((printer_of, consumable, "reload", None, 5000, None, "teknisi-1", at))
                audit.add(at, "technician", {"technician": "teknisi-1", "action": "reload", "printer": printer_of,
                                             "consumable": consumable, "level": 5000})
            if rng.random() < 0.3:
                audit.add(at, "card_spoiled", {"cause": rng.choice(["damaged", "data_changed", "failed_encode"]),
                                               "printer": "card_printer", "technician": "teknisi-1"})
    conn = sqlite3.connect(state_dir / "journal.sqlite")
    with conn:
        conn.executemany("INSERT INTO jobs (job_id, document_id, document_type, kind, printer, state, cause,"
                         " resolution, technician, nik_hash, created_at, updated_at, uncertain_reported_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows["jobs"])
        conn.executemany("INSERT INTO job_transitions (job_id, from_state, to_state, cause, at) VALUES (?, ?, ?, ?, ?)",
                         rows["t"])
        conn.executemany("INSERT INTO outbox (key, job_id, document_id, outcome, cause, counters, created_at,"
                         " next_attempt_at, status, delivered_at) VALUES (?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)",
                         rows["outbox"])
        conn.executemany("INSERT INTO consumable_events (printer, kind, reason, delta, level_after, job_id,"
                         " technician, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows["ce"])
        for (printer_of, consumable), level in {("document_printer", "paper"): levels["paper"],
                                                 ("card_printer", "blanko"): levels["blanko"],
                                                 ("card_printer", "ribbon"): levels["ribbon"]}.items():
            conn.execute("INSERT OR REPLACE INTO consumables (printer, kind, level, updated_at) VALUES (?, ?, ?, ?)",
                         (printer_of, consumable, level, end))
        conn.executemany("INSERT INTO audit (seq, at, kind, body, prev_hash, entry_hash, signature)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", audit.rows)
    conn.close()
    store = PrintStore(state_dir)
    store.audit.sync_head()
    store.close()
    return AgedJournal(jobs=jobs, audit_entries=len(audit.rows), uncertain_open=open_uncertain,
                       pending_events=pending)


class _AuditWriter:
    """Entries chained and signed exactly as :class:`printjobs.audit.AuditLog` writes them."""

    def __init__(self, key) -> None:
        self.key = key
        self.rows: list[tuple] = []
        self.prev = GENESIS

    def add(self, at: float, kind: str, body: dict) -> None:
        from printjobs.audit import _iso

        seq = len(self.rows) + 1
        stamp = _iso(at)
        digest = entry_digest(seq, stamp, kind, body, self.prev)
        signature = self.key.sign(bytes.fromhex(digest)).hex()
        self.rows.append((seq, stamp, kind, json.dumps(body, sort_keys=True, separators=(",", ":")), self.prev,
                          digest, signature))
        self.prev = digest
