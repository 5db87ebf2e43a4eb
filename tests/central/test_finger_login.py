"""The KTP-el + finger login against the reference server, over real mutual TLS: the NIK read from the card
and a proof of the finger bound to a challenge; the same sessions and lockouts as the PIN login."""

from __future__ import annotations

import logging
import sqlite3
import ssl

import httpx
import pytest

from central import contract as c
from central import pki
from central.seed import FINGER_ROLES
from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk import central_client as kc

UNKNOWN_NIK = "3273010101900009"  # well-formed, belongs to nobody


def _finger(central: RunningCentral, role: str) -> bytes:
    return bytes.fromhex(central.resident(role)["finger"])


def _other_kiosk(central: RunningCentral) -> str:
    """A second kiosk's certificate from the same CA, written next to the first as other.pem/other.key."""
    ca = pki.Issued((central.data_dir / "ca.pem").read_bytes(), (central.data_dir / "ca.key").read_bytes())
    issued = pki.issue(ca, "ADM-OTHER-02", server=False)
    (central.data_dir / "other.pem").write_bytes(issued.cert_pem)
    (central.data_dir / "other.key").write_bytes(issued.key_pem)
    return "other"


def _http(central: RunningCentral, cert: str = "kiosk") -> httpx.Client:
    context = ssl.create_default_context(cafile=str(central.data_dir / "ca.pem"))
    context.load_cert_chain(str(central.data_dir / f"{cert}.pem"), str(central.data_dir / f"{cert}.key"))
    return httpx.Client(base_url=central.url, verify=context, trust_env=False)


def test_the_right_finger_opens_the_same_session_as_the_pin(central, make_client):
    client = make_client(central)
    resident = central.resident("ready")
    by_finger = client.login_finger(resident["nik"], _finger(central, "ready"))
    by_pin = client.login(resident["nik"], resident["pin"])
    assert by_finger.masked_name == by_pin.masked_name == "B*** S******"
    assert [d.id for d in by_finger.documents] == [d.id for d in by_pin.documents]
    assert by_finger.holder == c.holder_digest(resident["nik"])
    assert [d.id for d in client.documents(by_finger)] == [d.id for d in by_finger.documents]
    client.logout(by_finger)
    client.logout(by_pin)


def test_the_seed_gives_some_residents_a_finger_and_keeps_it_off_the_wire(central):
    assert {r["role"] for r in central.summary["residents"] if r["finger"]} == set(FINGER_ROLES)
    with sqlite3.connect(central.data_dir / DB_FILE) as db:
        assert db.execute("SELECT count(*) FROM fingers").fetchone()[0] == len(FINGER_ROLES)
    openapi = (c.__file__.rsplit("/", 1)[0] + "/openapi.json")
    assert "/v1/sessions/finger" in open(openapi, encoding="utf-8").read()


def test_wrong_fingers_count_down_then_lock_fingers_but_not_the_pin(fresh_central, make_client):
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready_woman")
    someone_else = _finger(fresh_central, "ready")
    left = []
    for _ in range(c.FINGER_TRIES - 1):
        with pytest.raises(kc.InvalidCredentials) as refused:
            client.login_finger(resident["nik"], someone_else)
        left.append(refused.value.attempts_left)
    assert left == [3, 2, 1]
    with pytest.raises(kc.Locked) as locked:
        client.login_finger(resident["nik"], someone_else)
    assert 14 * 60 < locked.value.retry_after <= 15 * 60
    with pytest.raises(kc.Locked):  # even the right finger waits out the lock
        client.login_finger(resident["nik"], _finger(fresh_central, "ready_woman"))
    session = client.login(resident["nik"], resident["pin"])  # the fallback: NIK + PIN still opens
    assert session.documents


def test_a_nik_locked_for_wrong_pins_is_locked_for_fingers(fresh_central, make_client):
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready")
    wrong = "000000" if resident["pin"] != "000000" else "111111"
    with pytest.raises(kc.Locked):
        for _ in range(5):
            with pytest.raises(kc.InvalidCredentials):
                client.login(resident["nik"], wrong)
    with pytest.raises(kc.Locked):
        client.login_finger(resident["nik"], _finger(fresh_central, "ready"))


