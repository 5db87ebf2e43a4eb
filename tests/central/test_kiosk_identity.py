"""The kiosk id is the client certificate's: a kiosk cannot post heartbeats or print events as another, and
only a kiosk's certificate (clientAuth, not a CA) is accepted as a client. Over real mutual TLS."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from central import pki
from central.contract import ErrorCode, Heartbeat
from central.testing import RunningCentral

OTHER_KIOSK = "ADM-OTHER-02"


def _ca(central: RunningCentral) -> pki.Issued:
    return pki.Issued((central.data_dir / "ca.pem").read_bytes(), (central.data_dir / "ca.key").read_bytes())


def _write(directory: Path, name: str, issued: pki.Issued) -> tuple[Path, Path]:
    (directory / f"{name}.pem").write_bytes(issued.cert_pem)
    (directory / f"{name}.key").write_bytes(issued.key_pem)
    return directory / f"{name}.pem", directory / f"{name}.key"


def _leaf_without_eku(ca: pki.Issued, common_name: str) -> pki.Issued:
    """A leaf from the right CA that says nothing about what it is for (no extended key usage)."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return pki.Issued(cert.public_bytes(serialization.Encoding.PEM), pki._key_pem(key))


@pytest.fixture
def certs(fresh_central: RunningCentral, tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    ca = _ca(fresh_central)
    return {
        "own": (fresh_central.data_dir / "kiosk.pem", fresh_central.data_dir / "kiosk.key"),
        "other": _write(tmp_path, "other", pki.issue(ca, OTHER_KIOSK, server=False)),
        "no_eku": _write(tmp_path, "no-eku", _leaf_without_eku(ca, fresh_central.summary["kiosk_id"])),
        "server": _write(tmp_path, "server", pki.issue(ca, fresh_central.summary["kiosk_id"], server=True)),
        "ca": (fresh_central.data_dir / "ca.pem", fresh_central.data_dir / "ca.key"),
    }


@pytest.fixture
def http(fresh_central: RunningCentral) -> Iterator:
    clients: list[httpx.Client] = []

    def build(cert: tuple[Path, Path]) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(fresh_central.data_dir / "ca.pem"))
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        client = httpx.Client(base_url=fresh_central.url, verify=context, trust_env=False)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


BEAT = Heartbeat(consumables={"blanko": 7}).model_dump(mode="json")


def _heartbeats(central: RunningCentral, kiosk_id: str) -> int:
    return len(central.handle.store.heartbeats(kiosk_id))


def test_the_kiosk_certificate_posts_for_its_own_kiosk(fresh_central, certs, http):
    own_id = fresh_central.summary["kiosk_id"]
    answer = http(certs["own"]).post(f"/v1/kiosks/{own_id}/heartbeat", json=BEAT)
    assert answer.status_code == 200 and _heartbeats(fresh_central, own_id) == 1
    answer = http(certs["other"]).post(f"/v1/kiosks/{OTHER_KIOSK}/heartbeat", json=BEAT)
    assert answer.status_code == 200 and _heartbeats(fresh_central, OTHER_KIOSK) == 1


def test_another_kiosks_certificate_cannot_post_a_heartbeat_as_this_kiosk(fresh_central, certs, http, caplog):
    own_id = fresh_central.summary["kiosk_id"]
    with caplog.at_level(logging.WARNING, logger="central.server"):
        answer = http(certs["other"]).post(f"/v1/kiosks/{own_id}/heartbeat", json=BEAT)
    assert answer.status_code == 403
    assert answer.json() == {"code": ErrorCode.KIOSK_MISMATCH, "message": answer.json()["message"]}
    assert _heartbeats(fresh_central, own_id) == 0
    assert [r.getMessage() for r in caplog.records] == ["central.kiosk_mismatch"]
    assert caplog.records[0].fields["certificate"] == OTHER_KIOSK


def test_another_kiosks_certificate_cannot_report_print_events_as_this_kiosk(fresh_central, certs, http):
    own_id = fresh_central.summary["kiosk_id"]
    doc_id = fresh_central.resident("ready")["documents"][0]["id"]
    event = {"job_id": "job-x", "kiosk_id": own_id, "outcome": "printed"}
    answer = http(certs["other"]).post(f"/v1/documents/{doc_id}/print-events", json=event,
                                       headers={"Idempotency-Key": "job-x"})
    assert answer.status_code == 403 and answer.json()["code"] == ErrorCode.KIOSK_MISMATCH
    assert fresh_central.handle.store.print_event_count(doc_id) == 0
    answer = http(certs["own"]).post(f"/v1/documents/{doc_id}/print-events", json=event,
                                     headers={"Idempotency-Key": "job-x"})
    assert answer.status_code == 200 and fresh_central.handle.store.print_event_count(doc_id) == 1


@pytest.mark.parametrize("which", ["no_eku", "ca"])
def test_a_certificate_that_is_not_a_kiosks_is_refused(fresh_central, certs, http, which):
    client = http(certs[which])
    own_id = fresh_central.summary["kiosk_id"]
    for method, path, body in (("POST", f"/v1/kiosks/{own_id}/heartbeat", BEAT),
                               ("GET", "/v1/verify/NOPE", None),
                               ("POST", "/v1/pin-requests", {"nik": fresh_central.resident("ready")["nik"]})):
        answer = client.request(method, path, json=body)
        assert answer.status_code == 403, path
        assert answer.json()["code"] == ErrorCode.CLIENT_CERT_REFUSED
    assert _heartbeats(fresh_central, own_id) == 0


def test_a_server_certificate_is_not_a_client(fresh_central, certs, http):
    # OpenSSL already refuses it in the handshake (its key usage is serverAuth); whatever the layer, no data.
    try:
        answer = http(certs["server"]).get("/v1/verify/NOPE")
    except (httpx.TransportError, ssl.SSLError):
        return
    assert answer.status_code == 403


def test_the_kiosk_names_a_refused_identity_and_keeps_its_print_events_for_later(fresh_central, certs):
    """The kiosk's own client with another kiosk's certificate: the refusal has its own error and code (what
    diagnose shows), and the outbox keeps the event pending (sent once a person fixes the certificate)."""
    from kiosk.central_client import CentralClient, IdentityRefused
    from kiosk.config import CentralSection
    from kiosk.runtime import CentralEventSender
    from printjobs.errors import TransientDeliveryError
    from printjobs.outbox import JobReport

    cert, key = certs["other"]
    section = CentralSection(**fresh_central.client_config(client_cert=cert, client_key=key, retries=0))
    with CentralClient(section, fresh_central.summary["kiosk_id"]) as client:
        with pytest.raises(IdentityRefused) as refused:
            client.heartbeat(Heartbeat())
        assert refused.value.code == ErrorCode.KIOSK_MISMATCH
        with pytest.raises(TransientDeliveryError, match="kiosk_mismatch"):
            CentralEventSender(client).send(JobReport("k1", "job-1", "DOC-1", "printed"))
