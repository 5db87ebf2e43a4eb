"""The kiosk's client of the central service (contract: ``central.contract``).

httpx over mutual TLS: the kiosk's client certificate, and only the operator's CA trusted. Connect and
read timeouts come from config; idempotent calls (GETs, POSTs with an Idempotency-Key, PIN requests) are
retried with exponential backoff and jitter, nothing else is (a login attempt must never count twice).
Every document's digest and Ed25519 signature are checked against the configured keys before its bytes
are returned, and so is its holder: a document not bound to the session's resident never leaves this module.
Every answer must name contract version 2 (``X-ADM-Contract``); an older server's answer is a
:class:`ContractMismatch`, never a guess.

Every failure is a :class:`CentralError` subclass the UI can put into words. Logs carry the call, status
and timing, never a NIK, PIN, token, name or document bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import BaseModel, ValidationError

from central import contract as c
from kiosk.config import CentralSection
from kiosk.logs import event
from printjobs.backoff import Backoff

log = logging.getLogger("kiosk.central_client")
M = TypeVar("M", bound=BaseModel)

#: Largest document accepted; a bigger one is a protocol error, not a reason to fill the memory.
MAX_CONTENT_BYTES = 32 * 1024 * 1024
_RETRY_STATUS = frozenset({502, 503, 504})


# --------------------------------------------------------------------------- errors
class CentralError(Exception):
    """Anything that went wrong talking to the central service."""


class InvalidCredentials(CentralError):
    """Wrong NIK/PIN (the service never says which); ``attempts_left`` before a lockout, if known."""

    def __init__(self, attempts_left: int | None):
        super().__init__(f"invalid credentials, attempts left: {attempts_left}")
        self.attempts_left = attempts_left


class Locked(CentralError):
    """Too many wrong PINs for this NIK; may try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int | None):
        super().__init__(f"locked, retry after {retry_after} s")
        self.retry_after = retry_after


class SessionExpired(CentralError):
    """The session token is unknown, expired or was revoked."""


class NotFound(CentralError):
    """No such document, booking or resource."""


class AlreadyClaimed(CentralError):
    """Another print job holds this document."""


class AlreadyPrinted(CentralError):
    """The document was printed (or may have been) with this PIN."""


class IdempotencyConflict(CentralError):
    """The Idempotency-Key was already used with a different body: retrying will never help."""


class Rejected(CentralError):
    """The service refused the request as outside the contract (400/422): retrying will never help."""


class IdentityRefused(CentralError):
    """The service does not take this kiosk as who it says it is (403): ``code`` is ``kiosk_mismatch`` (the
    kiosk id is not its certificate's) or ``client_cert_refused`` (not a kiosk's certificate). Every call
    will fail until a person fixes the config or the certificate; ``adm-kiosk check-config`` names which."""

    def __init__(self, code: str):
        super().__init__(f"identity refused: {code}")
        self.code = code


class QueueRefused(CentralError):
    """A queue check-in was refused: ``code`` is booking_used, booking_early, booking_expired or walk_in_closed;
    ``retry_after`` (seconds until check-in opens) comes with booking_early."""

    def __init__(self, code: str, retry_after: int | None = None):
        super().__init__(f"queue check-in refused: {code}")
        self.code = code
        self.retry_after = retry_after


class TooManyRequests(CentralError):
    """The service refused a call that came too soon after the last (a help call); ``retry_after`` in seconds."""

    def __init__(self, retry_after: int | None = None):
        super().__init__("too many requests")
        self.retry_after = retry_after


class Unreachable(CentralError):
    """No connection: network down, DNS, refused, TLS handshake refused."""


class Timeout(CentralError):
    """The service did not answer within the configured time."""


class BadSignature(CentralError):
    """A document's digest or signature did not check out; its bytes are discarded."""


class ProtocolError(CentralError):
    """An answer outside the contract: HTML error page, malformed JSON, wrong content type, 5xx."""


class ContractMismatch(ProtocolError):
    """The service does not speak this kiosk's contract version (an older server: no ``X-ADM-Contract: 2``,
    or a document without its holder). Nothing it sends is used until it is upgraded."""


class NotYourDocument(CentralError):
    """A document whose signed holder is not the resident of this session; its bytes are never read."""


class NotYourRequest(CentralError):
    """An officer asked for a request another officer (or the resident) filed: refused by the service."""


