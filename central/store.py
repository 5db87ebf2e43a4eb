"""The reference service's SQLite store and the rules it enforces.

Rules: PINs are 6 digits, kept only as scrypt hashes, valid for the documents they were issued
for, expire (default 7 days); a document printed with a PIN cannot be printed again with it; 5 wrong PINs
for a NIK lock it for 15 minutes, doubling after each further lockout; unknown NIKs are counted exactly
like known ones so no answer tells them apart; print events are idempotent by key.

Print state lives on a *grant* (a PIN x a document): ready -> claimed (a job fetched it) -> printed, or
back to ready (failed), or uncertain (blocked). A new PIN only covers documents no grant has claimed,
printed or left uncertain: a reprint needs a new document version from the operator.

'Lupa PIN?': a PIN request is answered before anything is looked up (a worker issues the PIN),
and a PIN it issues leaves the older one valid until the new one is first used, so a stranger who knows a
NIK can neither tell whether it exists nor lock its resident out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from central import contract as c
from central.catalogue import DEFAULT_CATALOGUE
from central.documents import Holder, render, sign
from central.errors import StoreError
from central.fleet import DEFAULT_TTL_S as DEFAULT_COMMAND_TTL_S
from central.fleet import CommandBook
from central.help_calls import MIN_INTERVAL_S as HELP_CALL_INTERVAL_S
from central.help_calls import HelpDesk, TooSoon
from central.officers import OFFICER_SCHEMA, OfficerDesk
from central.pins import DUMMY_HASH, hash_pin, mask_name, match_pin, new_pin
from central.private import create_private, private_dir, tighten
from central.whatsapp import OUTBOX_FILE, WhatsAppGateway

log = logging.getLogger("central.store")

DB_FILE = "central.db"
SIGNING_KEY_FILE = "signing.key"
MAX_FAILURES = 5
BASE_LOCK_S = 15 * 60
DEFAULT_PIN_TTL_S = 7 * 24 * 3600
DEFAULT_SESSION_TTL_S = 15 * 60
#: How long a finger challenge's nonce may be used (a finger on the reader, then one call).
FINGER_CHALLENGE_TTL_S = 120
#: A template compared when the NIK has none, so that both cost the same.
_NO_TEMPLATE = b"\0" * 32

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_types(code TEXT PRIMARY KEY, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS residents(
    nik TEXT PRIMARY KEY, name TEXT NOT NULL, gender TEXT NOT NULL, birth_place TEXT NOT NULL,
    birth_date TEXT NOT NULL, address TEXT NOT NULL, whatsapp TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_guard(
    nik_key TEXT PRIMARY KEY, failures INTEGER NOT NULL, lockouts INTEGER NOT NULL, locked_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS submissions(
    id TEXT PRIMARY KEY, nik TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL, verified_at REAL);
CREATE TABLE IF NOT EXISTS documents(
    id TEXT PRIMARY KEY, nik TEXT NOT NULL, submission_id TEXT, type TEXT NOT NULL, version INTEGER NOT NULL,
    state TEXT NOT NULL, content_type TEXT, content BLOB, pages INTEGER, sha256 TEXT, issued_at TEXT,
    key_id TEXT, signature TEXT, verify_code TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS pins(
    id INTEGER PRIMARY KEY, nik TEXT NOT NULL, pin_hash TEXT NOT NULL, qr_hash TEXT UNIQUE NOT NULL,
    issued_at REAL NOT NULL, expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grants(
    pin_id INTEGER NOT NULL, document_id TEXT NOT NULL, status TEXT NOT NULL, job_id TEXT, updated_at REAL,
    PRIMARY KEY(pin_id, document_id));
CREATE TABLE IF NOT EXISTS sessions(
    token_hash TEXT PRIMARY KEY, pin_id INTEGER NOT NULL, expires_at REAL NOT NULL, revoked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS print_events(
    document_id TEXT NOT NULL, idem_key TEXT NOT NULL, body_hash TEXT NOT NULL, response TEXT NOT NULL,
    kiosk_id TEXT NOT NULL, outcome TEXT NOT NULL, cause TEXT, counters TEXT NOT NULL, received_at REAL NOT NULL,
    PRIMARY KEY(document_id, idem_key));
CREATE TABLE IF NOT EXISTS ratings(
    idem_key TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, month TEXT NOT NULL, score INTEGER NOT NULL,
    body_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats(
    id INTEGER PRIMARY KEY, kiosk_id TEXT NOT NULL, received_at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bookings(
    code TEXT PRIMARY KEY, service TEXT NOT NULL, slot TEXT NOT NULL, ticket_number TEXT, checked_in_at REAL);
CREATE TABLE IF NOT EXISTS fingers(nik TEXT PRIMARY KEY, template BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS finger_challenges(
    nonce_hash TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS walk_ins(
    idem_key TEXT PRIMARY KEY, ticket_number TEXT NOT NULL, checked_in_at REAL NOT NULL);
"""
#: An index for every lookup on the login and print paths and for keeping heartbeats bounded: a province has
#: millions of PINs and grants, and a lookup without one reads them all under the store's lock.
_INDEXES = """
CREATE INDEX IF NOT EXISTS pins_nik ON pins(nik, revoked);
CREATE INDEX IF NOT EXISTS sessions_pin ON sessions(pin_id);
CREATE INDEX IF NOT EXISTS grants_document ON grants(document_id, status);
CREATE INDEX IF NOT EXISTS documents_nik ON documents(nik, type, state);
CREATE INDEX IF NOT EXISTS documents_submission ON documents(submission_id);
CREATE INDEX IF NOT EXISTS heartbeats_kiosk ON heartbeats(kiosk_id);
CREATE INDEX IF NOT EXISTS heartbeats_received ON heartbeats(received_at);
CREATE INDEX IF NOT EXISTS bookings_checked_in ON bookings(checked_in_at);
CREATE INDEX IF NOT EXISTS walk_ins_checked_in ON walk_ins(checked_in_at);
CREATE INDEX IF NOT EXISTS finger_challenges_expiry ON finger_challenges(expires_at);
"""
#: How long heartbeats are kept: the fleet's monitoring looks at the last ones; a week is plenty.
HEARTBEAT_KEEP_S = 7 * 86400.0
#: Old heartbeats dropped per heartbeat received: the table stays at its window without a long delete.
HEARTBEAT_PRUNE_BATCH = 100
#: Columns added after the first release; older databases get them at open.
_ADDED_COLUMNS = {
    "bookings": {"counter": "TEXT", "starts_at": "REAL", "ends_at": "REAL", "served_at": "REAL"},
    # 1: issued on a resident's request ('Lupa PIN?') and not used yet; the older PIN still works.
    "pins": {"pending": "INTEGER NOT NULL DEFAULT 0"},
    # The officer who filed a request for a resident; NULL: the resident filed it.
    "submissions": {"filed_by": "TEXT"},
}
#: PIN requests waiting for the worker; more are dropped (the answer is the same either way).
MAX_QUEUED_PIN_REQUESTS = 1000
#: How long a PIN request waits for its answer to leave before it is handled anyway (a client that went away).
ANSWER_WAIT_S = 5.0
CHECKIN_EARLY_S = 60 * 60  # check-in opens an hour before the slot
CHECKIN_LATE_S = 30 * 60  # and closes half an hour after it ends
WALK_IN_SERVICE = ("Layanan umum (tanpa booking)", "1")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Content:
    """A document's bytes with everything its signature headers need."""

    meta: c.ContentMetadata
    key_id: str
    signature: str
    content: bytes


