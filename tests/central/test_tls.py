"""Mutual TLS: the server refuses peers without a certificate from its CA, at the handshake."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from central import pki
from central.testing import RunningCentral
from kiosk.central_client import CentralError, Unreachable

REQUEST = b"GET /v1/verify/NOPE HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _context(central: RunningCentral, cert: tuple[Path, Path] | None, tls12: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(central.data_dir / "ca.pem"))
    if tls12:  # TLS 1.2 checks the client certificate inside the handshake itself
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


def _exchange(central: RunningCentral, context: ssl.SSLContext) -> bytes:
    with socket.create_connection(("127.0.0.1", central.handle.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(REQUEST)
            return tls.recv(4096)


@pytest.fixture(scope="module")
def foreign_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A client certificate issued by another CA, with the same name as the real kiosk."""
    other = pki.make_ca("ADM Demo CA")
    leaf = pki.issue(other, "ADM-DEMO-01", server=False)
    directory = tmp_path_factory.mktemp("foreign")
    (directory / "kiosk.pem").write_bytes(leaf.cert_pem)
    (directory / "kiosk.key").write_bytes(leaf.key_pem)
    return directory / "kiosk.pem", directory / "kiosk.key"


def test_the_kiosk_certificate_gets_an_answer(central: RunningCentral):
    own = (central.data_dir / "kiosk.pem", central.data_dir / "kiosk.key")
    assert _exchange(central, _context(central, own, tls12=True)).startswith(b"HTTP/1.1 200")
    assert _exchange(central, _context(central, own)).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("which", ["none", "foreign"])
def test_tls12_handshake_is_refused(central: RunningCentral, foreign_cert: tuple[Path, Path], which: str):
    context = _context(central, None if which == "none" else foreign_cert, tls12=True)
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        _exchange(central, context)


@pytest.mark.parametrize("which", ["none", "foreign"])
def test_tls13_refusal_sends_no_answer(central: RunningCentral, foreign_cert: tuple[Path, Path], which: str):
    # In TLS 1.3 the client's certificate is checked after the client thinks the handshake ended:
    # the server then closes without a byte of HTTP.
    context = _context(central, None if which == "none" else foreign_cert)
    try:
        answer = _exchange(central, context)
    except (ssl.SSLError, ConnectionResetError):
        answer = b""
    assert answer == b""


def test_kiosk_client_with_a_foreign_certificate_gets_no_data(central, make_client, foreign_cert):
    client = make_client(central, client_cert=foreign_cert[0], client_key=foreign_cert[1], retries=0)
    with pytest.raises(CentralError):
        client.verify_code("NOPE")


def test_kiosk_client_refuses_a_server_from_another_ca(central, make_client, tmp_path):
    other = pki.make_ca("Impostor CA")
    (tmp_path / "ca.pem").write_bytes(other.cert_pem)
    client = make_client(central, ca_file=tmp_path / "ca.pem", retries=0)
    with pytest.raises(Unreachable):
        client.verify_code("NOPE")