_CODE_ERRORS: dict[str, type[CentralError]] = {
    c.ErrorCode.SESSION_EXPIRED: SessionExpired,
    c.ErrorCode.NOT_FOUND: NotFound,
    c.ErrorCode.ALREADY_CLAIMED: AlreadyClaimed,
    c.ErrorCode.ALREADY_PRINTED: AlreadyPrinted,
    c.ErrorCode.IDEMPOTENCY_CONFLICT: IdempotencyConflict,
    c.ErrorCode.INVALID_REQUEST: Rejected,
    c.ErrorCode.JOB_ID_REQUIRED: Rejected,
    c.ErrorCode.NOT_YOUR_REQUEST: NotYourRequest,
}


_QUEUE_CODES = frozenset({c.ErrorCode.BOOKING_USED, c.ErrorCode.BOOKING_EARLY, c.ErrorCode.BOOKING_EXPIRED,
                          c.ErrorCode.WALK_IN_CLOSED})


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Session:
    """A resident's session: token and masked name (plus the document list of the login answer).

    ``holder`` is whose documents this session may print (:func:`central.contract.holder_digest`): from the NIK
    the resident typed, or from the WhatsApp QR; never from the server's answer. ``repr`` shows neither."""

    token: str = field(repr=False)
    masked_name: str
    expires_at: datetime
    documents: tuple[c.DocumentSummary, ...] = ()
    holder: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"Session(masked_name={self.masked_name!r}, expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True)
class OfficerSession:
    """An officer's session: opens resident sessions for the officer's own requests; ``repr`` hides
    the token. The officer's id goes into the kiosk's audit log."""

    token: str = field(repr=False)
    officer_id: str
    masked_name: str
    kecamatan: str
    expires_at: datetime


@dataclass(frozen=True)
class VerifiedDocument:
    """A document whose digest and signature were checked; ``repr`` never shows the bytes."""

    meta: c.ContentMetadata
    key_id: str
    content: bytes = field(repr=False)

    @property
    def document_id(self) -> str:
        return self.meta.document_id

    @property
    def content_type(self) -> str:
        return self.meta.content_type


ProgressCallback = Callable[[int, int | None], None]


def load_signing_keys(section: CentralSection) -> dict[str, ed25519.Ed25519PublicKey]:
    """The trusted document-signing keys by key id; a key that is not Ed25519 is a config error."""
    keys = {}
    for entry in section.signing_keys:
        key = serialization.load_pem_public_key(entry.public_key.read_bytes())
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise ValueError(f"signing key {entry.key_id} is not an Ed25519 public key")
        keys[entry.key_id] = key
    return keys