@dataclass(frozen=True)
class IssuedPin:
    """What a resident receives (over WhatsApp): never stored in clear."""

    nik: str
    pin: str
    qr_token: str
    document_ids: list[str]


class Store(OfficerDesk):
    """All state of the reference service, in ``<data_dir>/central.db``; safe to share between threads."""

    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time):
        self.data_dir = private_dir(Path(data_dir))
        self.clock = clock
        self._lock = threading.RLock()
        # SQLite gives the -wal and -shm files the database file's mode: create it owner-only first.
        create_private(self.data_dir / DB_FILE)
        for name in (DB_FILE + "-wal", DB_FILE + "-shm", OUTBOX_FILE, "seed-summary.json"):
            tighten(self.data_dir / name)
        self._db = sqlite3.connect(self.data_dir / DB_FILE, check_same_thread=False, isolation_level=None,
                                   timeout=10)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {r["name"] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for column, kind in columns.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._db.executescript(_INDEXES)  # after the added columns: an index may name one
        self._db.executescript(OFFICER_SCHEMA)
        # The catalogue starts as the default one; an operator (or a test) adds types with add_document_type.
        self._db.executemany("INSERT OR IGNORE INTO document_types VALUES (?, ?)",
                             [(t.code, t.model_dump_json()) for t in DEFAULT_CATALOGUE])
        self.gateway = WhatsAppGateway(self.data_dir)
        self.commands = CommandBook(self._db, self.data_dir, self.clock)
        self.help_desk = HelpDesk(self._db, self.clock)
        # PIN requests are answered at once and handled by one worker thread (see request_pin).
        self._pin_requests: queue.SimpleQueue[tuple[str, threading.Event | None] | None] = queue.SimpleQueue()
        self._queued = 0
        self._idle = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False

    def close(self) -> None:
        """Finish the queued PIN requests, then close the database."""
        with self._idle:
            self._closed = True
            worker = self._worker
        if worker is not None:
            self._pin_requests.put(None)
            worker.join()
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: object) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _the(self, sql: str, *args: object) -> sqlite3.Row:
        """The row that the data model says is there (a count, the resident of a known NIK)."""
        row = self._one(sql, *args)
        assert row is not None, sql
        return row

    # ------------------------------------------------------------------ settings
    def get_setting(self, key: str, default: str) -> str:
        row = self._one("SELECT value FROM meta WHERE key=?", key)
        return row["value"] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def pin_ttl_s(self) -> float:
        return float(self.get_setting("pin_ttl_s", str(DEFAULT_PIN_TTL_S)))

    @property
    def session_ttl_s(self) -> float:
        return float(self.get_setting("session_ttl_s", str(DEFAULT_SESSION_TTL_S)))

    def verify_url(self, code: str) -> str:
        return self.get_setting("verify_base_url", "https://adm-central.example.go.id/v1/verify/") + code

    # ------------------------------------------------------------------ the document-type catalogue
    def document_types(self) -> c.DocumentTypeList:
        """The whole catalogue, by code."""
        with self._lock:
            rows = self._db.execute("SELECT info FROM document_types ORDER BY code").fetchall()
        return c.DocumentTypeList(types=[c.DocumentTypeInfo.model_validate_json(r["info"]) for r in rows])

    def document_type_info(self, code: str) -> c.DocumentTypeInfo:
        row = self._one("SELECT info FROM document_types WHERE code=?", code)
        if row is None:
            raise StoreError(c.ErrorCode.NOT_FOUND, "no such document type")
        return c.DocumentTypeInfo.model_validate_json(row["info"])

    def add_document_type(self, info: c.DocumentTypeInfo) -> None:
        """Add (or describe anew) a type: kiosks show and route it from then on, without an update."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO document_types VALUES (?, ?)", (info.code, info.model_dump_json()))

    # ------------------------------------------------------------------ world building (seed, operator)
    def add_resident(self, holder: Holder, whatsapp: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (holder.nik, holder.name, holder.gender, holder.birth_place, holder.birth_date, holder.address,
                 whatsapp),
            )

    def _holder(self, nik: str) -> Holder:
        row = self._one("SELECT * FROM residents WHERE nik=?", nik)
        if row is None:
            raise StoreError(c.ErrorCode.NOT_FOUND, "no such resident")
        return Holder(row["nik"], row["name"], row["birth_place"], row["birth_date"], row["gender"], row["address"])

    def add_submission(self, submission_id: str, nik: str, types: list[str], *,
                       filed_by: str | None = None) -> list[str]:
        """A request an OPSI desa uploaded: documents wait, unrendered, for the operator. ``filed_by``: the
        officer who filed it for the resident (their id), who may then print it at a kiosk."""
        for doc_type in types:
            self.document_type_info(doc_type)  # only types of the catalogue
        if filed_by is not None and self._one("SELECT 1 FROM officers WHERE id=?", filed_by) is None:
            raise StoreError(c.ErrorCode.NOT_FOUND, "no such officer")
        ids = []
        with self._tx() as db:
            db.execute("INSERT INTO submissions(id, nik, status, created_at, verified_at, filed_by)"
                       " VALUES (?, ?, 'pending', ?, NULL, ?)", (submission_id, nik, self.clock(), filed_by))
            for doc_type in types:
                doc_id = "DOC-" + secrets.token_hex(6).upper()
                db.execute(
                    "INSERT INTO documents(id, nik, submission_id, type, version, state, verify_code)"
                    " VALUES (?, ?, ?, ?, 0, 'pending', ?)",
                    (doc_id, nik, submission_id, str(doc_type), secrets.token_hex(8).upper()),
                )
                ids.append(doc_id)
        return ids

    def verify_submission(self, submission_id: str) -> IssuedPin:
        """The operator approves: documents are rendered, signed and become active; a PIN goes out."""
        row = self._one("SELECT * FROM submissions WHERE id=?", submission_id)
        if row is None:
            raise StoreError(c.ErrorCode.NOT_FOUND, "no such submission")
        if row["status"] != "pending":
            raise StoreError(c.ErrorCode.INVALID_REQUEST, "submission already verified")
        nik = row["nik"]
        holder = self._holder(nik)
        with self._lock:
            docs = self._db.execute("SELECT id, type, verify_code FROM documents WHERE submission_id=?",
                                    (submission_id,)).fetchall()
        for doc in docs:
            self._activate(doc["id"], holder, doc["type"], doc["verify_code"])
        with self._tx() as db:
            db.execute("UPDATE submissions SET status='verified', verified_at=? WHERE id=?",
                       (self.clock(), submission_id))
        return self.issue_pin(nik, officer_id=row["filed_by"], request=submission_id)

    def _activate(self, doc_id: str, holder: Holder, doc_type: str, verify_code: str) -> None:
        key_id = self.get_setting("key_id", "demo")
        key = serialization.load_pem_private_key((self.data_dir / SIGNING_KEY_FILE).read_bytes(), password=None)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        with self._lock:
            previous = self._db.execute(
                "SELECT MAX(version) AS v FROM documents WHERE nik=? AND type=? AND state IN ('active','superseded')",
                (holder.nik, str(doc_type)),
            ).fetchone()
        version = (previous["v"] or 0) + 1
        rendered = render(self.document_type_info(doc_type), holder, self.verify_url(verify_code), version,
                          realistic=self.get_setting("realistic_sizes", "") == "1")
        issued_at = _iso(self.clock())
        signed = sign(key, key_id, document_id=doc_id, doc_type=doc_type, version=version,
                      content_type=rendered.content_type, content=rendered.content, issued_at=issued_at,
                      holder=c.holder_digest(holder.nik))
        with self._tx() as db:
            db.execute("UPDATE documents SET state='superseded' WHERE nik=? AND type=? AND state='active'",
                       (holder.nik, str(doc_type)))
            db.execute(
                "UPDATE documents SET state='active', version=?, content_type=?, content=?, pages=?, sha256=?,"
                " issued_at=?, key_id=?, signature=? WHERE id=?",
                (version, rendered.content_type, rendered.content, rendered.pages, signed.sha256, issued_at,
                 signed.key_id, signed.signature_b64, doc_id),
            )

    def add_document(self, nik: str, doc_type: str) -> str:
        """An already verified document (seed): rendered, signed and active at once."""
        [doc_id] = self.add_submission("SEED-" + secrets.token_hex(4).upper(), nik, [doc_type])
        verify_code = self._the("SELECT verify_code FROM documents WHERE id=?", doc_id)["verify_code"]
        self._activate(doc_id, self._holder(nik), doc_type, verify_code)
        with self._tx() as db:
            db.execute("UPDATE submissions SET status='verified', verified_at=? "
                       "WHERE id=(SELECT submission_id FROM documents WHERE id=?)", (self.clock(), doc_id))
        return doc_id

    def issue_pin(self, nik: str, *, reset: bool = False, officer_id: str | None = None,
                  request: str | None = None) -> IssuedPin:
        """A fresh PIN for every active document of ``nik`` no print job has touched.

        Issued by the operator (a verified submission, the seed), it ends older PINs at once. Issued on a
        request (``reset``), it does not: anyone who knows a NIK can ask, and must not be able to take away
        the PIN its resident holds. The older PIN ends when the new one (or its QR) is first used (see
        :meth:`_open_session`); until then only an earlier unused reset PIN ends."""
        now = self.clock()
        pin = new_pin()
        qr_token = secrets.token_urlsafe(24)
        # Hashed before the transaction (scrypt holds no lock); PINs valid together share a salt (pins.py).
        live = self._one("SELECT pin_hash FROM pins WHERE nik=? AND revoked=0 ORDER BY id DESC", nik) if reset else None
        pin_hash = hash_pin(pin, like=live["pin_hash"] if live else None)
        with self._tx() as db:
            docs = [r["id"] for r in db.execute(
                "SELECT id FROM documents d WHERE nik=? AND state='active' AND NOT EXISTS ("
                " SELECT 1 FROM grants g WHERE g.document_id=d.id AND g.status IN ('claimed','printed','uncertain'))"
                " ORDER BY type", (nik,))]
            ending = "SELECT id FROM pins WHERE nik=? AND revoked=0" + (" AND pending=1" if reset else "")
            old = [r["id"] for r in db.execute(ending, (nik,))]
            db.executemany("UPDATE pins SET revoked=1 WHERE id=?", [(p,) for p in old])
            db.executemany("UPDATE sessions SET revoked=1 WHERE pin_id=?", [(p,) for p in old])
            cur = db.execute("INSERT INTO pins(nik, pin_hash, qr_hash, issued_at, expires_at, pending)"
                             " VALUES (?,?,?,?,?,?)",
                             (nik, pin_hash, _sha(qr_token), now, now + self.pin_ttl_s, int(reset)))
            db.executemany("INSERT INTO grants VALUES (?, ?, 'ready', NULL, ?)",
                           [(cur.lastrowid, d, now) for d in docs])
        titles = [self.document_type_info(self.document_type(d)).title.id for d in docs]
        # The resident's WhatsApp; for a resident without a phone, the officer who filed the request.
        self._send_pin_notice(nik, pin, qr_token, titles, officer_id=officer_id, request=request)
        return IssuedPin(nik, pin, qr_token, docs)

    def mark_printed(self, nik: str, doc_id: str) -> None:
        """Seed helper: the document was printed with the current PIN."""
        with self._tx() as db:
            db.execute("UPDATE grants SET status='printed', job_id='SEED', updated_at=? WHERE document_id=? AND "
                       "pin_id=(SELECT id FROM pins WHERE nik=? AND revoked=0)", (self.clock(), doc_id, nik))

    def add_booking(self, code: str, service: str, slot: str, *, counter: str | None = None,
                    starts_at: float | None = None, ends_at: float | None = None, served: bool = False) -> None:
        """An online booking; ``starts_at``/``ends_at`` (epoch seconds) bound when it may check in."""
        with self._tx() as db:
            db.execute("INSERT INTO bookings(code, service, slot, counter, starts_at, ends_at, served_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (code, service, slot, counter, starts_at, ends_at, self.clock() if served else None))

    # ------------------------------------------------------------------ resident sessions
    def login(self, nik: str, pin: str) -> c.SessionResponse:
        """A session for a right NIK+PIN; the same InvalidCredentials for an unknown NIK as for a wrong PIN."""
        now = self.clock()
        nik_key = _sha("nik:" + nik)
        self._check_not_locked(nik_key, now)
        with self._lock:
            rows = self._db.execute("SELECT id, pin_hash, expires_at FROM pins WHERE nik=? AND revoked=0"
                                    " ORDER BY id DESC", (nik,)).fetchall()
        # The PIN the resident holds and, after a 'Lupa PIN?', the new one: one scrypt for both (pins.py).
        index = match_pin(pin, [r["pin_hash"] for r in rows] or [DUMMY_HASH])
        row = rows[index] if rows and index is not None else None
        if not (row and row["expires_at"] > now):
            self._fail(nik_key, now)
        with self._tx() as db:
            db.execute("DELETE FROM login_guard WHERE nik_key=?", (nik_key,))
        return self._open_session(row["id"], nik, now)

    def login_qr(self, token: str) -> c.SessionResponse:
        now = self.clock()
        row = self._one("SELECT id, nik, expires_at FROM pins WHERE qr_hash=? AND revoked=0", _sha(token))
        if row is None or row["expires_at"] <= now:
            raise StoreError(c.ErrorCode.INVALID_CREDENTIALS, "invalid credentials")
        return self._open_session(row["id"], row["nik"], now)

    # ------------------------------------------------------------------ KTP-el + finger
    def set_finger(self, nik: str, template: bytes) -> None:
        """The template of a resident's finger (the reference service's stand-in for Dukcapil's biometric
        records; enrolled at the office, never sent to a kiosk)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO fingers VALUES (?, ?)", (nik, bytes(template)))

    def finger_challenge(self, kiosk_id: str) -> c.FingerChallenge:
        """A nonce for one finger login by ``kiosk_id``; expired ones are dropped on the way."""
        now = self.clock()
        nonce = secrets.token_urlsafe(32)
        with self._tx() as db:
            db.execute("DELETE FROM finger_challenges WHERE expires_at<=?", (now,))
            db.execute("INSERT INTO finger_challenges VALUES (?, ?, ?)",
                       (_sha(nonce), kiosk_id, now + FINGER_CHALLENGE_TTL_S))
        return c.FingerChallenge(nonce=nonce, expires_at=datetime.fromtimestamp(now + FINGER_CHALLENGE_TTL_S, UTC))

    def login_finger(self, kiosk_id: str, request: c.FingerLoginRequest) -> c.SessionResponse:
        """A session on the resident's current PIN's documents, as :meth:`login` opens, for a NIK whose finger
        proof checks out against the template held for it.

        The nonce must be this kiosk's, unused and fresh (it is used up either way; refusing it does not count
        against the NIK). A NIK locked for PINs is locked here too; a wrong finger counts toward the finger
        lockout (:data:`~central.vocabulary.FINGER_TRIES` wrong fingers lock finger logins as wrong PINs lock
        PIN logins, with the same growing durations), which leaves the PIN login as it was. An unknown NIK,
        a NIK without a template and one without a live PIN get the same answer as a wrong finger."""
        now = self.clock()
        with self._tx() as db:
            used = db.execute("DELETE FROM finger_challenges WHERE nonce_hash=? AND kiosk_id=? AND expires_at>?",
                              (_sha(request.nonce), kiosk_id, now)).rowcount
        if not used:
            raise StoreError(c.ErrorCode.INVALID_CREDENTIALS, "finger challenge unknown, used or expired")
        nik = request.nik
        nik_key, finger_key = _sha("nik:" + nik), _sha("finger:" + nik)
        self._check_not_locked(nik_key, now)
        self._check_not_locked(finger_key, now)
        row = self._one("SELECT template FROM fingers WHERE nik=?", nik)
        expected = c.finger_proof(bytes(row["template"]) if row else _NO_TEMPLATE, request.nonce, nik)
        pin = self._one("SELECT id, expires_at FROM pins WHERE nik=? AND revoked=0 ORDER BY id DESC", nik)
        if not (hmac.compare_digest(expected, request.proof) and row and pin and pin["expires_at"] > now):
            self._fail(finger_key, now, c.FINGER_TRIES)
        assert pin is not None
        with self._tx() as db:
            db.execute("DELETE FROM login_guard WHERE nik_key=?", (finger_key,))
        return self._open_session(pin["id"], nik, now)

    def _check_not_locked(self, nik_key: str, now: float) -> None:
        guard = self._one("SELECT locked_until FROM login_guard WHERE nik_key=?", nik_key)
        if guard and guard["locked_until"] > now:
            raise StoreError(c.ErrorCode.LOCKED, "too many wrong PINs",
                             retry_after_s=math.ceil(guard["locked_until"] - now))

    def _fail(self, nik_key: str, now: float, max_failures: int = MAX_FAILURES) -> NoReturn:
        with self._tx() as db:
            guard = db.execute("SELECT * FROM login_guard WHERE nik_key=?", (nik_key,)).fetchone()
            failures, lockouts = (guard["failures"], guard["lockouts"]) if guard else (0, 0)
            failures += 1
            locked_until = 0.0
            if failures >= max_failures:
                locked_until = now + BASE_LOCK_S * 2**lockouts
                failures, lockouts = 0, lockouts + 1
            db.execute("INSERT OR REPLACE INTO login_guard VALUES (?, ?, ?, ?)",
                       (nik_key, failures, lockouts, locked_until))
        if locked_until:
            raise StoreError(c.ErrorCode.LOCKED, "too many wrong PINs", retry_after_s=math.ceil(locked_until - now))
        raise StoreError(c.ErrorCode.INVALID_CREDENTIALS, "invalid credentials",
                         attempts_left=max_failures - failures)

    def _open_session(self, pin_id: int, nik: str, now: float) -> c.SessionResponse:
        token = secrets.token_urlsafe(32)
        expires = now + self.session_ttl_s
        with self._tx() as db:
            if db.execute("SELECT pending FROM pins WHERE id=?", (pin_id,)).fetchone()["pending"]:
                self._replace_older_pins(db, pin_id, nik)
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, 0)", (_sha(token), pin_id, expires))
        name = self._the("SELECT name FROM residents WHERE nik=?", nik)["name"]
        return c.SessionResponse(token=token, expires_at=datetime.fromtimestamp(expires, UTC),
                                 masked_name=mask_name(name), documents=self._documents(pin_id))

    @staticmethod
    def _replace_older_pins(db: sqlite3.Connection, pin_id: int, nik: str) -> None:
        """A PIN issued on request is used for the first time: the resident has it, the older PINs end.

        What an older PIN claimed, printed or left uncertain stays with it and leaves the new PIN's list:
        a document prints once, whichever PIN asks."""
        old = [r["id"] for r in db.execute("SELECT id FROM pins WHERE nik=? AND id<>? AND revoked=0", (nik, pin_id))]
        db.executemany("UPDATE pins SET revoked=1 WHERE id=?", [(p,) for p in old])
        db.executemany("UPDATE sessions SET revoked=1 WHERE pin_id=?", [(p,) for p in old])
        db.execute("UPDATE pins SET pending=0 WHERE id=?", (pin_id,))
        db.execute("DELETE FROM grants WHERE pin_id=? AND document_id IN (SELECT document_id FROM grants"
                   " WHERE pin_id<>? AND status IN ('claimed','printed','uncertain'))", (pin_id, pin_id))
        log.info("central.pin_replaced", extra={"fields": {"ended": len(old)}})

    def _session_pin(self, token: str) -> int:
        row = self._one(
            "SELECT s.pin_id FROM sessions s JOIN pins p ON p.id=s.pin_id "
            "WHERE s.token_hash=? AND s.revoked=0 AND s.expires_at>? AND p.revoked=0 AND p.expires_at>?",
            _sha(token), self.clock(), self.clock())
        if row is None:
            raise StoreError(c.ErrorCode.SESSION_EXPIRED, "session expired or unknown")
        return row["pin_id"]

    def logout(self, token: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET revoked=1 WHERE token_hash=?", (_sha(token),))

    def documents(self, token: str) -> c.DocumentList:
        return c.DocumentList(documents=self._documents(self._session_pin(token)))

    def _documents(self, pin_id: int) -> list[c.DocumentSummary]:
        with self._lock:
            rows = self._db.execute(
                "SELECT d.*, g.status, length(d.content) AS size FROM grants g JOIN documents d ON d.id=g.document_id"
                " WHERE g.pin_id=? AND d.state='active' ORDER BY d.type", (pin_id,)).fetchall()
        types = {t.code: t for t in self.document_types().types}
        return [
            c.DocumentSummary(
                id=r["id"], type=r["type"], title=types[r["type"]].title, media=types[r["type"]].media,
                pages=r["pages"], content_type=r["content_type"], size=r["size"], version=r["version"],
                status=r["status"], issued_at=r["issued_at"], verify_url=self.verify_url(r["verify_code"]),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ printing
    def claim_content(self, token: str, document_id: str, job_id: str) -> Content:
        """The document's content for print job ``job_id``; claims the document for that job."""
        pin_id = self._session_pin(token)
        with self._tx() as db:
            row = db.execute(
                "SELECT d.*, g.status, g.job_id FROM grants g JOIN documents d ON d.id=g.document_id "
                "WHERE g.pin_id=? AND g.document_id=? AND d.state='active'", (pin_id, document_id)).fetchone()
            if row is None:
                raise StoreError(c.ErrorCode.NOT_FOUND, "no such document")
            status = row["status"]
            if status in (c.DocumentStatus.PRINTED, c.DocumentStatus.UNCERTAIN):
                raise StoreError(c.ErrorCode.ALREADY_PRINTED, "already printed with this PIN")
            if status == c.DocumentStatus.CLAIMED and row["job_id"] != job_id:
                raise StoreError(c.ErrorCode.ALREADY_CLAIMED, "another print job holds this document")
            # A document prints once whichever of the resident's PINs asks (a claim through the old PIN's
            # session may commit just after a new PIN's first use replaced it).
            other = db.execute("SELECT status FROM grants WHERE document_id=? AND pin_id<>? AND status IN"
                               " ('claimed','printed','uncertain')", (document_id, pin_id)).fetchone()
            if other is not None:
                code = c.ErrorCode.ALREADY_CLAIMED if other["status"] == "claimed" else c.ErrorCode.ALREADY_PRINTED
                raise StoreError(code, "another PIN holds this document")
            db.execute("UPDATE grants SET status='claimed', job_id=?, updated_at=? WHERE pin_id=? AND document_id=?",
                       (job_id, self.clock(), pin_id, document_id))
        self._officer_claimed(token, document_id, job_id)  # officer records
        meta = c.ContentMetadata(document_id=row["id"], type=row["type"], version=row["version"],
                                 content_type=row["content_type"], sha256=row["sha256"], issued_at=row["issued_at"],
                                 holder=c.holder_digest(row["nik"]))
        return Content(meta, row["key_id"], row["signature"], bytes(row["content"]))

    def print_event(self, document_id: str, idem_key: str, event: c.PrintEvent) -> c.PrintEventAck:
        """Record a print event once; a replay with the same key and body gets the stored answer.

        The key is the job id; ``<job id>:resolution`` carries a technician's answer for a job first
        reported ``uncertain`` (printed: the document is printed; failed: its claim is released)."""
        resolution = idem_key == event.job_id + c.RESOLUTION_SUFFIX
        if idem_key != event.job_id and not resolution:
            raise StoreError(c.ErrorCode.INVALID_REQUEST, "Idempotency-Key must be the job id (or <job id>:resolution)")
        if resolution and event.outcome == c.PrintOutcome.UNCERTAIN:
            raise StoreError(c.ErrorCode.INVALID_REQUEST, "a resolution is printed or failed, not uncertain")
        body_hash = _sha(event.model_dump_json())
        now = self.clock()
        with self._tx() as db:
            seen = db.execute("SELECT body_hash, response FROM print_events WHERE document_id=? AND idem_key=?",
                              (document_id, idem_key)).fetchone()
            if seen is not None:
                if seen["body_hash"] != body_hash:
                    raise StoreError(c.ErrorCode.IDEMPOTENCY_CONFLICT, "this key was used with another body")
                return c.PrintEventAck.model_validate_json(seen["response"])
            if db.execute("SELECT 1 FROM documents WHERE id=?", (document_id,)).fetchone() is None:
                raise StoreError(c.ErrorCode.NOT_FOUND, "no such document")
            grant = db.execute("SELECT pin_id, status FROM grants WHERE document_id=? AND job_id=?",
                               (document_id, event.job_id)).fetchone()
            expected = c.DocumentStatus.UNCERTAIN if resolution else c.DocumentStatus.CLAIMED
            applied = grant is not None and grant["status"] == expected
            if applied:
                new_status, job = {
                    c.PrintOutcome.PRINTED: (c.DocumentStatus.PRINTED, event.job_id),
                    c.PrintOutcome.FAILED: (c.DocumentStatus.READY, None),  # the claim is released
                    c.PrintOutcome.UNCERTAIN: (c.DocumentStatus.UNCERTAIN, event.job_id),
                }[event.outcome]
                db.execute("UPDATE grants SET status=?, job_id=?, updated_at=? WHERE pin_id=? AND document_id=?",
                           (str(new_status), job, now, grant["pin_id"], document_id))
            else:
                latest = db.execute("SELECT status FROM grants WHERE document_id=? ORDER BY pin_id DESC LIMIT 1",
                                    (document_id,)).fetchone()
                new_status = c.DocumentStatus(latest["status"]) if latest else c.DocumentStatus.READY
            ack = c.PrintEventAck(document_id=document_id, job_id=event.job_id, outcome=event.outcome,
                                  applied=applied, document_status=new_status,
                                  recorded_at=datetime.fromtimestamp(now, UTC))
            db.execute("INSERT INTO print_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (document_id, idem_key, body_hash, ack.model_dump_json(), event.kiosk_id, str(event.outcome),
                        event.cause, json.dumps(event.counters), now))
        self._officer_print_event(document_id, event)  # officer records
        return ack

    def rating(self, kiosk_id: str, idem_key: str, rating: c.SatisfactionRating) -> c.RatingAck:
        """Store a satisfaction rating once; a replay with the same key and body gets the same answer."""
        if idem_key != rating.rating_id:
            raise StoreError(c.ErrorCode.INVALID_REQUEST, "Idempotency-Key must be the rating id")
        body_hash = _sha(rating.model_dump_json())
        with self._tx() as db:
            seen = db.execute("SELECT body_hash FROM ratings WHERE idem_key=?", (idem_key,)).fetchone()
            if seen is not None and seen["body_hash"] != body_hash:
                raise StoreError(c.ErrorCode.IDEMPOTENCY_CONFLICT, "this key was used with another body")
            if seen is None:
                db.execute("INSERT INTO ratings VALUES (?, ?, ?, ?, ?)",
                           (idem_key, kiosk_id, rating.month, rating.score, body_hash))
        return c.RatingAck(rating_id=rating.rating_id, month=rating.month, score=rating.score)

    def rating_counts(self, month: str) -> dict[int, int]:
        """How many ratings of each score (1-4) the kiosks sent for ``month`` (YYYY-MM)."""
        with self._lock:
            rows = self._db.execute("SELECT score, COUNT(*) AS n FROM ratings WHERE month=? GROUP BY score",
                                    (month,)).fetchall()
        return {row["score"]: row["n"] for row in rows}

    def document_type(self, document_id: str) -> str:
        """The catalogue code of a document's type."""
        row = self._one("SELECT type FROM documents WHERE id=?", document_id)
        if row is None:
            raise StoreError(c.ErrorCode.NOT_FOUND, "no such document")
        return row["type"]

    def verify_codes(self) -> dict[str, list[str]]:
        """Verification codes of active and superseded documents (for the demo summary)."""
        with self._lock:
            rows = self._db.execute("SELECT verify_code, state FROM documents ORDER BY id").fetchall()
        return {state: [r["verify_code"] for r in rows if r["state"] == state] for state in ("active", "superseded")}

    def print_event_count(self, document_id: str) -> int:
        return self._the("SELECT COUNT(*) AS n FROM print_events WHERE document_id=?", document_id)["n"]

    # ------------------------------------------------------------------ kiosk-level calls
    def heartbeat(self, kiosk_id: str, beat: c.Heartbeat) -> c.HeartbeatAck:
        """Keep the beat, record its acknowledgements, and answer with the commands still pending."""
        now = self.clock()
        with self._tx() as db:
            db.execute("INSERT INTO heartbeats(kiosk_id, received_at, body) VALUES (?, ?, ?)",
                       (kiosk_id, now, beat.model_dump_json()))
            self.commands.acknowledge(kiosk_id, beat.acks)
            pending = self.commands.pending(kiosk_id)
            db.execute("DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats WHERE received_at < ?"
                       " ORDER BY received_at LIMIT ?)", (now - HEARTBEAT_KEEP_S, HEARTBEAT_PRUNE_BATCH))
        return c.HeartbeatAck(received_at=datetime.fromtimestamp(now, UTC), commands=pending)

    def queue_command(self, kiosk_id: str, kind: c.CommandKind | str, args: c.CommandArgs | None = None,
                      ttl_s: float = DEFAULT_COMMAND_TTL_S) -> c.SignedCommand:
        """The operator queues a command; it goes out in the kiosk's next heartbeat answers until acknowledged."""
        with self._tx():
            return self.commands.queue(kiosk_id, kind, args, ttl_s=ttl_s)

    def help_call(self, kiosk_id: str, call: c.HelpCall) -> c.HelpCallAck:
        """A resident at ``kiosk_id`` called for help; refused (429) when the kiosk called moments ago.

        The least interval is the setting ``help_call_interval_s`` (seconds; 60 by default)."""
        interval = float(self.get_setting("help_call_interval_s", str(HELP_CALL_INTERVAL_S)))
        try:
            with self._tx():
                return self.help_desk.record(kiosk_id, call, interval)
        except TooSoon as exc:
            raise StoreError(c.ErrorCode.TOO_MANY_REQUESTS, str(exc), retry_after_s=exc.retry_after_s) from None

    def diagnostics_upload(self, kiosk_id: str, upload: c.DiagnosticsUpload) -> c.DiagnosticsReceipt:
        with self._tx():
            return self.commands.store_diagnostics(kiosk_id, upload)

    def fleet(self) -> list[dict]:
        """Each kiosk that sent a heartbeat or has commands: its last heartbeat and its commands."""
        with self._lock:
            rows = self._db.execute("SELECT kiosk_id, MAX(received_at) AS at, body FROM heartbeats"
                                    " GROUP BY kiosk_id ORDER BY kiosk_id").fetchall()
            commands = self.commands.commands()
            uploads = {r[0]: r[1] for r in self._db.execute(
                "SELECT kiosk_id, COUNT(*) FROM diagnostics GROUP BY kiosk_id").fetchall()}
            help_calls = self.help_desk.summary()
        kiosks: dict[str, dict] = {}
        for row in rows:
            beat = c.Heartbeat.model_validate_json(row["body"])
            kiosks[row["kiosk_id"]] = {
                "kiosk_id": row["kiosk_id"], "last_heartbeat": _iso(row["at"]),
                "version": beat.software_version, "in_service": beat.in_service, "notice": beat.notice,
                "devices": {name: d.state for name, d in beat.devices.items()},
                "consumables": dict(beat.consumables),
                "outbox_backlog": beat.counters.get("outbox_backlog", 0),
                "uncertain_jobs": beat.counters.get("UNCERTAIN", 0),
            }
        for command in commands:
            entry = kiosks.setdefault(command["kiosk_id"], {"kiosk_id": command["kiosk_id"], "last_heartbeat": None})
            entry.setdefault("commands", []).append(command)
        for kiosk_id, entry in kiosks.items():
            entry.setdefault("commands", [])
            entry["pending_commands"] = sum(1 for cmd in entry["commands"] if cmd["status"] == "pending")
            entry["acknowledged_commands"] = sum(1 for cmd in entry["commands"]
                                                 if cmd["status"] not in ("pending", "expired"))
            entry["diagnostics_uploads"] = uploads.get(kiosk_id, 0)
        for kiosk_id, calls in help_calls.items():
            kiosks.setdefault(kiosk_id, {"kiosk_id": kiosk_id, "last_heartbeat": None, "commands": [],
                                         "pending_commands": 0, "acknowledged_commands": 0,
                                         "diagnostics_uploads": uploads.get(kiosk_id, 0)}).update(calls)
        for entry in kiosks.values():
            entry.setdefault("help_requests", 0)
            entry.setdefault("help_calls", [])
        return sorted(kiosks.values(), key=lambda entry: entry["kiosk_id"])

    def heartbeats(self, kiosk_id: str) -> list[c.Heartbeat]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM heartbeats WHERE kiosk_id=? ORDER BY id", (kiosk_id,)).fetchall()
        return [c.Heartbeat.model_validate_json(r["body"]) for r in rows]

    def verify_code(self, code: str) -> c.VerifyResult:
        row = self._one("SELECT type, version, state, issued_at FROM documents WHERE verify_code=?", code)
        if row is None or row["state"] not in ("active", "superseded"):
            return c.VerifyResult(code=code, status=c.VerifyStatus.UNKNOWN)
        return c.VerifyResult(code=code, status=row["state"], document_type=row["type"], version=row["version"],
                              issued_at=row["issued_at"], title=self.document_type_info(row["type"]).title)

    def check_in(self, booking_code: str) -> c.QueueTicket:
        """Check a booking in; a second check-in returns the same ticket (so retries are safe).

        Refused when the booking is unknown, already served, too early (``retry_after_s`` until check-in
        opens) or past its slot and the grace time."""
        now = self.clock()
        early_s = float(self.get_setting("checkin_early_s", str(CHECKIN_EARLY_S)))
        late_s = float(self.get_setting("checkin_late_s", str(CHECKIN_LATE_S)))
        with self._tx() as db:
            row = db.execute("SELECT * FROM bookings WHERE code=?", (booking_code.upper(),)).fetchone()
            if row is None:
                raise StoreError(c.ErrorCode.NOT_FOUND, "no such booking")
            if row["served_at"] is not None:
                raise StoreError(c.ErrorCode.BOOKING_USED, "booking already served")
            if row["ticket_number"] is None:
                if row["starts_at"] is not None and now < row["starts_at"] - early_s:
                    raise StoreError(c.ErrorCode.BOOKING_EARLY, "check-in is not open yet",
                                     retry_after_s=math.ceil(row["starts_at"] - early_s - now))
                if row["ends_at"] is not None and now > row["ends_at"] + late_s:
                    raise StoreError(c.ErrorCode.BOOKING_EXPIRED, "the booking's slot is over")
                number = f"A-{self._next_ticket(db, 'A'):03d}"
                db.execute("UPDATE bookings SET ticket_number=?, checked_in_at=? WHERE code=?",
                           (number, now, row["code"]))
                row = db.execute("SELECT * FROM bookings WHERE code=?", (row["code"],)).fetchone()
            ahead = db.execute("SELECT COUNT(*) AS n FROM bookings WHERE checked_in_at < ? AND served_at IS NULL",
                               (row["checked_in_at"],)).fetchone()["n"]
        return c.QueueTicket(booking_code=row["code"], ticket_number=row["ticket_number"], service=row["service"],
                             slot=row["slot"], counter=row["counter"], waiting_before=ahead,
                             follow_url=self.queue_url(row["ticket_number"]),
                             checked_in_at=datetime.fromtimestamp(row["checked_in_at"], UTC))

    def walk_in(self, idem_key: str) -> c.QueueTicket:
        """A number without a booking when the office allows it (setting ``walk_in_open``); one per key."""
        if self.get_setting("walk_in_open", "1") != "1":
            raise StoreError(c.ErrorCode.WALK_IN_CLOSED, "no walk-in numbers now")
        service, counter = WALK_IN_SERVICE
        with self._tx() as db:
            row = db.execute("SELECT * FROM walk_ins WHERE idem_key=?", (idem_key,)).fetchone()
            if row is None:
                number = f"B-{self._next_ticket(db, 'B'):03d}"
                db.execute("INSERT INTO walk_ins VALUES (?, ?, ?)", (idem_key, number, self.clock()))
                row = db.execute("SELECT * FROM walk_ins WHERE idem_key=?", (idem_key,)).fetchone()
            ahead = db.execute("SELECT COUNT(*) AS n FROM walk_ins WHERE checked_in_at < ?",
                               (row["checked_in_at"],)).fetchone()["n"]
        return c.QueueTicket(ticket_number=row["ticket_number"], service=service, counter=counter,
                             waiting_before=ahead, follow_url=self.queue_url(row["ticket_number"]),
                             checked_in_at=datetime.fromtimestamp(row["checked_in_at"], UTC))

    @staticmethod
    def _next_ticket(db: sqlite3.Connection, prefix: str) -> int:
        if prefix == "B":
            return db.execute("SELECT COUNT(*) AS n FROM walk_ins").fetchone()["n"] + 1
        return db.execute("SELECT COUNT(*) AS n FROM bookings WHERE ticket_number IS NOT NULL").fetchone()["n"] + 1

    def queue_url(self, ticket_number: str) -> str:
        return self.get_setting("queue_base_url", "https://adm-central.example.go.id/antrean/") + ticket_number

    def serve_booking(self, code: str) -> None:
        """The counter called the ticket (tests, operator): the booking cannot be used again."""
        with self._tx() as db:
            db.execute("UPDATE bookings SET served_at=? WHERE code=?", (self.clock(), code))

    def request_pin(self, nik: str, *, after: threading.Event | None = None) -> None:
        """A resident asks for a new PIN ('Lupa PIN?'); returns at once, whatever the NIK.

        Issuing a PIN (scrypt, the WhatsApp message) takes 15-25 times longer than finding nothing, so
        doing it before answering told anyone with a stopwatch which NIKs exist and have documents. The
        request is queued and a worker thread handles it once ``after`` is set (the server sets it when the
        answer has gone, so the work competes with no answer for the CPU); :meth:`drain` waits for it."""
        with self._idle:
            if self._closed:
                return
            if self._queued >= MAX_QUEUED_PIN_REQUESTS:
                log.warning("central.pin_request_dropped", extra={"fields": {"queued": self._queued}})
                return
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="central-pin-requests", daemon=True)
                self._worker.start()
            self._queued += 1
        self._pin_requests.put((nik, after))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every PIN request made so far has been handled (its message is in the outbox)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._queued == 0, timeout)

    def _work(self) -> None:
        while (request := self._pin_requests.get()) is not None:
            nik, after = request
            if after is not None and not self._closed:  # closing: finish the queue without waiting
                after.wait(ANSWER_WAIT_S)
            try:
                if not self._answer_pin_request(nik):
                    # The scrypt an issued PIN costs, spent anyway: the service's load after a request
                    # (which slows the requests that follow) must not tell whether a PIN went out either.
                    hash_pin(new_pin())
            except (StoreError, sqlite3.Error, OSError) as exc:  # one request failed; the next may not
                log.error("central.pin_request_failed", extra={"fields": {"error": type(exc).__name__}})
            finally:
                with self._idle:
                    self._queued -= 1
                    self._idle.notify_all()

    def _answer_pin_request(self, nik: str) -> bool:
        """A PIN goes out only when the NIK exists and has printable documents, and not within the cooldown."""
        if self._one("SELECT 1 FROM residents WHERE nik=?", nik) is None:
            return False
        # A cooldown, so that strangers typing a NIK cannot flood a resident's WhatsApp.
        cooldown = float(self.get_setting("pin_request_cooldown_s", "300"))
        if self._one("SELECT 1 FROM pins WHERE nik=? AND revoked=0 AND issued_at>?", nik, self.clock() - cooldown):
            return False
        printable = self._the(
            "SELECT COUNT(*) AS n FROM documents d WHERE nik=? AND state='active' AND NOT EXISTS ("
            " SELECT 1 FROM grants g WHERE g.document_id=d.id AND g.status IN ('claimed','printed','uncertain'))", nik)
        if not printable["n"]:
            return False
        self.issue_pin(nik, reset=True)
        return True