def test_a_right_finger_resets_the_count(fresh_central, make_client):
    client = make_client(fresh_central)
    nik = fresh_central.resident("ready")["nik"]
    for _ in range(c.FINGER_TRIES - 1):
        with pytest.raises(kc.InvalidCredentials):
            client.login_finger(nik, b"not this finger")
    client.logout(client.login_finger(nik, _finger(fresh_central, "ready")))
    with pytest.raises(kc.InvalidCredentials) as refused:
        client.login_finger(nik, b"not this finger")
    assert refused.value.attempts_left == c.FINGER_TRIES - 1


@pytest.mark.parametrize("role", ["unknown", "waiting", "printed"])
def test_no_finger_on_record_is_answered_like_a_wrong_finger(central, make_client, role):
    """An unknown NIK, a resident without a template, one with a template no one has: all alike."""
    client = make_client(central)
    nik = UNKNOWN_NIK if role == "unknown" else central.resident(role)["nik"]
    with pytest.raises(kc.InvalidCredentials) as refused:
        client.login_finger(nik, _finger(central, "ready"))
    assert refused.value.attempts_left is not None


def test_a_proof_is_good_once_and_only_for_the_kiosk_that_asked(fresh_central):
    resident = fresh_central.resident("ready")
    with _http(fresh_central) as http, _http(fresh_central, _other_kiosk(fresh_central)) as other:
        nonce = http.post("/v1/sessions/finger/challenge").json()["nonce"]
        body = {"nik": resident["nik"], "nonce": nonce,
                "proof": c.finger_proof(_finger(fresh_central, "ready"), nonce, resident["nik"])}
        stolen = other.post("/v1/sessions/finger", json=body)
        assert stolen.status_code == 401 and "attempts_left" not in stolen.json()
        first = http.post("/v1/sessions/finger", json=body)
        assert first.status_code == 200 and first.json()["masked_name"] == "B*** S******"
        replay = http.post("/v1/sessions/finger", json=body)
        assert replay.status_code == 401 and replay.json()["code"] == c.ErrorCode.INVALID_CREDENTIALS
        # a replay does not count against the resident
        assert "attempts_left" not in replay.json()
        made_up = dict(body, nonce="A" * 43)
        assert http.post("/v1/sessions/finger", json=made_up).status_code == 401


def test_a_nonce_expires(fresh_central):
    store = fresh_central.handle.store
    resident = fresh_central.resident("ready")
    with _http(fresh_central) as http:
        nonce = http.post("/v1/sessions/finger/challenge").json()["nonce"]
        clock = store.clock
        store.clock = lambda: clock() + 121
        try:
            answer = http.post("/v1/sessions/finger", json={
                "nik": resident["nik"], "nonce": nonce,
                "proof": c.finger_proof(_finger(fresh_central, "ready"), nonce, resident["nik"])})
        finally:
            store.clock = clock
    assert answer.status_code == 401


@pytest.mark.parametrize("field, value", [("nik", "12345"), ("proof", "zz"), ("nonce", "short"),
                                          ("method", "match-on-card")])
def test_a_malformed_request_is_refused(central, field, value):
    with _http(central) as http:
        nonce = http.post("/v1/sessions/finger/challenge").json()["nonce"]
        body = {"nik": central.resident("ready")["nik"], "nonce": nonce, "proof": "0" * 64, field: value}
        answer = http.post("/v1/sessions/finger", json=body)
    assert answer.status_code == 422 and answer.json()["code"] == c.ErrorCode.INVALID_REQUEST


def test_nothing_of_the_nik_or_the_finger_reaches_the_logs(fresh_central, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready")
    finger = _finger(fresh_central, "ready")
    with pytest.raises(kc.InvalidCredentials):
        client.login_finger(resident["nik"], b"wrong")
    client.logout(client.login_finger(resident["nik"], finger))
    logged = caplog.text + "".join(repr(getattr(r, "fields", "")) for r in caplog.records)
    assert resident["nik"] not in logged and finger.hex() not in logged and "Budi" not in logged
