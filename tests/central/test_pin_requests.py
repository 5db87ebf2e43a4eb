"""'Lupa PIN?': the answer's timing does not tell whether a NIK exists, and a stranger who knows a NIK
cannot lock its resident out. Over real mutual TLS against the reference server."""

from __future__ import annotations

import random
import socket
import sqlite3
import ssl
import statistics
import time

import httpx
import pytest

from central import contract as c
from central.contract import DocumentStatus, PrintOutcome
from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk import central_client as kc

UNKNOWN_NIK = "3273010101900009"  # well-formed, belongs to nobody
ROUNDS = 30


def _timed(http: httpx.Client, nik: str) -> float:
    start = time.perf_counter()
    answer = http.post("/v1/pin-requests", json={"nik": nik})
    elapsed = time.perf_counter() - start
    assert answer.status_code == 202 and answer.json() == {"status": "accepted"}
    return elapsed


@pytest.mark.heavy  # hundreds of timed requests
def test_the_time_to_answer_does_not_tell_whether_a_nik_exists(fresh_central: RunningCentral):
    store = fresh_central.handle.store
    store.set_setting("pin_request_cooldown_s", "0")  # every request for the known NIK issues a PIN
    known = fresh_central.resident("ready")["nik"]
    context = ssl.create_default_context(cafile=str(fresh_central.data_dir / "ca.pem"))
    context.load_cert_chain(str(fresh_central.data_dir / "kiosk.pem"), str(fresh_central.data_dir / "kiosk.key"))
    times: dict[str, list[float]] = {known: [], UNKNOWN_NIK: []}
    before = len(fresh_central.outbox())
    # No Nagle: a POST leaves as two writes, and the second waiting for a delayed ACK adds 40 ms to some
    # requests and not others, by the rhythm of the requests rather than by what the server does.
    transport = httpx.HTTPTransport(verify=context, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(base_url=fresh_central.url, transport=transport, trust_env=False) as http:
        for nik in (known, UNKNOWN_NIK) * 3:  # warm up the connection and both paths
            _timed(http, nik)
            store.drain()
        issued_in_warm_up = len(fresh_central.outbox()) - before
        order = random.Random(16)
        for _ in range(ROUNDS):
            pair = [known, UNKNOWN_NIK]
            order.shuffle(pair)
            for nik in pair:
                times[nik].append(_timed(http, nik))
                store.drain()  # whatever the service does after answering happens outside the measured time
    median_known, median_unknown = statistics.median(times[known]), statistics.median(times[UNKNOWN_NIK])
    print(f"median known {median_known * 1000:.1f} ms, unknown {median_unknown * 1000:.1f} ms")
    assert median_known < 1.5 * median_unknown + 0.002, (median_known, median_unknown)
    # And every request for the known NIK did send its PIN, one message each.
    assert issued_in_warm_up == 3
    assert len(fresh_central.outbox()) - before == 3 + ROUNDS


def _new_pin(central: RunningCentral, client: kc.CentralClient, nik: str) -> str:
    """A stranger asks for a new PIN for ``nik``; the resident's phone gets it."""
    before = len(central.outbox())
    client.request_pin(nik)
    sent = central.outbox()[before:]
    assert len(sent) == 1
    return sent[0].pin


def _doc(session: kc.Session, doc_type: str) -> str:
    return next(d.id for d in session.documents if d.type == doc_type)


def _stranger_resets(central: RunningCentral, make_client) -> tuple[kc.CentralClient, dict, str]:
    """A stranger asks for a new PIN for the resident 'ready', as if the seed were days ago: the client, the
    resident (with the PIN they still hold) and the new PIN their phone got."""
    central.handle.store.set_setting("pin_request_cooldown_s", "0")
    client = make_client(central)
    resident = central.resident("ready")
    new_pin = _new_pin(central, client, resident["nik"])
    if new_pin == resident["pin"]:
        pytest.skip("the new PIN equals the old one (one in a million)")
    return client, resident, new_pin


def test_a_stranger_asking_for_a_new_pin_does_not_lock_the_resident_out(fresh_central, make_client):
    client, resident, new_pin = _stranger_resets(fresh_central, make_client)

    # The resident still holds the PIN they were sent, and it still prints.
    session = client.login(resident["nik"], resident["pin"])
    kk = _doc(session, "kk")
    client.fetch_document(session, kk, "job-old-pin")
    assert client.report_print_event(kk, "job-old-pin", PrintOutcome.PRINTED).applied
    # A second reset while the first is unused: the resident's PIN still works.
    newer_pin = _new_pin(fresh_central, client, resident["nik"])
    assert client.login(resident["nik"], resident["pin"]).masked_name == "B*** S******"

    # The newest PIN, once used, replaces the old one: the old PIN and its session are dead.
    fresh = client.login(resident["nik"], newer_pin)
    assert kk not in {d.id for d in fresh.documents if d.status == DocumentStatus.READY}  # printed once, ever
    with pytest.raises((kc.AlreadyPrinted, kc.NotFound)):
        client.fetch_document(fresh, kk, "job-new-pin")
    with pytest.raises(kc.SessionExpired):
        client.documents(session)
    for pin in {resident["pin"], new_pin} - {newer_pin}:
        with pytest.raises(kc.InvalidCredentials):
            client.login(resident["nik"], pin)
    akta = _doc(fresh, "akta_kelahiran")  # what the old PIN left untouched prints with the new one
    client.fetch_document(fresh, akta, "job-new-pin-akta")


def test_the_qr_of_a_new_pin_also_replaces_the_old_pin(fresh_central, make_client):
    fresh_central.handle.store.set_setting("pin_request_cooldown_s", "0")
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready_woman")
    before = len(fresh_central.outbox())
    client.request_pin(resident["nik"])
    message = fresh_central.outbox()[before]
    holder = c.holder_digest(resident["nik"])
    assert client.login_qr(resident["qr_token"], holder).masked_name == "D*** L******"  # the old QR still works
    client.login_qr(message.qr_token, holder)
    with pytest.raises(kc.InvalidCredentials):
        client.login_qr(resident["qr_token"], holder)
    if message.pin != resident["pin"]:
        with pytest.raises(kc.InvalidCredentials):
            client.login(resident["nik"], resident["pin"])


def test_a_document_claimed_with_the_old_pin_is_never_printable_with_the_new(fresh_central, make_client):
    client, resident, new_pin = _stranger_resets(fresh_central, make_client)
    old = client.login(resident["nik"], resident["pin"])
    card, akta = _doc(old, "ktp_el"), _doc(old, "akta_kelahiran")
    client.fetch_document(old, card, "job-card")  # in flight when the new PIN is used
    client.fetch_document(old, akta, "job-akta")
    client.report_print_event(akta, "job-akta", PrintOutcome.UNCERTAIN, cause="media-jam")

    new = client.login(resident["nik"], new_pin)
    for doc_id in (card, akta):
        assert doc_id not in {d.id for d in new.documents if d.status == DocumentStatus.READY}
        with pytest.raises((kc.AlreadyClaimed, kc.AlreadyPrinted, kc.NotFound)):
            client.fetch_document(new, doc_id, "job-second")
    ack = client.report_print_event(card, "job-card", PrintOutcome.PRINTED)  # the job in flight still reports
    assert ack.applied and ack.document_status == DocumentStatus.PRINTED


def test_a_claim_that_raced_the_new_pin_still_blocks_it(fresh_central, make_client):
    """A fetch with the old PIN's session that committed just after the new PIN's first login: the
    document is claimed under the old PIN, and the new PIN must not print it too."""
    client, resident, new_pin = _stranger_resets(fresh_central, make_client)
    old = client.login(resident["nik"], resident["pin"])
    kk = _doc(old, "kk")
    new = client.login(resident["nik"], new_pin)
    with sqlite3.connect(fresh_central.data_dir / DB_FILE) as db:  # the old session's claim, committed late
        db.execute("UPDATE grants SET status='claimed', job_id='job-late' WHERE document_id=? AND pin_id="
                   "(SELECT MIN(id) FROM pins WHERE nik=?)", (kk, resident["nik"]))
    with pytest.raises((kc.AlreadyClaimed, kc.AlreadyPrinted)):
        client.fetch_document(new, kk, "job-second")


def test_a_wrong_pin_costs_one_scrypt_with_two_pins_as_without(fresh_central, monkeypatch):
    """Two valid PINs (held and new) share a salt: a login never tells a NIK with a pending reset by its time."""
    from central import pins
    from central.store import StoreError

    store = fresh_central.handle.store
    store.set_setting("pin_request_cooldown_s", "0")
    resident = fresh_central.resident("ready")
    store.request_pin(resident["nik"])
    store.drain()
    calls: list[int] = []
    real = pins._scrypt
    monkeypatch.setattr(pins, "_scrypt", lambda *a: calls.append(1) or real(*a))
    held = {resident["pin"], fresh_central.outbox()[-1].pin}
    wrong = next(p for p in ("000000", "111111", "222222") if p not in held)
    for nik in (resident["nik"], UNKNOWN_NIK):
        calls.clear()
        with pytest.raises(StoreError):
            store.login(nik, wrong)
        assert len(calls) == 1, nik
