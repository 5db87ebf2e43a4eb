"""The central service contract (v2): request and response models, error codes, signature rules.

Imported by the reference server (``central.server``) and by the kiosk's client (``kiosk.central_client``);
it needs neither FastAPI nor Kivy. ``central/openapi.json`` is generated from the server built on these
models (``adm-central openapi --write``) and a test fails when the two drift.

Transport: HTTPS with mutual TLS; the kiosk's client certificate (from the operator's CA) authorises
kiosk-level calls (print events, heartbeats, queue check-in, verification); resident calls additionally
carry ``Authorization: Bearer <session token>``. Errors are :class:`ErrorBody` JSON.

Every answer carries ``X-ADM-Contract: 2``; a kiosk refuses an answer without it (an older server) instead of
guessing. v2 binds each signed document to its holder: :func:`holder_digest` of the holder's NIK is part of
the signed payload, so a kiosk can refuse a genuinely signed document of someone else. v2 also replaces the
closed list of document types with a catalogue the service describes (:class:`DocumentTypeInfo`): a kiosk
shows, routes and prints a type it has never heard of by its code, titles and media.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from central.vocabulary import (  # noqa: F401  (the contract's words; importers may take them from here)
    FINGER_NONCE_PATTERN,
    FINGER_PROOF_PATTERN,
    FINGER_TRIES,
    HOLDER_PATTERN,
    NIK_CHECK_PATTERN,
    NIK_PATTERN,
    OFFICER_CARD_TOKEN_PATTERN,
    OFFICER_ID_PATTERN,
    PIN_DIGITS,
    PIN_PATTERN,
    Media,
    holder_digest,
)

API_PREFIX = "/v1"
#: The contract's version; every answer of the service names it in ``X-ADM-Contract``.
CONTRACT_VERSION = 2
H_CONTRACT = "X-ADM-Contract"

#: Headers of ``GET /v1/documents/{id}/content``; together they carry the detached signature.
H_DOCUMENT_ID = "X-Document-Id"
H_DOCUMENT_TYPE = "X-Document-Type"
H_DOCUMENT_VERSION = "X-Document-Version"
H_CONTENT_SHA256 = "X-Content-SHA256"
H_ISSUED_AT = "X-Issued-At"
H_HOLDER = "X-Holder"  # holder_digest(NIK of the document's holder); signed
H_SIGNATURE = "X-Signature"  # base64 of the Ed25519 signature over signing_payload(...)
H_SIGNATURE_KEY_ID = "X-Signature-Key-Id"
#: Sent by the kiosk when it fetches content for printing; claims the document for that job.
H_PRINT_JOB_ID = "X-Print-Job-Id"
H_IDEMPOTENCY_KEY = "Idempotency-Key"

JOB_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
DOCUMENT_TYPE_PATTERN = r"^[a-z0-9_]{1,40}$"
MEDIA_PATTERN = r"^[a-z0-9_]{1,20}$"
#: A document type's code in the service's catalogue, e.g. 'kk', 'akta_perkawinan'.
DocumentTypeCode = Annotated[str, Field(pattern=DOCUMENT_TYPE_PATTERN, description="Code in the type catalogue.")]
#: A second print event for a job the kiosk first reported ``uncertain``: its technician's answer.
RESOLUTION_SUFFIX = ":resolution"

#: Bounds of the request models: every string, list and map of a request is bounded, so that what a kiosk
#: sends (and the service stores) stays small; the whole body is capped as well (the reference server: 64 KiB).
MAX_NAME_CHARS = 64
MAX_COUNTERS = 64
MAX_DEVICES = 32
MAX_REASONS = 16
#: A name in a map of counters, devices or consumables: 'pages', 'card_printer', 'card_printer.blanko'.
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS)]
#: A counter or level; 32-bit, which no kiosk's count comes near.
Count = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class ErrorCode(StrEnum):
    """Every ``code`` an error body may carry."""

    INVALID_CREDENTIALS = "invalid_credentials"  # 401: wrong NIK/PIN, expired PIN; never says which
    LOCKED = "locked"  # 423: too many wrong PINs for this NIK
    SESSION_EXPIRED = "session_expired"  # 401: token unknown, expired or revoked
    NOT_FOUND = "not_found"  # 404
    ALREADY_CLAIMED = "already_claimed"  # 409: another print job holds the document
    ALREADY_PRINTED = "already_printed"  # 409: printed (or uncertain) with this PIN
    JOB_ID_REQUIRED = "job_id_required"  # 400: content fetched without X-Print-Job-Id
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"  # 422: same key, different body
    INVALID_REQUEST = "invalid_request"  # 422: body or parameters do not match the contract
    BOOKING_USED = "booking_used"  # 409: the booking was already served at the counter
    BOOKING_EARLY = "booking_early"  # 409: check-in for this booking opens later (retry_after_s)
    BOOKING_EXPIRED = "booking_expired"  # 410: the booking's slot (and its grace time) is over
    WALK_IN_CLOSED = "walk_in_closed"  # 409: the office gives no numbers without a booking now
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413: the body is over the service's size limit
    CLIENT_CERT_REFUSED = "client_cert_refused"  # 403: the TLS client certificate is not a kiosk's
    KIOSK_MISMATCH = "kiosk_mismatch"  # 403: the kiosk id in the request is not the certificate's
    TOO_MANY_REQUESTS = "too_many_requests"  # 429: this kiosk called for help moments ago (retry_after_s)
    INTERNAL = "internal"  # 500
    # officer role
    NOT_YOUR_REQUEST = "not_your_request"  # 403: the request was not filed by this officer


#: The HTTP status each error code is sent with.
ERROR_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.LOCKED: 423,
    ErrorCode.SESSION_EXPIRED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.ALREADY_CLAIMED: 409,
    ErrorCode.ALREADY_PRINTED: 409,
    ErrorCode.JOB_ID_REQUIRED: 400,
    ErrorCode.IDEMPOTENCY_CONFLICT: 422,
    ErrorCode.INVALID_REQUEST: 422,
    ErrorCode.BOOKING_USED: 409,
    ErrorCode.BOOKING_EARLY: 409,
    ErrorCode.BOOKING_EXPIRED: 410,
    ErrorCode.WALK_IN_CLOSED: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.CLIENT_CERT_REFUSED: 403,
    ErrorCode.KIOSK_MISMATCH: 403,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.NOT_YOUR_REQUEST: 403,
}


# JSON parsing caches field names only: pydantic's default also keeps string values (tokens, job ids, NIKs
# on the server) in a process-wide cache of up to 16,384 strings, which grew with every session.
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", cache_strings="keys")


class _Reply(BaseModel):
    # Replies ignore unknown fields so that a newer server can add some without breaking older kiosks.
    model_config = ConfigDict(extra="ignore", cache_strings="keys")


class ErrorBody(_Reply):
    """Every error response."""

    code: ErrorCode = Field(..., description="Machine-readable reason.")
    message: str = Field(..., description="Short English text for logs; kiosks show their own words.")
    attempts_left: int | None = Field(None, description="With invalid_credentials: PINs left before a lockout.")
    retry_after_s: int | None = Field(
        None, description="With locked: seconds until the NIK may try again; with booking_early: until check-in opens;"
        " with too_many_requests: until this kiosk may call for help again."
    )




class Title(_Reply):
    """A display title in Bahasa Indonesia (always) and English."""

    id: str = Field(..., min_length=1, max_length=120, description="Bahasa Indonesia, e.g. 'Kartu Keluarga'.")
    en: str = Field(..., min_length=1, max_length=120, description="English, e.g. 'Family Card (KK)'.")


class DocumentTypeInfo(_Reply):
    """One type of the catalogue (``GET /v1/document-types``): what the kiosk needs to show and route it."""

    code: DocumentTypeCode
    title: Title
    media: str = Field(..., pattern=MEDIA_PATTERN, description="a4 (document printer) or card (card printer).")
    pages: int = Field(..., ge=1, description="A4 pages, or card sides.")


class DocumentTypeList(_Reply):
    """``GET /v1/document-types``: the whole catalogue."""

    types: list[DocumentTypeInfo]


class DocumentStatus(StrEnum):
    """A document as the current PIN sees it."""

    READY = "ready"  # may be fetched for printing
    CLAIMED = "claimed"  # a print job fetched it and has not reported yet
    PRINTED = "printed"  # printed with this PIN; never again with it
    UNCERTAIN = "uncertain"  # may have printed; blocked until an operator decides


class DocumentSummary(_Reply):
    """One document a resident may see on the kiosk (no personal data beyond the title)."""

    id: str = Field(..., description="Document id.")
    type: DocumentTypeCode
    title: Title = Field(..., description="The type's titles from the catalogue.")
    media: str = Field(..., pattern=MEDIA_PATTERN, description="a4 (document printer) or card (card printer).")
    pages: int = Field(..., ge=1, description="A4 pages, or card sides.")
    content_type: str = Field(..., description="application/pdf (A4) or application/zip (front.png + back.png).")
    size: int = Field(..., ge=0, description="Content length in bytes.")
    version: int = Field(..., ge=1)
    status: DocumentStatus
    issued_at: datetime | None = Field(None, description="When this version was issued (ISO 8601, UTC).")
    verify_url: str | None = Field(None, description="The URL in the QR printed on the document (verification).")


class LoginRequest(_Model):
    """``POST /v1/sessions``."""

    nik: str = Field(..., pattern=NIK_PATTERN, description="16-digit NIK.")
    pin: str = Field(..., pattern=PIN_PATTERN, description=f"{PIN_DIGITS}-digit PIN from WhatsApp.")


class QrLoginRequest(_Model):
    """``POST /v1/sessions/qr``: the token from the QR in the WhatsApp message."""

    token: str = Field(..., min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class FingerChallenge(_Reply):
    """``POST /v1/sessions/finger/challenge``: a nonce for one finger login by this kiosk; used once, short-lived."""

    nonce: str = Field(..., pattern=FINGER_NONCE_PATTERN, description="Bind the finger proof to this.")
    expires_at: datetime


class FingerMethod(StrEnum):
    """How the kiosk proves the finger. ``template-proof``: :func:`finger_proof` keyed with the template the
    kiosk's reader captured, which the service checks against the template it holds for the NIK (the
    reference service; the template itself never crosses the wire). A deployment whose security module
    matches on card adds its own method (a result signed by the module over the same nonce)."""

    TEMPLATE_PROOF = "template-proof"


class FingerLoginRequest(_Model):
    """``POST /v1/sessions/finger``: the NIK read from the KTP-el and the proof of the finger on the reader.

    The proof is bound to a nonce of :class:`FingerChallenge` issued to the same kiosk: a proof sent twice, or
    by another kiosk, or after the nonce expired, is refused. A wrong finger counts toward the NIK's finger
    lockout (:data:`FINGER_TRIES`); a NIK locked for wrong PINs is locked for fingers too."""

    nik: str = Field(..., pattern=NIK_PATTERN, description="16-digit NIK read from the card.")
    nonce: str = Field(..., pattern=FINGER_NONCE_PATTERN, description="From POST /v1/sessions/finger/challenge.")
    method: FingerMethod = FingerMethod.TEMPLATE_PROOF
    proof: str = Field(..., pattern=FINGER_PROOF_PATTERN, description="finger_proof(template, nonce, nik).")


_FINGER_DOMAIN = b"adm/finger/v1\0"


def finger_proof(template: bytes, nonce: str, nik: str) -> str:
    """HMAC-SHA256, keyed with a finger's template, over the challenge's nonce and the NIK (hex).

    Whoever holds the same template computes the same proof; the nonce makes each proof good once."""
    message = _FINGER_DOMAIN + nonce.encode("ascii") + b"\0" + nik.encode("ascii")
    return hmac.new(hashlib.sha256(template).digest(), message, hashlib.sha256).hexdigest()


class SessionResponse(_Reply):
    """A resident session: opaque bearer token, short-lived."""

    token: str = Field(..., description="Bearer token for resident calls; opaque.")
    expires_at: datetime
    masked_name: str = Field(..., description="Name as the kiosk may show it, e.g. 'B*** S*******'.")
    documents: list[DocumentSummary]


class PinRequest(_Model):
    """``POST /v1/pin-requests``: send a fresh PIN to the resident's registered WhatsApp number."""

    nik: str = Field(..., pattern=NIK_PATTERN)


