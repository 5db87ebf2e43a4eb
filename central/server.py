"""The reference central service: FastAPI over uvicorn, HTTPS with a required client certificate.

``create_app(store)`` builds the application (``store=None`` is enough to produce the OpenAPI document);
``run_in_thread(data_dir)`` starts it in-process on a free loopback port for the demo and tests;
``serve(data_dir, host, port)`` runs it in the foreground for ``adm-central serve``.

Mutual TLS is the kiosk's identity: the handshake refuses any peer without a certificate from the CA in
``<data>/ca.pem``, and the application takes only a kiosk's certificate (clientAuth, not a CA); its common
name is the kiosk id, which a heartbeat's path and a print event's ``kiosk_id`` must repeat. Print events,
heartbeats, verification and queue check-in need nothing more, because a kiosk's outbox may deliver them
long after the resident's session ended. Request bodies are capped at ``MAX_BODY_BYTES``. Every answer
names the contract's version in ``X-ADM-Contract``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import uvicorn
from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from central import contract as c
from central.pki import NotAKiosk, kiosk_id_of
from central.store import Store, StoreError

log = logging.getLogger("central.server")

CA_FILE, SERVER_CERT, SERVER_KEY = "ca.pem", "server.pem", "server.key"
#: Seconds an idle kept-alive connection stays open (uvicorn's default, set here because clients depend on
#: it: the kiosk drops its idle connections sooner, by more than a slow link's round trip).
#: Seconds an idle kiosk connection stays open (nginx's default): longer than a kiosk keeps one
#: (``central.keepalive_s``, 30 s) plus the transfer of a large document on a village link, because this
#: clock starts when an answer is handed to the network. A province's few hundred idle TLS connections
#: cost little; a closed one costs a kiosk a new handshake (4 round trips) or a retried call.
KEEP_ALIVE_S = 75
_CHUNK = 64 * 1024
#: The largest request body accepted. A heartbeat or print event is well under 4 KiB; 34 MB were once stored.
MAX_BODY_BYTES = 64 * 1024
_ID = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class _BodyTooLarge(Exception):
    """Raised into the application when its body passes the limit (it answers 413 instead)."""


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 ``payload_too_large``.

    At once when Content-Length announces it (nothing of the body is read), and while a body without one
    (chunked) streams in: the application never receives more than ``limit`` bytes, and its own answer to
    the cut-off body is replaced by the 413. The connection is closed after it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > self.limit:  # h11 has already refused a malformed one
            await self._refuse(scope, send)
            return
        received = 0
        refused = started = False

        async def limited() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    raise _BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the application's answer to a body it could not read: the 413 replaces it
            started = True
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except _BodyTooLarge:
            pass
        if refused and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        log.warning("central.body_too_large", extra={"fields": {"method": scope["method"], "limit": self.limit}})
        body = c.ErrorBody(code=c.ErrorCode.PAYLOAD_TOO_LARGE, message=f"request body over {self.limit} bytes")
        data = body.model_dump_json(exclude_none=True).encode()
        await send({"type": "http.response.start", "status": c.ERROR_STATUS[c.ErrorCode.PAYLOAD_TOO_LARGE],
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": data})


class TlsProtocol(H11Protocol):
    """uvicorn's h11 protocol, adding the ASGI TLS extension (``scope["extensions"]["tls"]``) to each request.

    uvicorn (0.54) does not pass the peer certificate to the application; this fills ``client_cert_chain``
    with the client's certificate (PEM; Python before 3.13 can give the leaf only) as the ASGI TLS
    extension specifies, and leaves the fields ``ssl`` cannot fill as None. The server-side handshake, client
    certificate included, is complete when ``connection_made`` runs."""

    # Narrower than asyncio's BaseTransport, as in uvicorn's own H11Protocol (whose ignore this repeats).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        der = ssl_object.getpeercert(binary_form=True)
        tls = {"server_cert": None, "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
               "client_cert_name": None, "client_cert_error": None, "tls_version": None, "cipher_suite": None}
        app = self.app

        async def with_tls(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {}).setdefault("tls", tls)
            await app(scope, receive, send)

        self.app = with_tls


class KioskIdentity:
    """ASGI middleware: the client certificate must be a kiosk's; its id goes to ``request.state.kiosk_id``.

    Anything else (no TLS extension, a certificate without clientAuth, the CA's own) gets 403
    ``client_cert_refused`` on every path."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chain = scope.get("extensions", {}).get("tls", {}).get("client_cert_chain") or []
        try:
            if not chain:
                raise NotAKiosk("no client certificate")
            kiosk_id = kiosk_id_of(chain[0])
        except NotAKiosk as refused:
            log.warning("central.client_cert_refused", extra={"fields": {"reason": str(refused)}})
            response = _error_response(StoreError(c.ErrorCode.CLIENT_CERT_REFUSED, "not a kiosk certificate"))
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["kiosk_id"] = kiosk_id
        await self.app(scope, receive, send)


def _kiosk(request: Request) -> str:
    return request.state.kiosk_id


KioskDep = Annotated[str, Depends(_kiosk)]


def _same_kiosk(certificate: str, claimed: str, what: str) -> None:
    """Refuse a kiosk id in the request that is not the certificate's (logged without the claimed value)."""
    if claimed != certificate:
        log.warning("central.kiosk_mismatch", extra={"fields": {"certificate": certificate, "call": what}})
        raise StoreError(c.ErrorCode.KIOSK_MISMATCH, "the kiosk id is not the client certificate's")


def _errors(*codes: c.ErrorCode) -> dict[int | str, dict]:
    """OpenAPI ``responses`` for the error codes an endpoint may answer with."""
    return {c.ERROR_STATUS[code]: {"model": c.ErrorBody, "description": str(code)} for code in codes}


def _store(request: Request) -> Store:
    return request.app.state.store


_bearer = HTTPBearer(auto_error=False, description="Resident session token from POST /v1/sessions.")


def _token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None:
        raise StoreError(c.ErrorCode.SESSION_EXPIRED, "no session token")
    return credentials.credentials


StoreDep = Annotated[Store, Depends(_store)]
TokenDep = Annotated[str, Depends(_token)]


class _ContractHeader:
    """Pure ASGI middleware: every answer, errors included, says which contract it speaks (``X-ADM-Contract``)."""

    _HEADER = (c.H_CONTRACT.lower().encode("ascii"), str(c.CONTRACT_VERSION).encode("ascii"))

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_contract(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self._HEADER]
            await send(message)

        await self.app(scope, receive, send_with_contract)


def _error_response(error: StoreError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s is not None else None
    return JSONResponse(error.body().model_dump(mode="json", exclude_none=True),
                        status_code=c.ERROR_STATUS[error.code], headers=headers)


def _router() -> APIRouter:
    api = APIRouter(prefix=c.API_PREFIX)

    @api.post("/sessions", response_model=c.SessionResponse, tags=["resident"],
              responses=_errors(c.ErrorCode.INVALID_CREDENTIALS, c.ErrorCode.LOCKED, c.ErrorCode.INVALID_REQUEST))
    def login(body: c.LoginRequest, store: StoreDep) -> c.SessionResponse:
        """Open a resident session with NIK and PIN."""
        return store.login(body.nik, body.pin)

    @api.post("/sessions/qr", response_model=c.SessionResponse, tags=["resident"],
              responses=_errors(c.ErrorCode.INVALID_CREDENTIALS, c.ErrorCode.INVALID_REQUEST))
    def login_qr(body: c.QrLoginRequest, store: StoreDep) -> c.SessionResponse:
        """Open a resident session with the token from the WhatsApp QR."""
        return store.login_qr(body.token)

    @api.post("/sessions/finger/challenge", response_model=c.FingerChallenge, tags=["resident"])
    def finger_challenge(store: StoreDep, kiosk: KioskDep) -> c.FingerChallenge:
        """A nonce for one KTP-el + finger login by this kiosk (used once, expires in two minutes)."""
        return store.finger_challenge(kiosk)

    @api.post("/sessions/finger", response_model=c.SessionResponse, tags=["resident"],
              responses=_errors(c.ErrorCode.INVALID_CREDENTIALS, c.ErrorCode.LOCKED, c.ErrorCode.INVALID_REQUEST))
    def login_finger(body: c.FingerLoginRequest, store: StoreDep, kiosk: KioskDep) -> c.SessionResponse:
        """Open a resident session with the NIK read from the KTP-el and the proof of the finger.

        Answers as ``POST /v1/sessions`` does: 401 ``invalid_credentials`` with the fingers left, 423 ``locked``
        after too many wrong fingers (the PIN login stays open) or wrong PINs."""
        return store.login_finger(kiosk, body)

    @api.delete("/sessions/current", status_code=204, tags=["resident"],
                responses=_errors(c.ErrorCode.SESSION_EXPIRED))
    def logout(token: TokenDep, store: StoreDep) -> Response:
        """End the session: its token stops working at once."""
        store.logout(token)
        return Response(status_code=204)

    @api.post("/pin-requests", status_code=202, response_model=c.PinRequestAccepted, tags=["resident"],
              responses=_errors(c.ErrorCode.INVALID_REQUEST))
    def request_pin(body: c.PinRequest, store: StoreDep, background: BackgroundTasks) -> c.PinRequestAccepted:
        """Send a fresh PIN to the NIK's registered WhatsApp number; always 202, in the same time.

        The PIN is issued after the answer has been sent, so the time to answer cannot tell whether the
        NIK exists."""
        answered = threading.Event()
        store.request_pin(body.nik, after=answered)
        background.add_task(answered.set)  # runs once the response has gone
        return c.PinRequestAccepted()

    @api.get("/document-types", response_model=c.DocumentTypeList, tags=["kiosk"])
    def document_types(store: StoreDep) -> c.DocumentTypeList:
        """The document-type catalogue: code, titles (id, en), media and pages of every type the service issues."""
        return store.document_types()

    @api.get("/documents", response_model=c.DocumentList, tags=["resident"],
             responses=_errors(c.ErrorCode.SESSION_EXPIRED))
    def documents(token: TokenDep, store: StoreDep) -> c.DocumentList:
        """The session's documents and their print status."""
        return store.documents(token)

    @api.get(
        "/documents/{document_id}/content", tags=["resident"], response_class=Response,
        responses={
            200: {"description": "The bytes; signature in the X-Signature* headers.",
                  "content": {"application/pdf": {}, "application/zip": {}},
                  "headers": {
                      c.H_HOLDER: {"description": "holder_digest of the holder's NIK; covered by the signature. "
                                   "A kiosk refuses a document whose holder is not the session's resident.",
                                   "schema": {"type": "string", "pattern": c.HOLDER_PATTERN}},
                  }},
            **_errors(c.ErrorCode.SESSION_EXPIRED, c.ErrorCode.NOT_FOUND, c.ErrorCode.ALREADY_CLAIMED,
                      c.ErrorCode.JOB_ID_REQUIRED),
        },
    )
    def content(
        document_id: _ID, token: TokenDep, store: StoreDep,
        x_print_job_id: Annotated[str | None, Header(pattern=c.JOB_ID_PATTERN)] = None,
    ) -> Response:
        """The document's signed content, claimed for the print job in X-Print-Job-Id."""
        if not x_print_job_id:
            raise StoreError(c.ErrorCode.JOB_ID_REQUIRED, "X-Print-Job-Id is required")
        found = store.claim_content(token, document_id, x_print_job_id)
        data = found.content

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), _CHUNK):
                yield data[start : start + _CHUNK]

        headers = {
            "Content-Length": str(len(data)),
            c.H_DOCUMENT_ID: found.meta.document_id,
            c.H_DOCUMENT_TYPE: str(found.meta.type),
            c.H_DOCUMENT_VERSION: str(found.meta.version),
            c.H_CONTENT_SHA256: found.meta.sha256,
            c.H_ISSUED_AT: found.meta.issued_at,
            c.H_HOLDER: found.meta.holder,
            c.H_SIGNATURE: found.signature,
            c.H_SIGNATURE_KEY_ID: found.key_id,
            "Cache-Control": "no-store",
        }
        return StreamingResponse(chunks(), media_type=found.meta.content_type, headers=headers)

    @api.post("/documents/{document_id}/print-events", response_model=c.PrintEventAck, tags=["kiosk"],
              responses=_errors(c.ErrorCode.NOT_FOUND, c.ErrorCode.IDEMPOTENCY_CONFLICT, c.ErrorCode.KIOSK_MISMATCH))
    def print_event(
        document_id: _ID, body: c.PrintEvent, store: StoreDep, kiosk: KioskDep,
        idempotency_key: Annotated[str, Header(pattern=c.JOB_ID_PATTERN, description="The job id.")],
    ) -> c.PrintEventAck:
        """What happened to a print job; stored once per Idempotency-Key, a replay gets the same answer.

        ``kiosk_id`` must be the client certificate's."""
        _same_kiosk(kiosk, body.kiosk_id, "print_event")
        return store.print_event(document_id, idempotency_key, body)

    @api.post("/kiosks/{kiosk_id}/heartbeat", response_model=c.HeartbeatAck, tags=["kiosk"],
              responses=_errors(c.ErrorCode.INVALID_REQUEST, c.ErrorCode.KIOSK_MISMATCH))
    def heartbeat(kiosk_id: _ID, body: c.Heartbeat, store: StoreDep, kiosk: KioskDep) -> c.HeartbeatAck:
        """Device status, consumables and counters of one kiosk (the client certificate's), with the outcomes
        of the commands it ran; the answer carries the operator's signed commands still pending for it."""
        _same_kiosk(kiosk, kiosk_id, "heartbeat")
        return store.heartbeat(kiosk_id, body)

    @api.post("/kiosks/{kiosk_id}/ratings", response_model=c.RatingAck, tags=["kiosk"],
              responses=_errors(c.ErrorCode.INVALID_REQUEST, c.ErrorCode.IDEMPOTENCY_CONFLICT,
                                c.ErrorCode.KIOSK_MISMATCH))
    def rating(
        kiosk_id: _ID, body: c.SatisfactionRating, store: StoreDep, kiosk: KioskDep,
        idempotency_key: Annotated[str, Header(pattern=c.JOB_ID_PATTERN, description="The rating id.")],
    ) -> c.RatingAck:
        """An anonymous satisfaction rating (SKM) from one kiosk: the client certificate's."""
        _same_kiosk(kiosk, kiosk_id, "rating")
        return store.rating(kiosk_id, idempotency_key, body)

    @api.post("/kiosks/{kiosk_id}/help-calls", response_model=c.HelpCallAck, status_code=202, tags=["kiosk"],
              responses=_errors(c.ErrorCode.INVALID_REQUEST, c.ErrorCode.KIOSK_MISMATCH,
                                c.ErrorCode.TOO_MANY_REQUESTS))
    def help_call(
        kiosk_id: _ID, body: c.HelpCall, store: StoreDep, kiosk: KioskDep,
        idempotency_key: Annotated[str, Header(pattern=c.JOB_ID_PATTERN, description="The call id.")],
    ) -> c.HelpCallAck:
        """A resident pressed "Panggil petugas" at this kiosk (the client certificate's): the screen and the
        time, nothing of the resident. Once per call id; a kiosk calling again too soon gets 429 and
        ``retry_after_s``."""
        _same_kiosk(kiosk, kiosk_id, "help_call")
        if idempotency_key != body.call_id:
            raise StoreError(c.ErrorCode.INVALID_REQUEST, "Idempotency-Key must be the call id")
        ack = store.help_call(kiosk_id, body)
        log.info("central.help_call", extra={"fields": {"kiosk": kiosk_id, "screen": body.screen}})
        return ack

    @api.post("/kiosks/{kiosk_id}/diagnostics", response_model=c.DiagnosticsReceipt, status_code=202,
              tags=["kiosk"], responses=_errors(c.ErrorCode.INVALID_REQUEST, c.ErrorCode.KIOSK_MISMATCH,
                                                c.ErrorCode.PAYLOAD_TOO_LARGE))
    def diagnostics(kiosk_id: _ID, body: c.DiagnosticsUpload, store: StoreDep,
                    kiosk: KioskDep) -> c.DiagnosticsReceipt:
        """The technician's export bundle (no personal data), sent on an ``upload_diagnostics`` command."""
        _same_kiosk(kiosk, kiosk_id, "diagnostics")
        return store.diagnostics_upload(kiosk_id, body)

    @api.get("/verify/{code}", response_model=c.VerifyResult, tags=["public"])
    def verify(code: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{1,64}$")], store: StoreDep) -> c.VerifyResult:
        """Whether the document behind a printed QR code is active, superseded or unknown."""
        return store.verify_code(code)

    @api.post("/queue/check-in", response_model=c.QueueTicket, tags=["queue"],
              responses=_errors(c.ErrorCode.NOT_FOUND, c.ErrorCode.BOOKING_USED, c.ErrorCode.BOOKING_EARLY,
                                c.ErrorCode.BOOKING_EXPIRED, c.ErrorCode.WALK_IN_CLOSED, c.ErrorCode.INVALID_REQUEST))
    def check_in(
        body: c.QueueCheckIn, store: StoreDep,
        idempotency_key: Annotated[str | None, Header(pattern=c.JOB_ID_PATTERN,
                                                      description="Required with walk_in.")] = None,
    ) -> c.QueueTicket:
        """Check an online booking in (or take a walk-in number) and get a queue ticket."""
        if body.walk_in:
            if not idempotency_key:
                raise StoreError(c.ErrorCode.INVALID_REQUEST, "Idempotency-Key is required with walk_in")
            return store.walk_in(idempotency_key)
        assert body.booking_code is not None  # the model allows nothing else
        return store.check_in(body.booking_code)

    _officer_routes(api)
    return api


def _officer_routes(api: APIRouter) -> None:
    """The officer role: officer sessions, their requests, the resident session after the check."""

    @api.post("/officer-sessions", response_model=c.OfficerSessionResponse, tags=["officer"],
              responses=_errors(c.ErrorCode.INVALID_CREDENTIALS, c.ErrorCode.LOCKED, c.ErrorCode.INVALID_REQUEST))
    def officer_login(body: c.OfficerLoginRequest, store: StoreDep, kiosk: KioskDep) -> c.OfficerSessionResponse:
        """Open an officer session with the officer card's token and PIN; wrong PINs lock the card."""
        return store.officer_login(body.card_token, body.pin, kiosk)

    @api.delete("/officer-sessions/current", status_code=204, tags=["officer"],
                responses=_errors(c.ErrorCode.SESSION_EXPIRED))
    def officer_logout(token: TokenDep, store: StoreDep, kiosk: KioskDep) -> Response:
        """End the officer session."""
        store.officer_logout(token, kiosk)
        return Response(status_code=204)

    @api.get("/officer-requests", response_model=c.OfficerRequestList, tags=["officer"],
             responses=_errors(c.ErrorCode.SESSION_EXPIRED))
    def officer_requests(token: TokenDep, store: StoreDep) -> c.OfficerRequestList:
        """The requests the signed-in officer filed that are verified and not yet printed (initials only)."""
        return store.officer_requests(token)

    @api.post("/officer-requests/{code}/sessions", response_model=c.OfficerResidentSession, tags=["officer"],
              responses=_errors(c.ErrorCode.SESSION_EXPIRED, c.ErrorCode.NOT_FOUND, c.ErrorCode.NOT_YOUR_REQUEST,
                                c.ErrorCode.INVALID_CREDENTIALS, c.ErrorCode.LOCKED, c.ErrorCode.INVALID_REQUEST))
    def officer_resident_session(code: _ID, body: c.IdentityCheck, token: TokenDep, store: StoreDep,
                                 kiosk: KioskDep) -> c.OfficerResidentSession:
        """A resident session for one of the officer's requests, after the identity check (the NIK's last digits,
        checked here; wrong digits count like wrong PINs). Refused with not_your_request when another filed it."""
        return store.open_for_request(token, code, body, kiosk)


def create_app(store: Store | None) -> FastAPI:
    """The application; ``store=None`` serves nothing but describes everything (OpenAPI)."""
    app = FastAPI(
        title="ADM central service",
        version=str(c.CONTRACT_VERSION),
        description="Contract between Anjungan Dukcapil Mandiri kiosks and the central Disdukcapil service. "
        "HTTPS with mutual TLS; errors are {code, message}. Every answer carries the header "
        f"{c.H_CONTRACT}: {c.CONTRACT_VERSION}; a kiosk refuses answers without it. Each document's signature "
        f"covers its holder ({c.H_HOLDER}).",
        docs_url=None, redoc_url=None, openapi_url=None,  # the contract is published as central/openapi.json
    )
    app.state.store = store
    app.include_router(_router())
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(KioskIdentity)  # a peer that is no kiosk gets nothing else
    app.add_middleware(_ContractHeader)  # outermost: refusals of the two above name the contract too

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, error: StoreError) -> JSONResponse:
        return _error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # Name the fields only: pydantic would echo the input, which may be a NIK or a PIN.
        fields = sorted({".".join(str(p) for p in e.get("loc", ())) for e in error.errors()})
        return _error_response(StoreError(c.ErrorCode.INVALID_REQUEST, "invalid: " + ", ".join(fields)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = c.ErrorCode.NOT_FOUND if error.status_code == 404 else c.ErrorCode.INVALID_REQUEST
        return JSONResponse({"code": str(code), "message": str(error.detail)}, status_code=error.status_code)

    return app


def openapi_document() -> dict:
    """The OpenAPI document of the contract (what ``central/openapi.json`` holds)."""
    return create_app(None).openapi()


def _config(data_dir: Path, app: FastAPI, host: str, port: int,
            keep_alive_s: float = KEEP_ALIVE_S) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
        # uvicorn types the keep-alive as int, but a float works (it goes to call_later).
        timeout_keep_alive=keep_alive_s, http=TlsProtocol,  # type: ignore[arg-type]
        ssl_certfile=str(data_dir / SERVER_CERT), ssl_keyfile=str(data_dir / SERVER_KEY),
        ssl_ca_certs=str(data_dir / CA_FILE), ssl_cert_reqs=ssl.CERT_REQUIRED,
    )


@dataclass
class ServerHandle:
    """A running in-process server; ``stop()`` shuts it down and closes the store."""

    url: str
    port: int
    data_dir: Path
    store: Store
    _server: uvicorn.Server
    _thread: threading.Thread
    #: Seconds this server keeps an idle connection open (see :data:`KEEP_ALIVE_S`).
    keep_alive_s: float = KEEP_ALIVE_S

    def connection_sockets(self) -> list[socket.socket]:
        """The sockets of the client connections open now (what tests check their options on)."""
        return [p.transport.get_extra_info("socket") for p in list(self._server.server_state.connections)
                if p.transport is not None]

    def stop(self, timeout: float = 10.0, grace_s: float = 1.0) -> None:
        """Stop serving. Answers under way get ``grace_s`` to finish; then connections still open (a
        client's idle kept-alive one, whose TLS close waits for the client) are dropped, not waited for."""
        self._server.should_exit = True
        self._thread.join(min(grace_s, timeout))
        self._server.force_exit = True
        self._thread.join(max(0.0, timeout - grace_s))
        self.store.close()


def run_in_thread(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0,
                  startup_timeout: float = 15.0, keep_alive_s: float = KEEP_ALIVE_S) -> ServerHandle:
    """Start the server on a thread; port 0 picks a free port. Returns once it accepts connections.

    ``keep_alive_s``: how long an idle connection stays open; tests of the keep-alive race shorten it (and
    the client's pool expiry with it) so they need not wait the real 75 s.
    """
    data_dir = Path(data_dir)
    store = Store(data_dir)
    # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it every answer's second TLS record waited for the client's delayed ACK (40 ms a call on loopback).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    server = uvicorn.Server(_config(data_dir, create_app(store), host, bound, keep_alive_s))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="adm-central", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            store.close()
            raise RuntimeError("the central server did not start (see its log)")
        time.sleep(0.01)
    shown = f"[{host}]" if ":" in host else host
    log.info("central.started", extra={"fields": {"port": bound}})
    return ServerHandle(f"https://{shown}:{bound}", bound, data_dir, store, server, thread, keep_alive_s)


def serve(data_dir: Path | str, host: str = "127.0.0.1", port: int = 8443) -> None:
    """Run in the foreground until interrupted (``adm-central serve``)."""
    data_dir = Path(data_dir)
    store = Store(data_dir)
    try:
        uvicorn.Server(_config(data_dir, create_app(store), host, port)).run()
    finally:
        store.close()
