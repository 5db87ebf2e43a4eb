"""Contract v2 at the kiosk's client: documents bound to their holder, and an older (v1) service refused.

The v1 service is the reference server behind a small TLS proxy of our own (same CA) that strips what v1 did
not send: ``X-ADM-Contract`` and ``X-Holder``.
"""

from __future__ import annotations

import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from central import contract as c
from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk import central_client as kc
from kiosk.effects import card_parts, fetch_cause
from kiosk.flow import LoginProblem
from kiosk.i18n import Translator
from kiosk.login_problems import login_failure
from printjobs.errors import FetchFailed
from printjobs.journal import JobState
from printjobs.pipeline import FetchedDocument, PrintPipeline
from printjobs.store import PrintStore
from tests.factories import simulated_printers

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class _V1Handler(BaseHTTPRequestHandler):
    server: V1Service

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
        answer = self.server.upstream.request(self.command, self.path, content=body, headers=headers)
        data = answer.content
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in _HOP and key.lower() not in self.server.strip:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _forward


class V1Service(ThreadingHTTPServer):
    """The reference server as a v1 service would answer: the same bodies, without the v2 headers."""

    daemon_threads = True

    def __init__(self, central: RunningCentral):
        super().__init__(("127.0.0.1", 0), _V1Handler)
        self.strip = {c.H_CONTRACT.lower(), c.H_HOLDER.lower()}
        data = central.data_dir
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(data / "ca.pem"))
        context.load_cert_chain(str(data / "server.pem"), str(data / "server.key"))
        context.verify_mode = ssl.CERT_REQUIRED
        self.socket = context.wrap_socket(self.socket, server_side=True)
        upstream = ssl.create_default_context(cafile=str(data / "ca.pem"))
        upstream.load_cert_chain(str(data / "kiosk.pem"), str(data / "kiosk.key"))
        self.upstream = httpx.Client(base_url=central.url, verify=upstream, trust_env=False)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def v1(fresh_central: RunningCentral) -> Iterator[V1Service]:
    server = V1Service(fresh_central)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.upstream.close()
    thread.join(5)


def _pipeline(tmp_path) -> tuple[PrintPipeline, PrintStore]:
    store = PrintStore(tmp_path / "state", sender=None)
    return PrintPipeline(store, simulated_printers(tmp_path), submit_timeout_s=10), store


def fetcher(client: kc.CentralClient, session: kc.Session, document_id: str):
    """The kiosk's fetch for the pipeline: a refused document becomes FetchFailed with the kiosk's cause word."""

    def fetch(job_id: str) -> FetchedDocument:
        try:
            document = client.fetch_document(session, document_id, job_id)
        except kc.CentralError as exc:
            raise FetchFailed(fetch_cause(exc)[0]) from None
        if document.content_type == "application/zip":
            return FetchedDocument(card_parts(document.content))
        return FetchedDocument([document.content])

    return fetch


def _printed(tmp_path) -> list:
    return [p for d in ("out-a4", "out-card") if (tmp_path / d).exists() for p in (tmp_path / d).iterdir()]


def _kk(session: kc.Session) -> str:
    return next(d.id for d in session.documents if d.type == "kk")


# ------------------------------------------------------------------ every answer names its contract
def test_every_answer_of_the_service_names_contract_2(fresh_central, make_client):
    """Answers, errors and documents alike: the header is how a kiosk tells a v1 service apart."""
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready")
    seen = []
    client._http.event_hooks["response"].append(lambda response: seen.append(response.headers.get(c.H_CONTRACT)))
    session = client.login(resident["nik"], resident["pin"])
    with pytest.raises(kc.InvalidCredentials):
        client.login(resident["nik"], "000000" if resident["pin"] != "000000" else "111111")
    client.fetch_document(session, _kk(session), "job-contract-1")
    client.verify_code("NOSUCHCODE")
    assert seen == ["2"] * 4


# ------------------------------------------------------------------ a v1 service
def test_a_v1_service_is_a_clear_error_at_login(v1, fresh_central, make_client):
    client = make_client(fresh_central, url=v1.url, retries=0)
    resident = fresh_central.resident("ready")
    with pytest.raises(kc.ContractMismatch):
        client.login(resident["nik"], resident["pin"])
    failed = login_failure(kc.ContractMismatch("v1"), 1)
    assert failed.problem is LoginProblem.CONTRACT
    for language in ("id", "en"):  # the resident is sent to the staff, in plain words
        text = Translator(language)(failed.problem.value)
        assert text != failed.problem.value and ("petugas" in text or "staff" in text)
    with pytest.raises(kc.ContractMismatch):  # and the technician's heartbeat names it
        client.heartbeat(c.Heartbeat())