class PinRequestAccepted(_Reply):
    """Always the answer (202), whether or not the NIK exists or has documents."""

    status: Literal["accepted"] = "accepted"


class DocumentList(_Reply):
    """``GET /v1/documents``."""

    documents: list[DocumentSummary]


class PrintOutcome(StrEnum):
    PRINTED = "printed"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class PrintEvent(_Model):
    """``POST /v1/documents/{id}/print-events``, with ``Idempotency-Key`` = job id."""

    job_id: str = Field(..., pattern=JOB_ID_PATTERN, description="The kiosk's print job id.")
    kiosk_id: str = Field(..., min_length=1, max_length=64)
    outcome: PrintOutcome
    cause: str | None = Field(
        None, max_length=64, description="Why it failed or is uncertain, e.g. 'media-jam', 'failed-encode'."
    )
    counters: dict[Name, Count] = Field(default_factory=dict, max_length=MAX_COUNTERS,
                                        description="E.g. pages, cards, spoiled cards.")
    occurred_at: datetime | None = Field(None, description="When the kiosk saw the outcome.")


class PrintEventAck(_Reply):
    """What the server made of a print event; a replay gets the same answer."""

    document_id: str
    job_id: str
    outcome: PrintOutcome
    applied: bool = Field(..., description="False when the job did not hold the document's claim.")
    document_status: DocumentStatus
    recorded_at: datetime


