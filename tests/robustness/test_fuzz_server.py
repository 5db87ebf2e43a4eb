"""Fuzzing the central service's answers against the kiosk's client: any status, headers and body a broken
server or a meddling proxy could send, over real mutual TLS with the seeded CA. Only CentralError subclasses
may come out of the client, and a document comes out only with a digest and signature that check out."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central import contract as c
from central.testing import RunningCentral
from kiosk import central_client as kc
from kiosk.config import CentralSection
from printjobs.backoff import Backoff
from tests.factories import examples

DOC = "DOC-FUZZ01"
HOLDER = c.holder_digest("3273021708850001")
SESSION = kc.Session(token="t" * 32, masked_name="B*** S***", expires_at=datetime(2030, 1, 1), holder=HOLDER)


class RawTlsServer:
    """Answers every request with the raw bytes in :attr:`answer`, then closes the connection."""

    def __init__(self, central: RunningCentral):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(central.data_dir / "ca.pem"))
        context.load_cert_chain(str(central.data_dir / "server.pem"), str(central.data_dir / "server.key"))
        context.verify_mode = ssl.CERT_REQUIRED
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.answer = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(2)
            try:
                with self.context.wrap_socket(raw, server_side=True) as conn:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        request += chunk
                    conn.sendall(self.answer)
            except (OSError, ssl.SSLError):
                continue  # the client gave up (a timeout): on to the next connection

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@pytest.fixture(scope="module")
def raw_server(central: RunningCentral) -> Iterator[RawTlsServer]:
    server = RawTlsServer(central)
    yield server
    server.close()


@pytest.fixture(scope="module")
def client(central: RunningCentral, raw_server: RawTlsServer) -> Iterator[kc.CentralClient]:
    section = CentralSection(**central.client_config(url=f"https://127.0.0.1:{raw_server.port}", retries=0,
                                                     read_timeout_s=0.5, connect_timeout_s=2))
    with kc.CentralClient(section, "ADM-DEMO-01", backoff=Backoff(0.001, 0.002)) as built:
        yield built


token = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1,
                max_size=20)
header_value = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                      max_size=3), max_leaves=10)
contract_bodies = st.one_of(
    st.fixed_dictionaries({"code": st.sampled_from([e.value for e in c.ErrorCode]) | st.text(max_size=10),
                           "message": st.text(max_size=20)},
                          optional={"attempts_left": st.integers(-2, 10) | st.text(max_size=3),
                                    "retry_after_s": st.integers(-5, 10**6) | st.none()}),
    st.fixed_dictionaries({"token": st.text(max_size=40), "masked_name": st.text(max_size=20),
                           "expires_at": st.sampled_from(["2030-01-01T00:00:00Z", "soon", ""]),
                           "documents": st.lists(json_value, max_size=2)}),
    json_value,
)
bodies = st.one_of(contract_bodies.map(lambda d: json.dumps(d).encode()), st.binary(max_size=300),
                   st.just(b"<html><body>502 Bad Gateway</body></html>"))
content_headers = st.fixed_dictionaries({}, optional={
    c.H_CONTRACT: st.sampled_from(["2", "1", "02"]) | header_value,
    c.H_HOLDER: st.sampled_from([HOLDER, "0" * 32]) | header_value,
    c.H_DOCUMENT_ID: st.sampled_from([DOC, "DOC-OTHER"]) | header_value,
    c.H_DOCUMENT_TYPE: st.sampled_from(["kk", "ktp_el", "akta_perkawinan", "KK", "x" * 41]) | header_value,
    c.H_DOCUMENT_VERSION: st.sampled_from(["1", "0", "-1", "x"]),
    c.H_CONTENT_SHA256: st.sampled_from(["0" * 64, "zz"]) | header_value,
    c.H_ISSUED_AT: st.sampled_from(["2026-11-20T00:00:00Z", "yesterday"]),
    c.H_SIGNATURE: st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()) | header_value,
    c.H_SIGNATURE_KEY_ID: st.sampled_from(["demo-2026", "attacker"]) | header_value,
})
answers = st.fixed_dictionaries({
    "status": st.sampled_from([200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 410, 422, 423, 429, 500, 502, 503,
                               504]) | st.integers(100, 599),
    "content_type": st.sampled_from(["application/json", "application/json; charset=utf-8", "text/html",
                                     "application/pdf", "application/zip", ""]) | header_value,
    "length": st.sampled_from(["exact", "short", "long", "none", "junk"]),
    "headers": content_headers,
    "extra": st.lists(st.tuples(token, header_value), max_size=3),
    "body": bodies,
})
calls = st.sampled_from(["login", "login_qr", "documents", "fetch", "report", "verify", "logout", "heartbeat"])


def _raw(answer: dict) -> bytes:
    body = answer["body"]
    lines = [f"HTTP/1.1 {answer['status']} X", "Connection: close"]
    if answer["content_type"]:
        lines.append(f"Content-Type: {answer['content_type']}")
    length = {"exact": str(len(body)), "short": str(max(0, len(body) - 3)), "long": str(len(body) + 50),
              "junk": "ten", "none": None}[answer["length"]]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in answer["headers"].items()]
    lines += [f"{k}: {v}" for k, v in answer["extra"]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _call(client: kc.CentralClient, call: str) -> object:
    if call == "login":
        return client.login("3273021708850001", "123456")
    if call == "login_qr":
        return client.login_qr("A" * 24, HOLDER)
    if call == "documents":
        return client.documents(SESSION)
    if call == "fetch":
        return client.fetch_document(SESSION, DOC, "job-1")
    if call == "report":
        return client.report_print_event(DOC, "job-1", "printed", None, {"pages": 1})
    if call == "verify":
        return client.verify_code("ABCD")
    if call == "heartbeat":
        return client.heartbeat(c.Heartbeat(devices={}, consumables={}, counters={}, software_version="0"))
    return client.logout(SESSION)


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(answer=answers, call=calls)
def test_any_answer_gives_a_result_or_a_central_error(raw_server: RawTlsServer, client: kc.CentralClient,
                                                       answer: dict, call: str):
    raw_server.answer = _raw(answer)
    try:
        result = _call(client, call)
    except kc.CentralError:
        return
    # Whatever got through must be inside the contract; a document never without a good signature.
    assert call != "fetch", "a document with a random signature was accepted"
    assert answer["status"] in (200, 202, 204)
    if call in ("login", "login_qr"):
        assert isinstance(result, kc.Session)


def test_a_document_with_a_good_signature_from_the_raw_server_is_accepted(central: RunningCentral,
                                                                         raw_server: RawTlsServer,
                                                                         client: kc.CentralClient):
    """The fuzz test above could pass by refusing everything: a correct answer from the same server works."""
    from cryptography.hazmat.primitives import serialization

    from central.documents import sign

    key = serialization.load_pem_private_key((central.data_dir / "signing.key").read_bytes(), password=None)
    content = b"%PDF-1.4 fuzz"
    signed = sign(key, central.summary["key_id"], document_id=DOC, doc_type="kk", version=1,
                  content_type="application/pdf", content=content, issued_at="2026-11-20T00:00:00Z",
                  holder=HOLDER)
    headers = {c.H_CONTRACT: "2", c.H_HOLDER: HOLDER, c.H_DOCUMENT_ID: DOC, c.H_DOCUMENT_TYPE: "kk",
               c.H_DOCUMENT_VERSION: "1",
               c.H_CONTENT_SHA256: signed.sha256, c.H_ISSUED_AT: "2026-11-20T00:00:00Z",
               c.H_SIGNATURE: signed.signature_b64, c.H_SIGNATURE_KEY_ID: signed.key_id}
    raw_server.answer = _raw({"status": 200, "content_type": "application/pdf", "length": "exact",
                              "headers": headers, "extra": [], "body": content})
    assert client.fetch_document(SESSION, DOC, "job-1").content == content
    headers[c.H_CONTENT_SHA256] = "0" * 64
    raw_server.answer = _raw({"status": 200, "content_type": "application/pdf", "length": "exact",
                              "headers": headers, "extra": [], "body": content})
    with pytest.raises(kc.BadSignature):
        client.fetch_document(SESSION, DOC, "job-1")
