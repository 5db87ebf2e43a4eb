"""Officers of the reference service: OPSI desa/kecamatan accounts that print for residents without
a phone.

An officer has an id (for every audit), a name, the kecamatan they serve, a WhatsApp number, a PIN (scrypt, as
the residents' are) and an officer card whose QR holds a secret token; the store keeps hashes of both. At a
kiosk the card and the PIN open an *officer session*, shorter-lived than a resident's; wrong PINs lock the card
as wrong PINs lock a NIK. The officer sees the requests they filed that are verified and not yet printed (the
resident named by initials only) and, after the identity check (the NIK's last digits, checked here, never
sent to the kiosk), gets an ordinary resident session for that request: the same documents, holder binding,
print-once rules and print events as a resident's own. Every step is in ``officer_records`` with the officer's
id: the session opened, the check passed or refused, each document claimed and each print event's outcome.

A request an officer filed for a resident without a phone sends its PIN notice to the officer's WhatsApp.

:class:`OfficerDesk` is a part of :class:`central.store.Store` (a mixin), kept apart so that the store's
resident rules read on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

from central import contract as c
from central.errors import StoreError
from central.pins import DUMMY_HASH, check_pin, hash_pin, mask_name, new_pin
from central.vocabulary import NIK_CHECK_DIGITS, OFFICER_CARD_PREFIX
from central.whatsapp import WhatsAppGateway

log = logging.getLogger("central.officers")

#: How long an officer session lives (setting ``officer_session_ttl_s``): shorter than a resident's 15 minutes.
DEFAULT_OFFICER_SESSION_TTL_S = 5 * 60

OFFICER_SCHEMA = """
CREATE TABLE IF NOT EXISTS officers(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kecamatan TEXT NOT NULL, whatsapp TEXT NOT NULL,
    pin_hash TEXT NOT NULL, card_hash TEXT UNIQUE NOT NULL, active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS officer_sessions(
    token_hash TEXT PRIMARY KEY, officer_id TEXT NOT NULL, kiosk_id TEXT NOT NULL, expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS officer_links(
    token_hash TEXT PRIMARY KEY, officer_id TEXT NOT NULL, submission_id TEXT NOT NULL, kiosk_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS officer_records(
    id INTEGER PRIMARY KEY, officer_id TEXT NOT NULL, action TEXT NOT NULL, kiosk_id TEXT,
    submission_id TEXT, document_id TEXT, job_id TEXT, outcome TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS officer_records_job ON officer_records(job_id);
CREATE INDEX IF NOT EXISTS submissions_filed_by ON submissions(filed_by, status);
"""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def card_hash(card_token: str) -> str:
    """What the store keeps of an officer card's secret."""
    return _sha("officer-card:" + card_token)


def initials(name: str) -> str:
    """'Ujang Suryana' -> 'U. S.': how an officer's list names a resident."""
    return " ".join(part[0].upper() + "." for part in name.split()[:4])


@dataclass(frozen=True)
class NewOfficer:
    """What an officer is handed once (the card printed from ``card_qr``, the PIN): never stored in clear."""

    officer_id: str
    pin: str
    card_token: str

    @property
    def card_qr(self) -> str:
        return OFFICER_CARD_PREFIX + self.card_token


class OfficerDesk:
    """The officer role's part of the store (mixed into :class:`central.store.Store`)."""

    if TYPE_CHECKING:  # provided by Store
        _db: sqlite3.Connection
        clock: Callable[[], float]
        gateway: WhatsAppGateway

        @property
        def session_ttl_s(self) -> float: ...

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _one(self, sql: str, *args: object) -> sqlite3.Row | None: ...
        def _the(self, sql: str, *args: object) -> sqlite3.Row: ...
        def _check_not_locked(self, nik_key: str, now: float) -> None: ...
        def _fail(self, nik_key: str, now: float) -> NoReturn: ...
        def _documents(self, pin_id: int) -> list[c.DocumentSummary]: ...
        def get_setting(self, key: str, default: str) -> str: ...
        def document_type_info(self, code: str) -> c.DocumentTypeInfo: ...

    @property
    def officer_session_ttl_s(self) -> float:
        return float(self.get_setting("officer_session_ttl_s", str(DEFAULT_OFFICER_SESSION_TTL_S)))

    # ------------------------------------------------------------------ accounts (adm-central officers)
    def add_officer(self, officer_id: str, name: str, kecamatan: str, whatsapp: str, *,
                    pin: str | None = None) -> NewOfficer:
        """A new officer with a fresh card token and PIN (or ``pin``); both are returned once, stored hashed."""
        pin = pin or new_pin()
        card = secrets.token_urlsafe(24)
        pin_hash = hash_pin(pin)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM officers WHERE id=?", (officer_id,)).fetchone() is not None:
                raise _error(c.ErrorCode.INVALID_REQUEST, "an officer with this id exists")
            db.execute("INSERT INTO officers VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                       (officer_id, name, kecamatan, whatsapp, pin_hash, card_hash(card), self.clock()))
        return NewOfficer(officer_id, pin, card)

    def officers(self) -> list[dict]:
        """Every officer: id, name, kecamatan, active, and how many requests they filed (no PIN, no card)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT o.id, o.name, o.kecamatan, o.active, (SELECT COUNT(*) FROM submissions s"
                " WHERE s.filed_by=o.id) AS filed FROM officers o ORDER BY o.id").fetchall()
        return [{"id": r["id"], "name": r["name"], "kecamatan": r["kecamatan"], "active": bool(r["active"]),
                 "requests_filed": r["filed"]} for r in rows]

    def disable_officer(self, officer_id: str) -> None:
        """The card and PIN stop working at once; open officer sessions and the sessions they opened end."""
        with self._tx() as db:
            if db.execute("UPDATE officers SET active=0 WHERE id=?", (officer_id,)).rowcount == 0:
                raise _error(c.ErrorCode.NOT_FOUND, "no such officer")
            db.execute("UPDATE officer_sessions SET revoked=1 WHERE officer_id=?", (officer_id,))
            db.execute("UPDATE sessions SET revoked=1 WHERE token_hash IN"
                       " (SELECT token_hash FROM officer_links WHERE officer_id=?)", (officer_id,))

    def officer_records(self, officer_id: str | None = None) -> list[dict]:
        """The service's records of officer actions, oldest first (ids and outcomes only, no personal data)."""
        sql = "SELECT * FROM officer_records" + (" WHERE officer_id=?" if officer_id else "") + " ORDER BY id"
        with self._tx() as db:
            rows = db.execute(sql, (officer_id,) if officer_id else ()).fetchall()
        return [{k: r[k] for k in r.keys() if k != "id"} for r in rows]

    def submission_filed_by(self, submission_id: str) -> str | None:
        """The officer who filed a request, or None when the resident filed it."""
        row = self._one("SELECT filed_by FROM submissions WHERE id=?", submission_id)
        if row is None:
            raise _error(c.ErrorCode.NOT_FOUND, "no such submission")
        return row["filed_by"]

    # ------------------------------------------------------------------ the PIN notice
    def _send_pin_notice(self, nik: str, pin: str, qr_token: str, titles: list[str], *,
                         officer_id: str | None = None, request: str | None = None) -> None:
        """To the resident's WhatsApp; to the filing officer's when the resident has no phone."""
        resident = self._the("SELECT name, whatsapp FROM residents WHERE nik=?", nik)
        valid_days = max(1, round(float(self.get_setting("pin_ttl_s", str(7 * 86400))) / 86400))
        if resident["whatsapp"]:
            self.gateway.send_pin(resident["whatsapp"], resident["name"].split()[0], pin, qr_token, titles,
                                  valid_days, holder=c.holder_digest(nik))
            return
        officer = self._one("SELECT name, whatsapp FROM officers WHERE id=? AND active=1", officer_id or "")
        if officer is None or not request:
            log.warning("central.pin_notice_not_sent", extra={"fields": {"reason": "no-number"}})
            return
        self.gateway.send_officer_notice(officer["whatsapp"], officer["name"].split()[0], request,
                                         initials(resident["name"]), pin, titles, valid_days)

    # ------------------------------------------------------------------ officer sessions
    def officer_login(self, card: str, pin: str, kiosk_id: str) -> c.OfficerSessionResponse:
        """An officer session for a right card + PIN; wrong PINs lock the card as they lock a NIK."""
        now = self.clock()
        key = _sha("officer:" + card_hash(card))
        self._check_not_locked(key, now)
        row = self._one("SELECT * FROM officers WHERE card_hash=?", card_hash(card))
        matched = check_pin(pin, row["pin_hash"] if row is not None else DUMMY_HASH)
        if row is None or not matched or not row["active"]:
            if row is not None:
                self._record(row["id"], "login_refused", kiosk_id)
            self._fail(key, now)
        token = secrets.token_urlsafe(32)
        expires = now + self.officer_session_ttl_s
        with self._tx() as db:
            db.execute("DELETE FROM login_guard WHERE nik_key=?", (key,))
            db.execute("INSERT INTO officer_sessions VALUES (?, ?, ?, ?, 0)",
                       (_sha(token), row["id"], kiosk_id, expires))
        self._record(row["id"], "login", kiosk_id)
        return c.OfficerSessionResponse(token=token, expires_at=datetime.fromtimestamp(expires, UTC),
                                        officer_id=row["id"], masked_name=mask_name(row["name"]),
                                        kecamatan=row["kecamatan"])

    def _officer_session(self, token: str) -> sqlite3.Row:
        row = self._one(
            "SELECT s.officer_id, s.expires_at FROM officer_sessions s JOIN officers o ON o.id=s.officer_id"
            " WHERE s.token_hash=? AND s.revoked=0 AND s.expires_at>? AND o.active=1", _sha(token), self.clock())
        if row is None:
            raise _error(c.ErrorCode.SESSION_EXPIRED, "officer session expired or unknown")
        return row

    def officer_logout(self, token: str, kiosk_id: str) -> None:
        """The officer session ends (resident sessions it opened run out with it, see open_for_request)."""
        row = self._one("SELECT officer_id FROM officer_sessions WHERE token_hash=? AND revoked=0", _sha(token))
        with self._tx() as db:
            db.execute("UPDATE officer_sessions SET revoked=1 WHERE token_hash=?", (_sha(token),))
        if row is not None:
            self._record(row["officer_id"], "logout", kiosk_id)

    def officer_requests(self, token: str) -> c.OfficerRequestList:
        """The requests this officer filed that are verified and still have a document to print."""
        officer_id = self._officer_session(token)["officer_id"]
        with self._tx() as db:
            subs = db.execute("SELECT s.id, s.verified_at, r.name FROM submissions s JOIN residents r ON r.nik=s.nik"
                              " WHERE s.filed_by=? AND s.status='verified' ORDER BY s.verified_at, s.id",
                              (officer_id,)).fetchall()
            out = []
            for sub in subs:
                types = [r["type"] for r in db.execute(
                    "SELECT d.type FROM documents d WHERE d.submission_id=? AND d.state='active' AND NOT EXISTS ("
                    " SELECT 1 FROM grants g WHERE g.document_id=d.id"
                    " AND g.status IN ('claimed','printed','uncertain')) ORDER BY d.type", (sub["id"],))]
                if types:
                    out.append((sub, types))
        return c.OfficerRequestList(requests=[
            c.OfficerRequest(code=sub["id"], initials=initials(sub["name"]),
                             documents=[self.document_type_info(t).title for t in types],
                             verified_at=_utc(sub["verified_at"]))
            for sub, types in out])

    def open_for_request(self, token: str, code: str, check: c.IdentityCheck,
                         kiosk_id: str) -> c.OfficerResidentSession:
        """The resident session for request ``code``, after the officer's identity check.

        Refused with ``not_your_request`` when another officer (or the resident) filed it; wrong digits count
        like wrong PINs and lock the request. The session lives no longer than the officer's."""
        now = self.clock()
        officer = self._officer_session(token)
        officer_id = officer["officer_id"]
        sub = self._one("SELECT nik, status, filed_by FROM submissions WHERE id=?", code)
        if sub is None or sub["status"] != "verified":
            raise _error(c.ErrorCode.NOT_FOUND, "no such verified request")
        if sub["filed_by"] != officer_id:
            self._record(officer_id, "refused_not_filed", kiosk_id, submission_id=code)
            log.warning("central.officer_not_filer", extra={"fields": {"officer": officer_id}})
            raise _error(c.ErrorCode.NOT_YOUR_REQUEST, "this request was not filed by this officer")
        if not check.document_checked:
            raise _error(c.ErrorCode.INVALID_REQUEST, "the KTP/KK must be checked")
        key = _sha("officer-check:" + code)
        self._check_not_locked(key, now)
        nik = sub["nik"]
        if not hmac.compare_digest(nik[-NIK_CHECK_DIGITS:].encode(), check.nik_last_digits.encode()):
            self._record(officer_id, "identity_refused", kiosk_id, submission_id=code)
            self._fail(key, now)
        pin = self._one("SELECT id FROM pins WHERE nik=? AND revoked=0 AND expires_at>? ORDER BY id DESC", nik, now)
        if pin is None:
            raise _error(c.ErrorCode.NOT_FOUND, "no valid PIN for this request")
        resident_token = secrets.token_urlsafe(32)
        expires = min(now + self.session_ttl_s, officer["expires_at"])
        with self._tx() as db:
            db.execute("DELETE FROM login_guard WHERE nik_key=?", (key,))
            db.execute("INSERT INTO sessions(token_hash, pin_id, expires_at, revoked) VALUES (?, ?, ?, 0)",
                       (_sha(resident_token), pin["id"], expires))
            db.execute("INSERT INTO officer_links VALUES (?, ?, ?, ?)",
                       (_sha(resident_token), officer_id, code, kiosk_id))
        self._record(officer_id, "identity_checked", kiosk_id, submission_id=code)
        name = self._the("SELECT name FROM residents WHERE nik=?", nik)["name"]
        return c.OfficerResidentSession(
            token=resident_token, expires_at=datetime.fromtimestamp(expires, UTC), masked_name=mask_name(name),
            documents=self._documents(pin["id"]), holder=c.holder_digest(nik), request_code=code,
            officer_id=officer_id)

    # ------------------------------------------------------------------ records of the resident path
    def _officer_claimed(self, token: str, document_id: str, job_id: str) -> None:
        """A document fetched through a session an officer opened: recorded with the officer's id."""
        link = self._one("SELECT officer_id, submission_id, kiosk_id FROM officer_links WHERE token_hash=?",
                         _sha(token))
        if link is not None:
            self._record(link["officer_id"], "claimed", link["kiosk_id"], submission_id=link["submission_id"],
                         document_id=document_id, job_id=job_id)

    def _officer_print_event(self, document_id: str, event: c.PrintEvent) -> None:
        """A print event for a job an officer's session claimed: its outcome, recorded with the officer's id."""
        claim = self._one("SELECT officer_id, submission_id FROM officer_records WHERE job_id=? AND action='claimed'",
                          event.job_id)
        if claim is not None:
            self._record(claim["officer_id"], "print_event", event.kiosk_id, submission_id=claim["submission_id"],
                         document_id=document_id, job_id=event.job_id, outcome=str(event.outcome))

    def _record(self, officer_id: str, action: str, kiosk_id: str | None, **fields: str | None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO officer_records(officer_id, action, kiosk_id, submission_id, document_id, job_id,"
                       " outcome, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (officer_id, action, kiosk_id, fields.get("submission_id"), fields.get("document_id"),
                        fields.get("job_id"), fields.get("outcome"), self.clock()))
        log.info("central.officer_action", extra={"fields": {"officer": officer_id, "action": action}})


def _utc(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _error(code: c.ErrorCode, message: str) -> StoreError:
    return StoreError(code, message)


def records_iter(rows: list[dict]) -> Iterator[str]:
    """Lines for ``adm-central officers records``."""
    for r in rows:
        at = datetime.fromtimestamp(r["at"], UTC).isoformat(timespec="seconds")
        extra = " ".join(f"{k}={r[k]}" for k in ("kiosk_id", "submission_id", "document_id", "job_id", "outcome")
                         if r.get(k))
        yield f"{at} {r['officer_id']} {r['action']} {extra}".rstrip()
