"""The audit log of card issuance, spoiled cards and technician actions: hash-chained and signed.

Every entry carries its sequence number, the hash of the entry before it, its own SHA-256 over all of
that, and an Ed25519 signature of that hash by the kiosk's audit key (``audit-ed25519.pem`` in the state
directory, mode 0600). :meth:`AuditLog.verify` therefore notices an edited entry (its hash), a removed one
(a gap in the numbers and a broken link), and reordered ones (numbers and links out of order). A signed
head file, rewritten after each commit, catches entries cut off the end.

Verified month by month: once the log up to the end of a month has been verified, a signed checkpoint
(``audit.verified``: that month's last entry number and hash) records it, and the next :meth:`AuditLog.verify`
starts from there, so its cost is what was added since, not the kiosk's age. The checkpointed entry must still
hold the hash the checkpoint signed and the next entry must link to it; ``verify(full=True)`` (``adm-kiosk
audit verify --full``) checks every entry from the first, as the monthly export of an auditor would.

Entries hold job and document ids, printer names, causes, technician and officer ids: never a NIK or a name.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from printjobs._log import event
from printjobs.db import Database, create_private_once, write_private_atomic
from printjobs.errors import AuditError

log = logging.getLogger("printjobs.audit")

GENESIS = "0" * 64
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class AuditKind(enum.StrEnum):
    """What an entry records."""

    CARD_ISSUED = "card_issued"
    CARD_SPOILED = "card_spoiled"
    CARD_UNCERTAIN = "card_uncertain"
    TECHNICIAN = "technician"
    FLEET_COMMAND = "fleet_command"  # a command from the operator and what the kiosk did with it
    OFFICER = "officer"  # an OPSI officer's action at the kiosk: sign-in, identity check, print, sign-out


class SpoilCause(enum.StrEnum):
    """Why a blanko card was spoiled (the categories of the monthly blanko report)."""

    FAILED_ENCODE = "failed_encode"
    DAMAGED = "damaged"
    FAILED_PRINT = "failed_print"
    DATA_CHANGED = "data_changed"


@dataclass(frozen=True)
class AuditEntry:
    """One entry as stored."""

    seq: int
    at: str
    kind: str
    body: dict[str, Any]
    prev_hash: str
    entry_hash: str
    signature: str


@dataclass(frozen=True)
class Verification:
    """The outcome of :meth:`AuditLog.verify`: ``ok`` and, when not, every problem found.

    ``entries`` is how many entries the log holds; ``checked`` how many were verified this time (those after
    ``verified_month``, the last month a signed checkpoint vouches for; all of them when it is None).
    """

    ok: bool
    entries: int
    problems: list[str]
    checked: int = 0
    verified_month: str | None = None


@dataclass(frozen=True)
class Checkpoint:
    """The log is verified up to entry ``seq`` (hash ``digest``), the last entry of ``month``."""

    month: str
    seq: int
    digest: str


#: Entries read per query while verifying: memory stays flat however long the log is.
VERIFY_PAGE = 2000


REPORT_COLUMNS = ["seq", "time_utc", "kind", "cause", "action", "printer", "job_id", "document_id",
                  "document_type", "technician", "detail", "officer", "request"]


class AuditLog:
    """Append, verify and report over the ``audit`` table of the shared database."""

    def __init__(self, db: Database, state_dir: Path, *, clock: Callable[[], float] = time.time):
        self.db = db
        self.key_path = Path(state_dir) / "audit-ed25519.pem"
        self.head_path = Path(state_dir) / "audit.head"
        self.checkpoint_path = Path(state_dir) / "audit.verified"
        self._clock = clock
        self._head_lock = threading.Lock()
        self._key = _load_or_create_key(self.key_path)
        self.public_key: Ed25519PublicKey = self._key.public_key()

    # ------------------------------------------------------------------ writing
    def append(self, kind: AuditKind | str, **body: Any) -> AuditEntry:
        """Add an entry (joins the caller's transaction, so it commits with the job's move or not at all)."""
        kind = AuditKind(kind).value
        clean = {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in body.items() if v is not None}
        with self.db.transaction() as conn:
            last = conn.execute("SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(last[0]) + 1, last[1]) if last else (1, GENESIS)
            at = _iso(self._clock())
            digest = entry_digest(seq, at, kind, clean, prev)
            signature = self._key.sign(bytes.fromhex(digest)).hex()
            conn.execute(
                "INSERT INTO audit (seq, at, kind, body, prev_hash, entry_hash, signature)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, at, kind, _canonical(clean), prev, digest, signature),
            )
            self.db.after_commit(lambda: self._write_head(seq, digest))
        event(log, "audit.appended", seq=seq, kind=kind)
        return AuditEntry(seq, at, kind, clean, prev, digest, signature)

    def card_issued(self, job_id: str, document_id: str, document_type: str, printer: str) -> AuditEntry:
        """A card came out of the printer for this job."""
        return self.append(AuditKind.CARD_ISSUED, job_id=job_id, document_id=document_id,
                           document_type=document_type, printer=printer)

    def card_spoiled(
        self,
        cause: SpoilCause | str,
        printer: str,
        *,
        job_id: str | None = None,
        document_id: str | None = None,
        document_type: str | None = None,
        technician: str | None = None,
        detail: str | None = None,
    ) -> AuditEntry:
        """A blanko card was used up without becoming a resident's card."""
        return self.append(AuditKind.CARD_SPOILED, cause=SpoilCause(cause), printer=printer, job_id=job_id,
                           document_id=document_id, document_type=document_type, technician=technician,
                           detail=detail)

    def technician_action(self, technician: str, action: str, **fields: Any) -> AuditEntry:
        """Something a technician did (resolve a job, reload a consumable, export a report)."""
        return self.append(AuditKind.TECHNICIAN, technician=technician, action=action, **fields)

    def officer_action(self, officer: str, action: str, **fields: Any) -> AuditEntry:
        """Something an officer did for a resident without a phone (ids only, never a NIK or a name)."""
        return self.append(AuditKind.OFFICER, officer=officer, action=action, **fields)

    def sync_head(self) -> None:
        """At start: move the signed head up to the last entry (a crash may have come between the commit of
        an entry and the head's rewrite). It only ever moves forward, so a log cut short still shows."""
        last = self.db.query("SELECT seq, entry_hash FROM audit ORDER BY seq DESC LIMIT 1")
        if last:
            self._write_head(int(last[0][0]), str(last[0][1]))

    def _write_head(self, seq: int, digest: str) -> None:
        with self._head_lock:  # two threads committing entries must not move the head backwards
            current = self._read_head()
            if current is not None and current[0] >= seq:
                return
            signature = self._key.sign(_head_message(seq, digest)).hex()
            data = json.dumps({"seq": seq, "hash": digest, "signature": signature}).encode()
            write_private_atomic(self.head_path, data)

    def _read_head(self) -> tuple[int, str, str] | None:
        try:
            data = json.loads(self.head_path.read_text())
            return int(data["seq"]), str(data["hash"]), str(data["signature"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{self.head_path}: unreadable ({type(exc).__name__})") from exc

    # ------------------------------------------------------------------ reading
    def entries(self, month: str | None = None) -> list[AuditEntry]:
        """Entries in stored order, optionally of one month (``YYYY-MM``, UTC)."""
        sql = "SELECT seq, at, kind, body, prev_hash, entry_hash, signature FROM audit"
        params: tuple = ()
        if month is not None:
            if not _MONTH.match(month):
                raise ValueError("month must be YYYY-MM")
            sql += " WHERE at >= ? AND at < ?"  # a range, so the index on ``at`` serves it
            params = (f"{month}-", f"{month}-~")
        return [_entry(row) for row in self.db.query(sql + " ORDER BY seq", params)]

    def verify(self, public_key: Ed25519PublicKey | None = None, *, full: bool = False) -> Verification:
        """Check numbering, links, hashes, signatures and the head; collect every problem, do not stop at one.

        Starts after the signed checkpoint (unless ``full``); when everything checked is intact, moves the
        checkpoint to the end of the last complete month. Reads the log a page at a time.
        """
        key = public_key or self.public_key
        problems: list[str] = []
        checkpoint = None
        if not full:
            checkpoint, problems = self._usable_checkpoint(key)
        expected_seq, prev = (checkpoint.seq + 1, checkpoint.digest) if checkpoint else (1, GENESIS)
        try:
            head = self._read_head()
        except AuditError as exc:
            head, problems = None, [*problems, str(exc)]
        head_hash = None
        checked = 0
        last_of_month: dict[str, tuple[int, str]] = {}
        after = expected_seq - 1
        while True:
            rows = self.db.query("SELECT seq, at, kind, body, prev_hash, entry_hash, signature FROM audit"
                                 " WHERE seq > ? ORDER BY seq LIMIT ?", (after, VERIFY_PAGE))
            if not rows:
                break
            after = int(rows[-1][0])
            for row in rows:
                checked += 1
                entry = _verified_entry(row, expected_seq, prev, key, problems)
                if entry is None:
                    expected_seq += 1
                    continue
                if head is not None and entry.seq == head[0]:
                    head_hash = entry.entry_hash
                last_of_month[entry.at[:7]] = (entry.seq, entry.entry_hash)
                prev, expected_seq = entry.entry_hash, expected_seq + 1
        last = expected_seq - 1
        if head is not None and head_hash is None and head[0] <= last:
            stored = self.db.query("SELECT entry_hash FROM audit WHERE seq = ?", (head[0],))
            head_hash = stored[0][0] if stored else None
        problems += self._check_head(key, head, head_hash, last)
        total = int(self.db.query("SELECT COUNT(*) FROM audit")[0][0])
        if not problems:
            checkpoint = self._advance_checkpoint(checkpoint, last_of_month) or checkpoint
        return Verification(ok=not problems, entries=total, problems=problems, checked=checked,
                            verified_month=checkpoint.month if checkpoint else None)

    def _usable_checkpoint(self, key: Ed25519PublicKey) -> tuple[Checkpoint | None, list[str]]:
        """The signed checkpoint, when it is genuine and the entry it names still holds its hash."""
        try:
            data = json.loads(self.checkpoint_path.read_text())
            checkpoint = Checkpoint(str(data["month"]), int(data["seq"]), str(data["hash"]))
            signature = bytes.fromhex(str(data["signature"]))
        except FileNotFoundError:
            return None, []
        except (ValueError, KeyError, TypeError):
            return None, [f"{self.checkpoint_path}: unreadable"]
        try:
            key.verify(signature, _checkpoint_message(checkpoint))
        except InvalidSignature:
            return None, ["the verified-month checkpoint has a bad signature"]
        stored = self.db.query("SELECT entry_hash FROM audit WHERE seq = ?", (checkpoint.seq,))
        if not stored or stored[0][0] != checkpoint.digest:
            # Checked from the first entry instead; the entry itself shows up as a problem there.
            return None, []
        return checkpoint, []

    def _advance_checkpoint(self, current: Checkpoint | None,
                            last_of_month: dict[str, tuple[int, str]]) -> Checkpoint | None:
        """Move the checkpoint to the last entry of the newest month that has ended (never backwards)."""
        this_month = _iso(self._clock())[:7]
        complete = [month for month in last_of_month if month < this_month]
        if not complete:
            return None
        month = max(complete)
        seq, digest = last_of_month[month]
        if current is not None and current.seq >= seq:
            return None
        checkpoint = Checkpoint(month, seq, digest)
        signature = self._key.sign(_checkpoint_message(checkpoint)).hex()
        write_private_atomic(self.checkpoint_path, json.dumps(
            {"month": month, "seq": seq, "hash": digest, "signature": signature}).encode())
        event(log, "audit.month_verified", month=month, seq=seq)
        return checkpoint

    @staticmethod
    def _check_head(key: Ed25519PublicKey, head: tuple[int, str, str] | None, head_hash: str | None,
                    last: int) -> list[str]:
        if head is None:
            return ["entries exist but the signed head is missing"] if last >= 1 else []
        seq, digest, signature = head
        try:
            key.verify(bytes.fromhex(signature), _head_message(seq, digest))
        except (InvalidSignature, ValueError):
            return ["the head file has a bad signature"]
        if seq > last:
            return [f"the head names entry {seq} but the log ends at {last} (entries removed from the end)"]
        if head_hash != digest:
            return [f"entry {seq} differs from the one the head signed"]
        return []

    def report_csv(self, month: str, out: TextIO) -> int:
        """Write the month's entries as CSV (``REPORT_COLUMNS``); returns the number of rows."""
        writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        rows = 0
        for entry in self.entries(month):
            writer.writerow({"seq": entry.seq, "time_utc": entry.at, "kind": entry.kind, **entry.body})
            rows += 1
        return rows

    def summary(self, month: str) -> dict[str, int]:
        """Counts for the month: cards issued, uncertain, spoiled by cause, technician actions."""
        counts: dict[str, int] = {}
        for entry in self.entries(month):
            name = entry.kind if entry.kind != AuditKind.CARD_SPOILED else f"card_spoiled.{entry.body.get('cause')}"
            counts[name] = counts.get(name, 0) + 1
        return counts

    def spoiled_since(self, after_seq: int = 0) -> tuple[int, dict[str, int]]:
        """Spoiled cards by cause in entries after ``after_seq``, and the last seq read (for counting as it grows)."""
        last = int(self.db.query("SELECT COALESCE(MAX(seq), 0) FROM audit")[0][0])
        rows = self.db.query("SELECT body FROM audit WHERE seq > ? AND seq <= ? AND kind = ?",
                             (after_seq, last, AuditKind.CARD_SPOILED.value))
        counts: dict[str, int] = {}
        for (body,) in rows:
            cause = str(json.loads(body).get("cause"))
            counts[cause] = counts.get(cause, 0) + 1
        return max(last, after_seq), counts

    def public_key_pem(self) -> bytes:
        """The public half, for whoever checks an exported log."""
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def entry_digest(seq: int, at: str, kind: str, body: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) over an entry's number, time, kind, body and the previous entry's hash."""
    material = _canonical({"seq": seq, "at": at, "kind": kind, "body": body, "prev": prev_hash})
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _verified_entry(row: sqlite3.Row, expected_seq: int, prev: str, key: Ed25519PublicKey,
                    problems: list[str]) -> AuditEntry | None:
    """Check one entry against the one before it; append what is wrong to ``problems``. None: unreadable."""
    try:
        entry = _entry(row)
    except (ValueError, TypeError) as exc:
        problems.append(f"entry at position {expected_seq}: unreadable ({type(exc).__name__})")
        return None
    if entry.seq != expected_seq:
        problems.append(f"entry {entry.seq}: expected number {expected_seq} (removed or reordered entries)")
    if entry.prev_hash != prev:
        problems.append(f"entry {entry.seq}: does not link to the entry before it")
    digest = entry_digest(entry.seq, entry.at, entry.kind, entry.body, entry.prev_hash)
    if digest != entry.entry_hash:
        problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
    try:
        key.verify(bytes.fromhex(entry.signature), bytes.fromhex(entry.entry_hash))
    except (InvalidSignature, ValueError):
        problems.append(f"entry {entry.seq}: bad signature")
    return entry


def _checkpoint_message(checkpoint: Checkpoint) -> bytes:
    return f"adm-kiosk-audit-verified:{checkpoint.month}:{checkpoint.seq}:{checkpoint.digest}".encode()


def _head_message(seq: int, digest: str) -> bytes:
    return f"adm-kiosk-audit-head:{seq}:{digest}".encode()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _entry(row: sqlite3.Row | Iterable) -> AuditEntry:
    seq, at, kind, body, prev_hash, entry_hash, signature = tuple(row)
    return AuditEntry(int(seq), str(at), str(kind), json.loads(body), str(prev_hash), str(entry_hash), str(signature))


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1e6):06d}Z"


def _load_or_create_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        create_private_once(path, pem)  # a key another process created meanwhile wins; we read it below
        write_private_atomic(path.with_suffix(".pub"), _load_key(path).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return _load_key(path)


def _load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise AuditError(f"{path}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path}: not an Ed25519 key")
    return key