class SatisfactionRating(_Model):
    """``POST /v1/kiosks/{id}/ratings``: one resident's anonymous satisfaction rating (SKM) after printing, with
    ``Idempotency-Key`` = ``rating_id``. It carries no NIK, no session and no time finer than the month."""

    rating_id: str = Field(..., pattern=JOB_ID_PATTERN, description="A random id the kiosk made for this rating.")
    month: str = Field(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="The month rated, YYYY-MM.")
    score: int = Field(..., ge=1, le=4, description="1 tidak puas, 2 kurang puas, 3 puas, 4 sangat puas.")


class RatingAck(_Reply):
    """A rating stored (once per id; a replay gets the same answer)."""

    rating_id: str
    month: str
    score: int


class DeviceReport(_Model):
    state: str = Field(..., max_length=32, description="READY, BUSY, WARNING, NEEDS_ATTENTION, OFFLINE, ERROR.")
    reasons: list[Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]] = Field(
        default_factory=list, max_length=MAX_REASONS)


class Heartbeat(_Model):
    """``POST /v1/kiosks/{id}/heartbeat``."""

    devices: dict[Name, DeviceReport] = Field(default_factory=dict, max_length=MAX_DEVICES)
    consumables: dict[Name, Count] = Field(default_factory=dict, max_length=MAX_COUNTERS,
                                           description="E.g. blanko, ribbon, paper.")
    counters: dict[Name, Count] = Field(default_factory=dict, max_length=MAX_COUNTERS)
    software_version: str | None = Field(None, max_length=32)
    in_service: bool | None = Field(None, description="Whether residents can start now.")
    notice: str | None = Field(None, max_length=32,
                               description="Why not: out_of_service, closed, capped, unreachable, no_printer.")
    acks: list[CommandAck] = Field(default_factory=list, max_length=32, description="Outcomes of commands run.")


