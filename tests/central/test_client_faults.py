"""The kiosk client against a misbehaving server: a tiny TLS server of our own, same CA, on loopback."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from central.testing import RunningCentral
from kiosk import central_client as kc

STALL_LIMIT_S = 10  # a stalled handler gives up by itself, so no thread outlives the test by long


class _Handler(BaseHTTPRequestHandler):
    server: _FaultServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, content_type: str, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self) -> None:
        self.server.hits += 1
        if "Content-Length" in self.headers:
            self.rfile.read(int(self.headers["Content-Length"]))
        mode = self.server.mode
        if mode == "html":
            self._send(200, "text/html", b"<html><body>502 Bad Gateway</body></html>")
        elif mode == "truncated":
            body = b'{"code": "not_found", "message": "no such'
            self._send(404, "application/json", body)
        elif mode == "cut":  # announces more than it sends, then hangs up
            self._send(200, "application/json", b'{"code": "act', length=200)
            self.close_connection = True
        elif mode == "500":
            self._send(500, "application/json", b'{"code": "internal", "message": "boom"}')
        elif mode == "503":
            self._send(503, "text/plain", b"busy")
        elif mode == "wrong_shape":
            self._send(200, "application/json", b'{"status": "maybe"}')
        elif mode == "stall":
            self.server.release.wait(STALL_LIMIT_S)

    do_GET = do_POST = do_DELETE = _answer


class _FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    mode = "html"
    hits = 0

    def __init__(self, central: RunningCentral):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(central.data_dir / "ca.pem"))
        context.load_cert_chain(str(central.data_dir / "server.pem"), str(central.data_dir / "server.key"))
        context.verify_mode = ssl.CERT_REQUIRED
        self.socket = context.wrap_socket(self.socket, server_side=True)


@pytest.fixture
def faulty(central: RunningCentral) -> Iterator[_FaultServer]:
    server = _FaultServer(central)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def client_of(central, make_client, faulty):
    def build(**overrides) -> kc.CentralClient:
        return make_client(central, url=f"https://127.0.0.1:{faulty.server_address[1]}", **overrides)

    return build


@pytest.mark.parametrize("mode", ["html", "truncated", "cut", "500", "wrong_shape"])
def test_answers_outside_the_contract_are_protocol_errors(faulty, client_of, mode):
    faulty.mode = mode
    client = client_of(retries=0)
    with pytest.raises(kc.ProtocolError):
        client.verify_code("ABC")
    with pytest.raises(kc.ProtocolError):
        client.login("3273021708850001", "123456")


def test_html_instead_of_a_document_is_a_protocol_error(faulty, client_of):
    faulty.mode = "html"
    session = kc.Session(token="t" * 20, masked_name="X", expires_at=__import__("datetime").datetime.now())
    with pytest.raises(kc.ProtocolError):
        client_of(retries=0).fetch_document(session, "DOC-1", "job-1")


def test_a_stalled_server_gives_timeout_within_the_configured_time(faulty, client_of):
    faulty.mode = "stall"
    client = client_of(read_timeout_s=0.5, retries=0)
    started = time.monotonic()
    with pytest.raises(kc.Timeout):
        client.verify_code("ABC")
    # A loose bound: it is the configured read timeout that ended the wait, not the server's own limit.
    assert time.monotonic() - started < STALL_LIMIT_S / 2
    assert faulty.hits == 1


def test_idempotent_calls_are_retried_and_others_are_not(faulty, client_of):
    faulty.mode = "503"
    client = client_of(retries=2)
    with pytest.raises(kc.ProtocolError):
        client.verify_code("ABC")  # GET: retried
    assert faulty.hits == 3
    faulty.hits = 0
    with pytest.raises(kc.ProtocolError):
        client.report_print_event("DOC-1", "job-1", "printed")  # POST with Idempotency-Key: retried
    assert faulty.hits == 3
    faulty.hits = 0
    session = kc.Session(token="t" * 20, masked_name="X", expires_at=__import__("datetime").datetime.now())
    with pytest.raises(kc.ProtocolError):
        client.logout(session)  # DELETE: revoking twice is harmless, a lost logout leaves the token valid
    assert faulty.hits == 3
    faulty.hits = 0
    with pytest.raises(kc.ProtocolError):
        client.login("3273021708850001", "123456")  # a login attempt must never count twice
    assert faulty.hits == 1


def test_a_refused_connection_is_unreachable(make_client, central):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(central, url=f"https://127.0.0.1:{port}", retries=1)
    with pytest.raises(kc.Unreachable):
        client.verify_code("ABC")
