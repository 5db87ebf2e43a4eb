"""Size limits: a body over the cap is refused while it streams (413), a field over its bound is refused (422),
and nothing of either is stored. Over real mutual TLS, with raw HTTP where the framing matters."""

from __future__ import annotations

import json
import socket
import ssl

import httpx
import pytest

from central.contract import ErrorCode
from central.server import MAX_BODY_BYTES
from central.testing import RunningCentral


def _context(central: RunningCentral) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(central.data_dir / "ca.pem"))
    context.load_cert_chain(str(central.data_dir / "kiosk.pem"), str(central.data_dir / "kiosk.key"))
    return context


def _raw(central: RunningCentral, head: bytes, body_parts: list[bytes]) -> tuple[int, dict]:
    """Send ``head`` and ``body_parts`` on one TLS connection; return the answer's status and JSON body.

    The answer is read without closing the request: a server that waits for the rest of the body (as it
    should never do past the cap) makes this time out."""
    with socket.create_connection(("127.0.0.1", central.handle.port), timeout=10) as raw:
        with _context(central).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(head)
            for part in body_parts:
                tls.sendall(part)
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = tls.recv(65536)
                assert chunk, f"connection closed without an answer: {answer!r}"
                answer += chunk
            header, _, rest = answer.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in header.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            while len(rest) < length:
                chunk = tls.recv(65536)
                assert chunk
                rest += chunk
    return int(header.split(b" ")[1]), json.loads(rest[:length])


def _heartbeat_path(central: RunningCentral) -> str:
    return f"/v1/kiosks/{central.summary['kiosk_id']}/heartbeat"


def _stored(central: RunningCentral) -> int:
    return len(central.handle.store.heartbeats(central.summary["kiosk_id"]))


def test_a_declared_oversize_body_is_refused_before_it_is_sent(fresh_central: RunningCentral):
    head = (f"POST {_heartbeat_path(fresh_central)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: 34000000\r\n\r\n").encode()
    status, body = _raw(fresh_central, head, [])  # not one byte of the 34 MB
    assert (status, body["code"]) == (413, ErrorCode.PAYLOAD_TOO_LARGE)
    assert set(body) == {"code", "message"}
    assert _stored(fresh_central) == 0


def test_a_chunked_body_is_refused_once_it_passes_the_cap(fresh_central: RunningCentral):
    filler = json.dumps({"software_version": "x", "counters": {}})[:-1] + ', "pad": "' + "a" * (2 * MAX_BODY_BYTES)
    data = filler.encode()
    chunks = [data[i:i + 16384] for i in range(0, len(data), 16384)]
    head = (f"POST {_heartbeat_path(fresh_central)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    # The body never ends (no last chunk): only a server that counts as it reads can answer.
    status, body = _raw(fresh_central, head, [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks])
    assert (status, body["code"]) == (413, ErrorCode.PAYLOAD_TOO_LARGE)
    assert _stored(fresh_central) == 0


def test_a_body_under_the_cap_still_arrives_chunked(fresh_central: RunningCentral):
    data = json.dumps({"consumables": {"blanko": 12}, "software_version": "1.0"}).encode()
    head = (f"POST {_heartbeat_path(fresh_central)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    status, _ = _raw(fresh_central, head, [b"%x\r\n%s\r\n" % (len(data), data), b"0\r\n\r\n"])
    assert status == 200 and _stored(fresh_central) == 1


@pytest.mark.parametrize("beat", [
    {"software_version": "v" * 33},
    {"devices": {"card_printer": {"state": "WARNING", "reasons": ["blanko-low"] * 100}}},
    {"devices": {"card_printer": {"state": "WARNING", "reasons": ["r" * 200]}}},
    {"devices": {f"printer-{i}": {"state": "READY"} for i in range(100)}},
    {"devices": {"p" * 200: {"state": "READY"}}},
    {"counters": {f"c{i}": 1 for i in range(500)}},
    {"counters": {"c" * 200: 1}},
    {"consumables": {"blanko": 10**15}},
], ids=["version", "reasons", "reason", "devices", "device-name", "counters", "counter-name", "huge-int"])
def test_a_field_over_its_bound_is_refused(fresh_central: RunningCentral, beat: dict):
    with httpx.Client(base_url=fresh_central.url, verify=_context(fresh_central), trust_env=False) as http:
        answer = http.post(_heartbeat_path(fresh_central), json=beat)
    assert answer.status_code == 422 and answer.json()["code"] == ErrorCode.INVALID_REQUEST
    assert len(answer.content) < MAX_BODY_BYTES  # the error names fields, it does not echo them
    assert _stored(fresh_central) == 0


@pytest.mark.parametrize("event", [
    {"counters": {f"c{i}": 1 for i in range(500)}},
    {"counters": {"c" * 200: 1}},
    {"counters": {"pages": 10**15}},
    {"cause": "c" * 65},
], ids=["counters", "counter-name", "huge-int", "cause"])
def test_a_print_event_field_over_its_bound_is_refused(fresh_central: RunningCentral, event: dict):
    body = {"job_id": "job-big", "kiosk_id": fresh_central.summary["kiosk_id"], "outcome": "failed", **event}
    doc_id = fresh_central.resident("ready")["documents"][0]["id"]
    with httpx.Client(base_url=fresh_central.url, verify=_context(fresh_central), trust_env=False) as http:
        answer = http.post(f"/v1/documents/{doc_id}/print-events", json=body, headers={"Idempotency-Key": "job-big"})
    assert answer.status_code == 422 and answer.json()["code"] == ErrorCode.INVALID_REQUEST
    assert fresh_central.handle.store.print_event_count(doc_id) == 0
