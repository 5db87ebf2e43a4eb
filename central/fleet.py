"""The operator's side of the two-way heartbeat: commands for kiosks, signed with the operator's key, and
what the fleet's kiosks last said about themselves.

A command gets the next ``seq`` of its kiosk and an expiry; it is signed once, when queued, with the
operator's Ed25519 key (``operator.key`` in the data directory, not the TLS keys), and sent in every
heartbeat answer until the kiosk acknowledges it or it expires. Acknowledgements arrive in later heartbeats.
The tables live in the service's own database (:mod:`central.store`).
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import contract as c
from central.pki import make_signing_key, write_private

OPERATOR_KEY_FILE = "operator.key"
OPERATOR_PUB_FILE = "operator.pub"
OPERATOR_KEY_ID = "operator-1"
DEFAULT_TTL_S = 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS commands(
    kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    signed TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    outcome TEXT, detail TEXT, acked_at REAL, PRIMARY KEY(kiosk_id, seq));
CREATE TABLE IF NOT EXISTS diagnostics(
    id INTEGER PRIMARY KEY, kiosk_id TEXT NOT NULL, command_id TEXT, received_at REAL NOT NULL, files TEXT NOT NULL);
"""


def operator_key(data_dir: Path) -> Ed25519PrivateKey:
    """The operator's command-signing key, made on first use (its public half goes into kiosk configs)."""
    path = Path(data_dir) / OPERATOR_KEY_FILE
    if not path.exists():
        private, public = make_signing_key()
        write_private(path, private)
        write_private(Path(data_dir) / OPERATOR_PUB_FILE, public)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def sign(command: c.Command, key: Ed25519PrivateKey, key_id: str = OPERATOR_KEY_ID) -> c.SignedCommand:
    """The command with its detached signature over :func:`central.contract.command_payload`."""
    signature = base64.b64encode(key.sign(c.command_payload(command))).decode("ascii")
    return c.SignedCommand(command=command, key_id=key_id, signature=signature)


class CommandBook:
    """Queue, hand out and acknowledge commands; keep diagnostics uploads. Uses the store's connection."""

    def __init__(self, db: sqlite3.Connection, data_dir: Path, clock):
        self.db = db
        self.data_dir = Path(data_dir)
        self.clock = clock
        db.executescript(SCHEMA)

    def queue(self, kiosk_id: str, kind: c.CommandKind | str, args: c.CommandArgs | None = None, *,
              ttl_s: float = DEFAULT_TTL_S) -> c.SignedCommand:
        """A new signed command for ``kiosk_id`` with the next seq (call inside the store's transaction)."""
        now = self.clock()
        row = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM commands WHERE kiosk_id=?", (kiosk_id,)).fetchone()
        command = c.Command(id=f"CMD-{secrets.token_hex(6)}", kiosk_id=kiosk_id, seq=int(row[0]) + 1,
                            kind=c.CommandKind(kind), issued_at=datetime.fromtimestamp(now, UTC),
                            expires_at=datetime.fromtimestamp(now + ttl_s, UTC), args=args or c.CommandArgs())
        signed = sign(command, operator_key(self.data_dir))
        self.db.execute("INSERT INTO commands(kiosk_id, seq, id, kind, signed, issued_at, expires_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", (kiosk_id, command.seq, command.id, command.kind.value,
                                                           signed.model_dump_json(), now, now + ttl_s))
        return signed

    def pending(self, kiosk_id: str) -> list[c.SignedCommand]:
        """Commands not yet acknowledged and not expired, oldest first."""
        rows = self.db.execute("SELECT signed FROM commands WHERE kiosk_id=? AND outcome IS NULL AND expires_at > ?"
                               " ORDER BY seq", (kiosk_id, self.clock())).fetchall()
        return [c.SignedCommand.model_validate_json(r[0]) for r in rows]

    def acknowledge(self, kiosk_id: str, acks: list[c.CommandAck]) -> None:
        """Record each ack of this kiosk's own commands (another kiosk's ids are ignored)."""
        for ack in acks:
            self.db.execute("UPDATE commands SET outcome=?, detail=?, acked_at=? WHERE kiosk_id=? AND id=?"
                            " AND outcome IS NULL", (ack.outcome.value, ack.detail, self.clock(), kiosk_id, ack.id))

    def commands(self, kiosk_id: str | None = None) -> list[dict]:
        """Every command (of one kiosk), as plain data for ``adm-central fleet``."""
        sql = "SELECT kiosk_id, seq, id, kind, issued_at, expires_at, outcome, detail, acked_at FROM commands"
        rows = self.db.execute(sql + (" WHERE kiosk_id=?" if kiosk_id else "") + " ORDER BY kiosk_id, seq",
                               (kiosk_id,) if kiosk_id else ()).fetchall()
        now = self.clock()
        return [{"kiosk_id": r[0], "seq": r[1], "id": r[2], "kind": r[3], "issued_at": _iso(r[4]),
                 "expires_at": _iso(r[5]),
                 "status": r[6] or ("expired" if r[5] <= now else "pending"), "detail": r[7],
                 "acked_at": _iso(r[8]) if r[8] else None} for r in rows]

    def store_diagnostics(self, kiosk_id: str, upload: c.DiagnosticsUpload) -> c.DiagnosticsReceipt:
        now = self.clock()
        self.db.execute("INSERT INTO diagnostics(kiosk_id, command_id, received_at, files) VALUES (?, ?, ?, ?)",
                        (kiosk_id, upload.command_id, now, json.dumps(upload.files)))
        return c.DiagnosticsReceipt(received_at=datetime.fromtimestamp(now, UTC), files=len(upload.files))

    def diagnostics(self, kiosk_id: str) -> list[dict]:
        rows = self.db.execute("SELECT command_id, received_at, files FROM diagnostics WHERE kiosk_id=? ORDER BY id",
                               (kiosk_id,)).fetchall()
        return [{"command_id": r[0], "received_at": _iso(r[1]), "files": json.loads(r[2])} for r in rows]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