def test_a_document_from_a_v1_service_never_reaches_a_printer(v1, fresh_central, make_client, tmp_path):
    resident = fresh_central.resident("ready")
    session = make_client(fresh_central).login(resident["nik"], resident["pin"])  # the service changed under it
    old = make_client(fresh_central, url=v1.url, retries=0)
    pipeline, store = _pipeline(tmp_path)
    outcome = pipeline.run(document_id=_kk(session), document_type="kk", kind="a4", printer="document_printer",
                           nik=resident["nik"], fetch=fetcher(old, session, _kk(session)))
    assert outcome.job.state is JobState.FAILED and outcome.job.cause == "fetch:contract-mismatch"
    assert _printed(tmp_path) == []
    store.close()


# ------------------------------------------------------------------ holder binding
def _hand_over(central: RunningCentral, to_role: str, of_role: str) -> str:
    receiver, holder = central.resident(to_role), central.resident(of_role)
    foreign = next(d["id"] for d in holder["documents"] if d["type"] == "ktp_el")
    with sqlite3.connect(central.data_dir / DB_FILE) as db:
        pin_id = db.execute("SELECT id FROM pins WHERE nik=? AND revoked=0", (receiver["nik"],)).fetchone()[0]
        db.execute("INSERT INTO grants VALUES (?, ?, 'ready', NULL, ?)", (pin_id, foreign, time.time()))
    return foreign


def test_someone_elses_document_is_refused_after_nik_and_qr_login(fresh_central, make_client, tmp_path):
    foreign = _hand_over(fresh_central, "ready", "ready_woman")
    client = make_client(fresh_central)
    budi = fresh_central.resident("ready")
    for session in (client.login(budi["nik"], budi["pin"]),
                    client.login_qr(budi["qr_token"], c.holder_digest(budi["nik"]))):
        assert foreign in {d.id for d in session.documents}
        with pytest.raises(kc.NotYourDocument):
            client.fetch_document(session, foreign, "job-foreign")
    client.report_print_event(foreign, "job-foreign", "failed", cause="fetch:wrong-holder")  # releases the claim
    pipeline, store = _pipeline(tmp_path)
    outcome = pipeline.run(document_id=foreign, document_type="ktp_el", kind="card", printer="card_printer",
                           nik=budi["nik"], fetch=fetcher(client, session, foreign))
    assert outcome.job.state is JobState.FAILED and outcome.job.cause == "fetch:wrong-holder"
    assert _printed(tmp_path) == []
    store.close()


def test_a_session_without_a_holder_prints_nothing(fresh_central, make_client):
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready")
    session = client.login(resident["nik"], resident["pin"])
    with pytest.raises(kc.NotYourDocument):
        client.fetch_document(replace(session, holder=""), _kk(session), "job-no-holder")


def test_a_tampered_holder_header_is_a_bad_signature(fresh_central, make_client, monkeypatch):
    """A compromised service that relabels someone else's document with the session's holder cannot re-sign it."""
    foreign = _hand_over(fresh_central, "ready", "ready_woman")
    client = make_client(fresh_central)
    budi = fresh_central.resident("ready")
    session = client.login(budi["nik"], budi["pin"])
    store = fresh_central.handle.store
    genuine = store.claim_content

    def relabelled(token: str, document_id: str, job_id: str):
        found = genuine(token, document_id, job_id)
        return replace(found, meta=found.meta.model_copy(update={"holder": c.holder_digest(budi["nik"])}))

    monkeypatch.setattr(store, "claim_content", relabelled)
    with pytest.raises(kc.BadSignature):
        client.fetch_document(session, foreign, "job-relabelled")


def test_holder_and_token_never_show_in_a_sessions_repr(fresh_central, make_client):
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready")
    session = client.login(resident["nik"], resident["pin"])
    assert session.holder == c.holder_digest(resident["nik"])
    assert session.holder not in repr(session) and session.token not in repr(session)
    with pytest.raises(ValueError):  # a QR login always names its holder
        client.login_qr(resident["qr_token"], "")