# --------------------------------------------------------------------------- client
class CentralClient:
    """Talks to the central service on behalf of one kiosk. Thread-safe for sequential use per call."""

    def __init__(self, section: CentralSection, kiosk_id: str, *, backoff: Backoff | None = None,
                 keepalive_expiry_s: float | None = None):
        """``backoff``: the wait between retries, by default the config's ``central.retry_backoff``.
        ``keepalive_expiry_s``: how long an idle connection is kept, by default the config's
        ``central.keepalive_s`` (see :data:`kiosk.config.DEFAULT_KEEPALIVE_S`)."""
        self.section = section
        self.kiosk_id = kiosk_id
        self.backoff = backoff or section.retry_backoff.policy()
        self._keys = load_signing_keys(section)
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(section.ca_file))
        context.load_cert_chain(str(section.client_cert), str(section.client_key))
        self._http = httpx.Client(
            base_url=section.url,
            verify=context,
            timeout=httpx.Timeout(section.read_timeout_s, connect=section.connect_timeout_s),
            headers={"User-Agent": f"adm-kiosk ({kiosk_id})", "Accept": "application/json"},
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment must not sit between the kiosk and its CA
            # Drop idle connections well before the server does, so a request never leaves on a connection
            # whose close is still on its way back over a slow link.
            limits=httpx.Limits(keepalive_expiry=section.keepalive_s if keepalive_expiry_s is None
                                else keepalive_expiry_s),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ resident calls
    def login(self, nik: str, pin: str) -> Session:
        """Open a session; InvalidCredentials(attempts_left) or Locked(retry_after) when refused."""
        body = self._call("POST", "/v1/sessions", json={"nik": nik, "pin": pin}, model=c.SessionResponse)
        return self._session(body, c.holder_digest(nik))

    def login_qr(self, token: str, holder: str) -> Session:
        """Open a session with the token and the holder digest from the WhatsApp QR code."""
        if not _HOLDER.match(holder):
            raise ValueError("a login QR names its holder (32 hex digits)")
        body = self._call("POST", "/v1/sessions/qr", json={"token": token}, model=c.SessionResponse)
        return self._session(body, holder)

    def login_finger(self, nik: str, template: bytes) -> Session:
        """Open a session with the NIK read from the KTP-el and the template the finger reader captured: asks for
        a challenge, then sends :func:`~central.contract.finger_proof` over it (never the template).
        InvalidCredentials(fingers left) or Locked(retry_after) when refused, as :meth:`login`."""
        challenge = self._call("POST", "/v1/sessions/finger/challenge", model=c.FingerChallenge, retry=True)
        body = self._call("POST", "/v1/sessions/finger", model=c.SessionResponse, json={
            "nik": nik, "nonce": challenge.nonce, "method": str(c.FingerMethod.TEMPLATE_PROOF),
            "proof": c.finger_proof(template, challenge.nonce, nik)})
        return self._session(body, c.holder_digest(nik))

    def request_pin(self, nik: str) -> None:
        """Ask for a fresh PIN on the resident's WhatsApp; the answer never says whether the NIK exists.

        Safe to send again: within its cooldown (5 minutes) the service sends no second PIN.
        """
        self._call("POST", "/v1/pin-requests", json={"nik": nik}, model=c.PinRequestAccepted, expect=(202,),
                   retry=True)

    def document_types(self) -> list[c.DocumentTypeInfo]:
        """The service's document-type catalogue (code, titles, media, pages)."""
        return self._call("GET", "/v1/document-types", model=c.DocumentTypeList).types

    def documents(self, session: Session) -> list[c.DocumentSummary]:
        """The session's documents with their print status."""
        body = self._call("GET", "/v1/documents", session=session, model=c.DocumentList)
        return body.documents

    def logout(self, session: Session) -> None:
        """Revoke the session's token; an already expired session counts as logged out.

        Retried like a GET: revoking twice is harmless (the second finds the session gone), while a logout
        lost on a bad link would leave the token valid until it expires."""
        try:
            self._call("DELETE", "/v1/sessions/current", session=session, expect=(204,), retry=True)
        except SessionExpired:
            pass

    def fetch_document(self, session: Session, document_id: str, job_id: str,
                       progress: ProgressCallback | None = None) -> VerifiedDocument:
        """Download a document for print job ``job_id`` (claiming it) and check digest and signature."""
        path = f"/v1/documents/{document_id}/content"
        headers = {c.H_PRINT_JOB_ID: job_id, "Accept": "application/pdf, application/zip, application/json"}

        def attempt() -> VerifiedDocument:
            with self._http.stream("GET", path, headers={**headers, **self._auth(session)}) as response:
                if response.status_code != 200:
                    response.read()
                    self._raise_for(response)
                _check_contract(response)
                meta, key_id, signature = self._content_headers(response, document_id)
                if not session.holder or meta.holder != session.holder:
                    # Someone else's document (or a tampered header): refused before a byte of it is read.
                    raise NotYourDocument("the document is not bound to this session's resident")
                total = _int_or_none(response.headers.get("Content-Length"))
                if total is not None and total > MAX_CONTENT_BYTES:
                    raise ProtocolError(f"document of {total} bytes is over the limit")
                chunks, received = [], 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > MAX_CONTENT_BYTES:
                        raise ProtocolError("document over the size limit")
                    chunks.append(chunk)
                    if progress is not None:
                        progress(received, total)
            content = b"".join(chunks)
            self._check_signature(meta, key_id, signature, content)
            return VerifiedDocument(meta=meta, key_id=key_id, content=content)

        try:
            document = self._with_retries("GET", path, attempt)
        except NotYourDocument:
            event(log, "central.document_refused", logging.ERROR, document=document_id, job=job_id,
                  reason="wrong-holder")
            raise
        event(log, "central.document_verified", document=document_id, job=job_id, bytes=len(document.content),
              key_id=document.key_id)
        return document

    # ------------------------------------------------------------------ officer calls
    def officer_login(self, card: str, pin: str) -> OfficerSession:
        """Open an officer session with the card's token and the PIN; never retried (a wrong PIN counts)."""
        body = self._call("POST", "/v1/officer-sessions", json={"card_token": card, "pin": pin},
                          model=c.OfficerSessionResponse)
        return OfficerSession(token=body.token, officer_id=body.officer_id, masked_name=body.masked_name,
                              kecamatan=body.kecamatan, expires_at=body.expires_at)

    def officer_logout(self, officer: OfficerSession) -> None:
        """End the officer session; one already over counts as ended."""
        try:
            self._call("DELETE", "/v1/officer-sessions/current", session=officer, expect=(204,), retry=True)
        except SessionExpired:
            pass

    def officer_requests(self, officer: OfficerSession) -> list[c.OfficerRequest]:
        """The officer's verified, unprinted requests (residents by initials)."""
        return self._call("GET", "/v1/officer-requests", session=officer, model=c.OfficerRequestList).requests

    def open_for_request(self, officer: OfficerSession, code: str, nik_last_digits: str,
                         document_checked: bool) -> Session:
        """The resident session for one of the officer's requests after the identity check.

        Its holder is the one the service names for the request (the kiosk never sees the NIK in full): the
        documents are still checked against it, so a document of anyone else is refused as usual."""
        body = self._call("POST", f"/v1/officer-requests/{code}/sessions", session=officer,
                          json={"nik_last_digits": nik_last_digits, "document_checked": document_checked},
                          model=c.OfficerResidentSession)
        return self._session(body, body.holder)

    # ------------------------------------------------------------------ kiosk calls (client certificate only)
    def report_print_event(self, document_id: str, job_id: str, outcome: c.PrintOutcome | str,
                           cause: str | None = None, counters: dict[str, int] | None = None,
                           occurred_at: datetime | None = None, key: str | None = None) -> c.PrintEventAck:
        """Report what happened to a print job; safe to repeat (Idempotency-Key = ``key``, by default the job
        id; ``<job id>:resolution`` for a technician's answer to an uncertain job)."""
        try:
            body = c.PrintEvent(job_id=job_id, kiosk_id=self.kiosk_id, outcome=outcome, cause=cause,
                                counters=counters or {}, occurred_at=occurred_at)
        except ValidationError as exc:  # the service would refuse it too: never worth a retry
            raise Rejected(f"print event outside the contract ({exc.error_count()} errors)") from None
        return self._call("POST", f"/v1/documents/{document_id}/print-events",
                          json=body.model_dump(mode="json"), model=c.PrintEventAck,
                          headers={c.H_IDEMPOTENCY_KEY: key or job_id})

    def report_rating(self, rating_id: str, month: str, score: int) -> c.RatingAck:
        """Send one anonymous satisfaction rating (SKM); safe to repeat (Idempotency-Key = ``rating_id``)."""
        try:
            body = c.SatisfactionRating(rating_id=rating_id, month=month, score=score)
        except ValidationError as exc:
            raise Rejected(f"rating outside the contract ({exc.error_count()} errors)") from None
        return self._call("POST", f"/v1/kiosks/{self.kiosk_id}/ratings", json=body.model_dump(mode="json"),
                          model=c.RatingAck, headers={c.H_IDEMPOTENCY_KEY: rating_id})

    def heartbeat(self, status: c.Heartbeat) -> c.HeartbeatAck:
        """Send the kiosk's device status, consumables and counters."""
        return self._call("POST", f"/v1/kiosks/{self.kiosk_id}/heartbeat", json=status.model_dump(mode="json"),
                          model=c.HeartbeatAck, retry=True)

    def upload_diagnostics(self, upload: c.DiagnosticsUpload) -> c.DiagnosticsReceipt:
        """The technician's export bundle (no personal data), on the operator's command."""
        return self._call("POST", f"/v1/kiosks/{self.kiosk_id}/diagnostics", json=upload.model_dump(mode="json"),
                          model=c.DiagnosticsReceipt, expect=(202,), retry=True)

    def call_help(self, call_id: str, screen: str, called_at: datetime) -> c.HelpCallAck:
        """A resident called for help: the kiosk (the certificate), the screen and the time, nothing personal.
        Safe to repeat (Idempotency-Key = ``call_id``); TooManyRequests when this kiosk called moments ago."""
        try:
            body = c.HelpCall(call_id=call_id, screen=screen, called_at=called_at)
        except ValidationError as exc:
            raise Rejected(f"help call outside the contract ({exc.error_count()} errors)") from None
        return self._call("POST", f"/v1/kiosks/{self.kiosk_id}/help-calls", json=body.model_dump(mode="json"),
                          model=c.HelpCallAck, expect=(202,), headers={c.H_IDEMPOTENCY_KEY: call_id})

    def verify_code(self, code: str) -> c.VerifyResult:
        """Whether the document behind a printed QR code is active, superseded or unknown."""
        return self._call("GET", f"/v1/verify/{code}", model=c.VerifyResult)

    def queue_check_in(self, booking_code: str) -> c.QueueTicket:
        """Check an online queue booking in; the same booking always gets the same ticket."""
        return self._call("POST", "/v1/queue/check-in", json={"booking_code": booking_code}, model=c.QueueTicket,
                          retry=True)

    def queue_walk_in(self, request_id: str) -> c.QueueTicket:
        """A queue number without a booking; ``request_id`` (Idempotency-Key) makes a retry return the same
        ticket. QueueRefused('walk_in_closed') when the office gives none now."""
        return self._call("POST", "/v1/queue/check-in", json={"walk_in": True}, model=c.QueueTicket,
                          headers={c.H_IDEMPOTENCY_KEY: request_id})

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _session(body: c.SessionResponse, holder: str) -> Session:
        return Session(token=body.token, masked_name=body.masked_name, expires_at=body.expires_at,
                       documents=tuple(body.documents), holder=holder)

    @staticmethod
    def _auth(session: Session | OfficerSession | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {session.token}"} if session is not None else {}

    def _call(self, method: str, path: str, *, model: type[M] | None = None, json: Any = None,
              session: Session | OfficerSession | None = None, headers: dict[str, str] | None = None,
              expect: tuple[int, ...] = (200,), retry: bool | None = None) -> Any:
        """One JSON call. Retried only when idempotent: GET, or a POST that carries an Idempotency-Key."""
        all_headers = {**(headers or {}), **self._auth(session)}
        idempotent = (method == "GET" or c.H_IDEMPOTENCY_KEY in all_headers) if retry is None else retry

        def attempt() -> Any:
            response = self._http.request(method, path, json=json, headers=all_headers)
            if response.status_code not in expect:
                self._raise_for(response)
            _check_contract(response)
            if model is None:
                return None
            return _parse(response, model)

        if idempotent:
            return self._with_retries(method, path, attempt)
        try:
            return self._once(method, path, attempt)
        except _Retryable as error:
            raise error.as_protocol_error() from None

    def _once(self, method: str, path: str, attempt: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            result = attempt()
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            error = _transport_error(exc)
            event(log, "central.call_failed", logging.WARNING, method=method, path=_template(path),
                  error=type(error).__name__, ms=round((time.monotonic() - started) * 1000))
            raise error from None
        event(log, "central.call", logging.DEBUG, method=method, path=_template(path),
              ms=round((time.monotonic() - started) * 1000))
        return result

    def _with_retries(self, method: str, path: str, attempt: Callable[[], Any]) -> Any:
        retries = self.section.retries
        for number in range(retries + 1):
            try:
                return self._once(method, path, attempt)
            except (Unreachable, Timeout, _Retryable) as error:
                if number == retries:
                    raise (error.as_protocol_error() if isinstance(error, _Retryable) else error) from None
                delay = self.backoff.delay(number + 1)
                event(log, "central.retry", logging.INFO, method=method, path=_template(path), attempt=number + 1,
                      delay_ms=round(delay * 1000))
                time.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in _RETRY_STATUS:
            raise _Retryable(f"HTTP {status}")
        if status >= 500:
            raise ProtocolError(f"server error HTTP {status}")
        _check_contract(response)
        body = _parse(response, c.ErrorBody)
        if body.code == c.ErrorCode.INVALID_CREDENTIALS:
            raise InvalidCredentials(body.attempts_left)
        if body.code == c.ErrorCode.LOCKED:
            raise Locked(body.retry_after_s)
        if body.code == c.ErrorCode.TOO_MANY_REQUESTS:
            raise TooManyRequests(body.retry_after_s)
        if body.code in _QUEUE_CODES:
            raise QueueRefused(str(body.code), body.retry_after_s)
        if body.code in (c.ErrorCode.KIOSK_MISMATCH, c.ErrorCode.CLIENT_CERT_REFUSED):
            raise IdentityRefused(str(body.code))
        error = _CODE_ERRORS.get(body.code)
        if error is not None:
            raise error(body.message)
        raise ProtocolError(f"HTTP {status}: {body.code}")

    def _content_headers(self, response: httpx.Response, document_id: str) -> tuple[c.ContentMetadata, str, bytes]:
        h = response.headers
        try:
            meta = c.ContentMetadata(
                document_id=h[c.H_DOCUMENT_ID], type=h[c.H_DOCUMENT_TYPE], version=int(h[c.H_DOCUMENT_VERSION]),
                content_type=h["Content-Type"].split(";")[0].strip(), sha256=h[c.H_CONTENT_SHA256],
                issued_at=h[c.H_ISSUED_AT], holder=h[c.H_HOLDER],
            )
            signature = base64.b64decode(h[c.H_SIGNATURE], validate=True)
            key_id = h[c.H_SIGNATURE_KEY_ID]
        except KeyError as exc:
            if exc.args == (c.H_HOLDER,):  # a v1 document: signed without its holder
                raise ContractMismatch("the document names no holder (contract v1)") from None
            raise ProtocolError(f"document headers outside the contract: {type(exc).__name__}") from None
        except (ValueError, ValidationError, binascii.Error) as exc:
            raise ProtocolError(f"document headers outside the contract: {type(exc).__name__}") from None
        if meta.document_id != document_id:
            raise BadSignature("the server sent another document than the one asked for")
        if meta.content_type not in ("application/pdf", "application/zip"):
            raise ProtocolError(f"unexpected document content type {meta.content_type}")
        return meta, key_id, signature

    def _check_signature(self, meta: c.ContentMetadata, key_id: str, signature: bytes, content: bytes) -> None:
        key = self._keys.get(key_id)
        if key is None:
            raise BadSignature(f"signed with an untrusted key id {key_id!r}")
        if hashlib.sha256(content).hexdigest() != meta.sha256:
            raise BadSignature("content digest does not match")
        try:
            key.verify(signature, c.signing_payload(meta))
        except InvalidSignature:
            raise BadSignature("signature does not verify") from None


class _Retryable(CentralError):
    """A 502/503/504 or a connection that broke mid-answer: worth another try for an idempotent call;
    a ProtocolError once the retries are spent (and at once for the others)."""

    def as_protocol_error(self) -> ProtocolError:
        return ProtocolError(str(self))


_HOLDER = re.compile(c.HOLDER_PATTERN)
_CONTRACT = str(c.CONTRACT_VERSION)


def _check_contract(response: httpx.Response) -> None:
    """An answer from a service of another contract version (or from something that is no such service) is
    refused as a whole: an older server would send documents that are not bound to their holder."""
    seen = response.headers.get(c.H_CONTRACT)
    if seen is None and response.headers.get("Content-Type", "").lower().startswith("text/html"):
        raise ProtocolError(f"HTTP {response.status_code} answered with an HTML page")  # a proxy or portal
    if seen != _CONTRACT:
        raise ContractMismatch(f"the service speaks contract {(seen or 'v1')[:8]!r}, this kiosk needs {_CONTRACT}")


def _parse(response: httpx.Response, model: type[M]) -> M:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ProtocolError(f"HTTP {response.status_code} answered with {content_type or 'no content type'}")
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        # Never str(exc): pydantic quotes the input, which may hold personal data.
        raise ProtocolError(f"HTTP {response.status_code}: body outside the contract ({exc.error_count()} errors)") \
            from None


def _transport_error(exc: httpx.HTTPError) -> CentralError:
    if isinstance(exc, httpx.TimeoutException):
        return Timeout("the central service did not answer in time")
    if isinstance(exc, httpx.RemoteProtocolError):
        # No complete answer came back: an idempotent call may go again, the others report it.
        return _Retryable("the connection broke before a whole answer")
    return Unreachable(type(exc).__name__)


def _template(path: str) -> str:
    """The path with ids and codes replaced, for logs."""
    parts = path.split("/")
    for i in range(1, len(parts)):
        if parts[i - 1] in ("documents", "verify", "kiosks"):
            parts[i] = "{id}"
    return "/".join(parts)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