class CommandKind(StrEnum):
    """What the operator may tell a kiosk through the heartbeat's answer."""

    OUT_OF_SERVICE = "out_of_service"  # residents see ``message`` until IN_SERVICE
    IN_SERVICE = "in_service"
    OPENING_HOURS = "opening_hours"  # ``hours`` per weekday (closed screen outside them); none: always open
    DAILY_CAP = "daily_cap"  # ``documents_per_day`` and/or ``residents_per_day``; 0 or none lifts a cap
    UPLOAD_DIAGNOSTICS = "upload_diagnostics"  # the technician's export bundle (no personal data)
    NEW_CONFIG = "new_config"  # ``config_yaml``: checked, applied by a restart, rolled back without READY


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
COMMAND_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
#: The largest config a NEW_CONFIG command carries (a kiosk's config is about 3 KiB).
MAX_CONFIG_CHARS = 32 * 1024


class ResidentMessage(_Model):
    """What residents read on the kiosk, in Bahasa Indonesia first and English."""

    id: str = Field(..., min_length=1, max_length=300)
    en: str = Field(..., min_length=1, max_length=300)


class DayHours(_Model):
    """One weekday's opening hours in the kiosk's local time; ``closes`` after ``opens``."""

    opens: str = Field(..., pattern=HHMM_PATTERN)
    closes: str = Field(..., pattern=HHMM_PATTERN)

    @model_validator(mode="after")
    def _order(self) -> DayHours:
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        return self


class CommandArgs(_Model):
    """The arguments of a command; which are needed depends on its kind (:func:`check_command_args`)."""

    message: ResidentMessage | None = None
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], DayHours | None] | None = Field(
        None, description="Per weekday; a day left out or null is closed all day.")
    documents_per_day: int | None = Field(None, ge=0, le=100_000)
    residents_per_day: int | None = Field(None, ge=0, le=100_000)
    config_yaml: str | None = Field(None, max_length=MAX_CONFIG_CHARS)


_NEEDS = {CommandKind.OUT_OF_SERVICE: "message", CommandKind.NEW_CONFIG: "config_yaml"}


