"""Calls for help at the reference server, over real mutual TLS: recorded once per call id, a flood from one
kiosk refused with 429 and the seconds to wait, nothing personal accepted in the body, and only for the
kiosk of the client certificate."""

from __future__ import annotations

import ssl
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from central import contract as c
from kiosk import central_client as kc

NIK = "3273010101900001"


def _call(screen: str = "printing", call_id: str | None = None) -> dict:
    return {"call_id": call_id or uuid.uuid4().hex, "screen": screen, "called_at": datetime.now(UTC).isoformat()}


@pytest.fixture
def http(fresh_central):
    context = ssl.create_default_context(cafile=str(fresh_central.data_dir / "ca.pem"))
    context.load_cert_chain(str(fresh_central.data_dir / "kiosk.pem"), str(fresh_central.data_dir / "kiosk.key"))
    with httpx.Client(base_url=fresh_central.url, verify=context, trust_env=False) as client:
        yield client


def _post(http, fresh_central, body: dict, kiosk_id: str | None = None) -> httpx.Response:
    kiosk_id = kiosk_id or fresh_central.summary["kiosk_id"]
    return http.post(f"/v1/kiosks/{kiosk_id}/help-calls", json=body, headers={c.H_IDEMPOTENCY_KEY: body["call_id"]})


def test_one_call_per_interval_per_kiosk_and_a_replay_gets_the_first_answer(fresh_central, http):
    first = _call()
    answer = _post(http, fresh_central, first)
    assert answer.status_code == 202 and answer.json()["call_id"] == first["call_id"]
    replay = _post(http, fresh_central, first)  # a retry of the same call: the same answer, no second call
    assert replay.status_code == 202 and replay.json() == answer.json()
    flood = _post(http, fresh_central, _call("documents"))
    assert flood.status_code == 429 and flood.json()["code"] == "too_many_requests"
    wait = flood.json()["retry_after_s"]
    assert 0 < wait <= 60 and flood.headers["Retry-After"] == str(wait)
    [kiosk] = [k for k in fresh_central.handle.store.fleet() if k["kiosk_id"] == fresh_central.summary["kiosk_id"]]
    assert kiosk["help_requests"] == 1 and [call["screen"] for call in kiosk["help_calls"]] == ["printing"]


def test_the_interval_is_the_services_setting(fresh_central, http):
    fresh_central.handle.store.set_setting("help_call_interval_s", "0")
    assert [_post(http, fresh_central, _call()).status_code for _ in range(3)] == [202, 202, 202]
    [kiosk] = [k for k in fresh_central.handle.store.fleet() if k["kiosk_id"] == fresh_central.summary["kiosk_id"]]
    assert kiosk["help_requests"] == 3 and len(kiosk["help_calls"]) == 3


@pytest.mark.parametrize("extra", [{"nik": NIK}, {"name": "SITI AMINAH"}, {"screen": NIK}])
def test_a_call_carrying_anything_of_the_resident_is_refused(fresh_central, http, extra):
    answer = _post(http, fresh_central, {**_call(), **extra})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert NIK not in answer.text


def test_a_kiosk_calls_only_for_itself(fresh_central, http):
    assert _post(http, fresh_central, _call(), kiosk_id="ADM-OTHER-02").status_code == 403


def test_the_client_names_a_flood_too_many_requests(fresh_central, make_client):
    client = make_client(fresh_central)
    ack = client.call_help(uuid.uuid4().hex, "confirm", datetime.now(UTC))
    assert isinstance(ack, c.HelpCallAck)
    with pytest.raises(kc.TooManyRequests) as refused:
        client.call_help(uuid.uuid4().hex, "confirm", datetime.now(UTC))
    assert refused.value.retry_after is not None and refused.value.retry_after > 0
    with pytest.raises(kc.Rejected):  # a screen name outside the contract never leaves the kiosk
        client.call_help(uuid.uuid4().hex, NIK, datetime.now(UTC))