class Command(_Model):
    """One command for one kiosk. ``seq`` grows by one per kiosk: a kiosk runs each ``seq`` once, in order,
    and refuses one at or below the last it ran (a replay) or past ``expires_at`` (stale)."""

    id: str = Field(..., pattern=COMMAND_ID_PATTERN)
    kiosk_id: str = Field(..., min_length=1, max_length=MAX_NAME_CHARS)
    seq: int = Field(..., ge=1)
    kind: CommandKind
    issued_at: datetime
    expires_at: datetime
    args: CommandArgs = Field(default_factory=CommandArgs)

    @model_validator(mode="after")
    def _args_for_kind(self) -> Command:
        needed = _NEEDS.get(self.kind)
        if needed is not None and getattr(self.args, needed) is None:
            raise ValueError(f"a {self.kind.value} command needs args.{needed}")
        return self


def command_payload(command: Command) -> bytes:
    """The canonical bytes the operator's Ed25519 signature covers: a domain tag and sorted, compact JSON."""
    body = json.dumps(command.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return b"adm-kiosk-command:v1\n" + body.encode("ascii")


class SignedCommand(_Reply):
    """A command with the operator's detached signature (base64) and the id of the key that made it."""

    command: Command
    key_id: str = Field(..., max_length=MAX_NAME_CHARS)
    signature: str = Field(..., max_length=200)


class CommandOutcome(StrEnum):
    DONE = "done"  # carried out
    REFUSED = "refused"  # bad signature, unknown key, another kiosk's, replayed, stale, invalid
    FAILED = "failed"  # accepted, but it did not work (e.g. a new config that was rolled back)


class CommandAck(_Model):
    """A kiosk's answer to one command, sent in its next heartbeat."""

    id: str = Field(..., pattern=COMMAND_ID_PATTERN)
    seq: int = Field(..., ge=0)
    outcome: CommandOutcome
    detail: str | None = Field(None, max_length=200, description="Why, in a few words; never personal data.")


class HeartbeatAck(_Reply):
    received_at: datetime
    commands: list[SignedCommand] = Field(default_factory=list, description="Commands for this kiosk, by seq.")


#: Screen names a help call may carry: the kiosk's screen words, nothing a resident typed.
SCREEN_PATTERN = r"^[a-z][a-z_]{0,31}$"


class HelpCall(_Model):
    """``POST /v1/kiosks/{id}/help-calls`` with ``Idempotency-Key`` = ``call_id``: a resident pressed "Panggil
    petugas". The kiosk is the client certificate's; the call says on which screen and when, and nothing of
    the resident (no NIK, no name, no session)."""

    call_id: str = Field(..., pattern=JOB_ID_PATTERN, description="A random id the kiosk made for this call.")
    screen: str = Field(..., pattern=SCREEN_PATTERN, description="The screen shown, e.g. documents, printing.")
    called_at: datetime = Field(..., description="When the button was pressed (the kiosk's clock).")


class HelpCallAck(_Reply):
    """The call is recorded (once per id; a replay gets the same answer)."""

    call_id: str
    received_at: datetime


class DiagnosticsUpload(_Model):
    """``POST /v1/kiosks/{id}/diagnostics``: the technician's export bundle, on an UPLOAD_DIAGNOSTICS command."""

    command_id: str | None = Field(None, pattern=COMMAND_ID_PATTERN)
    files: dict[Name, Annotated[str, StringConstraints(max_length=48 * 1024)]] = Field(
        default_factory=dict, max_length=16, description="File name -> text (diagnostics, journal, audit report).")


class DiagnosticsReceipt(_Reply):
    received_at: datetime
    files: int


class VerifyStatus(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    UNKNOWN = "unknown"


class VerifyResult(_Reply):
    """``GET /v1/verify/{code}``: what the QR printed on a document says about it (no personal data)."""

    code: str
    status: VerifyStatus
    document_type: DocumentTypeCode | None = None
    title: Title | None = Field(None, description="The type's titles, so that any type reads well.")
    version: int | None = None
    issued_at: datetime | None = None


class QueueCheckIn(_Model):
    """``POST /v1/queue/check-in``: a booking code, or ``walk_in`` for a number without a booking.

    A walk-in is not naturally idempotent: send it with an ``Idempotency-Key`` so that a retry gets the same
    ticket instead of a second number."""

    booking_code: str | None = Field(None, min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    walk_in: bool = Field(False, description="A number without a booking, when the office allows it.")

    @model_validator(mode="after")
    def _one_of(self) -> QueueCheckIn:
        if (self.booking_code is None) == (not self.walk_in):
            raise ValueError("give either booking_code or walk_in=true")
        return self


class QueueTicket(_Reply):
    """A ticket for the office's online queue; checking in twice returns the same ticket."""

    booking_code: str | None = Field(None, description="The booking; none for a walk-in number.")
    ticket_number: str = Field(..., description="E.g. 'A-017'.")
    service: str = Field(..., description="Service booked, e.g. 'Perekaman KTP-el'.")
    slot: str = Field("", description="Booked time slot, e.g. '09:00-09:30'; empty for a walk-in.")
    counter: str | None = Field(None, description="Counter (loket) that serves this ticket, e.g. '2'.")
    follow_url: str | None = Field(None, description="Where the resident can follow the queue (the ticket's QR).")
    waiting_before: int = Field(..., ge=0, description="Tickets ahead in the queue.")
    checked_in_at: datetime




class ContentMetadata(_Reply):
    """What the document signature covers, besides the bytes' digest."""

    document_id: str
    type: DocumentTypeCode
    version: int
    content_type: str
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")
    issued_at: str = Field(..., description="ISO 8601, exactly as sent in X-Issued-At.")
    holder: str = Field(..., pattern=HOLDER_PATTERN, description="holder_digest of the holder's NIK (X-Holder).")


def signing_payload(meta: ContentMetadata) -> bytes:
    """The canonical bytes an Ed25519 document signature covers: sorted, compact JSON of the metadata."""
    data = {
        "document_id": meta.document_id,
        "type": str(meta.type),
        "version": meta.version,
        "content_type": meta.content_type,
        "sha256": meta.sha256,
        "issued_at": meta.issued_at,
        "holder": meta.holder,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


# --------------------------------------------------------------------------- officer role
# An OPSI desa/kecamatan officer prints for a resident without a phone: card + PIN open an officer session
# (shorter-lived than a resident's); the officer lists the requests they filed that are verified and not yet
# printed, and opens a resident-bound session for one after the identity check (the last digits of the NIK,
# checked by the service). That session is an ordinary resident session: the documents, their holder binding,
# print-once and print events are unchanged; the service records the officer's id with each of them.
class OfficerLoginRequest(_Model):
    """``POST /v1/officer-sessions``: the token from the officer's card QR and the officer's PIN."""

    card_token: str = Field(..., pattern=OFFICER_CARD_TOKEN_PATTERN, description="The secret on the officer card.")
    pin: str = Field(..., pattern=PIN_PATTERN, description=f"The officer's {PIN_DIGITS}-digit PIN.")


class OfficerSessionResponse(_Reply):
    """An officer session: bearer token for the officer calls, shorter-lived than a resident's."""

    token: str = Field(..., description="Bearer token for /v1/officer-requests; opaque.")
    expires_at: datetime
    officer_id: str = Field(..., pattern=OFFICER_ID_PATTERN, description="For the audit logs, e.g. 'OPSI-001'.")
    masked_name: str = Field(..., description="The officer's name as the kiosk may show it.")
    kecamatan: str = Field(..., description="The kecamatan the officer serves.")


class OfficerRequest(_Reply):
    """A request the officer filed, verified and not yet printed; names the resident by initials only."""

    code: str = Field(..., description="The request (submission) id, e.g. 'SUB-2026-0101'.")
    initials: str = Field(..., max_length=16, description="The resident's initials, e.g. 'U. S.'.")
    documents: list[Title] = Field(..., description="Titles of the documents still to print.")
    verified_at: datetime | None = None


class OfficerRequestList(_Reply):
    """``GET /v1/officer-requests``: the signed-in officer's requests."""

    requests: list[OfficerRequest]


class IdentityCheck(_Model):
    """``POST /v1/officer-requests/{code}/sessions``: the officer checked the resident's KTP/KK."""

    nik_last_digits: str = Field(..., pattern=NIK_CHECK_PATTERN, description="The NIK's last digits, as typed.")
    document_checked: bool = Field(..., description="The officer ticked that the KTP/KK was checked.")


class OfficerResidentSession(SessionResponse):
    """A resident session opened by an officer for one request; its documents are the resident's."""

    holder: str = Field(..., pattern=HOLDER_PATTERN, description="holder_digest of the resident's NIK: the kiosk "
                        "prints only documents signed for this holder.")
    request_code: str
    officer_id: str = Field(..., pattern=OFFICER_ID_PATTERN)
