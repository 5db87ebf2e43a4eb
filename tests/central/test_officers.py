"""The officer role at the reference service (issue 19), over real mutual TLS with the kiosk's own client:
an officer prints for a resident without a phone, only what they filed, with lockouts as for residents."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from central import cli
from central.officers import DEFAULT_OFFICER_SESSION_TTL_S
from central.testing import RunningCentral
from kiosk import central_client as kc


def _officer(central: RunningCentral, officer_id: str = "OPSI-001") -> dict:
    return next(o for o in central.summary["officers"] if o["id"] == officer_id)


def _card(officer: dict) -> str:
    return officer["card_qr"].split(":", 1)[1]


def _request(central: RunningCentral, role: str) -> dict:
    return central.resident(role)


def test_an_officer_prints_a_kk_for_a_resident_without_a_phone(fresh_central, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(fresh_central)
    officer = _officer(fresh_central)
    resident = _request(fresh_central, "no_phone")
    session = client.officer_login(_card(officer), officer["pin"])
    assert session.officer_id == "OPSI-001" and "Asep" not in session.masked_name
    requests = client.officer_requests(session)
    # Only their own request, the resident by initials: no NIK, no name in what the kiosk receives.
    assert [r.code for r in requests] == [resident["submission"]]
    listed = requests[0].model_dump_json()
    assert resident["nik"] not in listed and "Ujang" not in listed and requests[0].initials == "U. S."
    resident_session = client.open_for_request(session, resident["submission"], resident["nik"][-4:], True)
    assert [d.type for d in resident_session.documents] == ["kk"]
    kk = resident_session.documents[0]
    document = client.fetch_document(resident_session, kk.id, "JOB-OFFICER-1")  # bound to the resident: accepted
    assert document.meta.type == "kk"
    ack = client.report_print_event(kk.id, "JOB-OFFICER-1", "printed", counters={"pages": 1})
    assert ack.applied and ack.document_status == "printed"
    # Printed: the request leaves the officer's list; the service's records carry the officer's id.
    assert client.officer_requests(session) == []
    records = fresh_central.handle.store.officer_records("OPSI-001")
    assert [r["action"] for r in records] == ["login", "identity_checked", "claimed", "print_event"]
    assert records[-1]["job_id"] == "JOB-OFFICER-1" and records[-1]["outcome"] == "printed"
    assert records[-1]["kiosk_id"] == fresh_central.summary["kiosk_id"]
    client.officer_logout(session)
    with pytest.raises(kc.SessionExpired):
        client.officer_requests(session)
    text = caplog.text
    assert resident["nik"] not in text and officer["pin"] not in text and session.token not in text


def test_an_officer_cannot_open_a_request_they_did_not_file(fresh_central, make_client):
    client = make_client(fresh_central)
    other = _request(fresh_central, "no_phone_other")  # filed by OPSI-002
    session = client.officer_login(_card(_officer(fresh_central)), _officer(fresh_central)["pin"])
    with pytest.raises(kc.NotYourRequest):
        client.open_for_request(session, other["submission"], other["nik"][-4:], True)
    # A request the resident filed is refused alike.
    with pytest.raises(kc.NotYourRequest):
        _verify_and_open(fresh_central, client, session)
    actions = [r["action"] for r in fresh_central.handle.store.officer_records("OPSI-001")]
    assert actions.count("refused_not_filed") == 2


def _verify_and_open(central: RunningCentral, client: kc.CentralClient, session: kc.OfficerSession) -> None:
    code = central.summary["waiting_submission"]
    central.handle.store.verify_submission(code)
    client.open_for_request(session, code, central.resident("waiting")["nik"][-4:], True)


def test_wrong_officer_pins_lock_the_card(fresh_central, make_client):
    client = make_client(fresh_central)
    officer = _officer(fresh_central)
    wrong = "000000" if officer["pin"] != "000000" else "111111"
    left = []
    for _ in range(4):
        with pytest.raises(kc.InvalidCredentials) as refused:
            client.officer_login(_card(officer), wrong)
        left.append(refused.value.attempts_left)
    assert left == [4, 3, 2, 1]
    with pytest.raises(kc.Locked) as locked:
        client.officer_login(_card(officer), wrong)
    assert locked.value.retry_after and locked.value.retry_after > 14 * 60
    with pytest.raises(kc.Locked):  # the right PIN does not open a locked card either
        client.officer_login(_card(officer), officer["pin"])
    # The other officer's card is not locked.
    assert client.officer_login(_card(_officer(fresh_central, "OPSI-002")), _officer(fresh_central, "OPSI-002")["pin"])
    assert [r["action"] for r in fresh_central.handle.store.officer_records("OPSI-001")] == ["login_refused"] * 5


def test_the_identity_check_is_the_services_and_locks_too(fresh_central, make_client):
    client = make_client(fresh_central)
    officer = _officer(fresh_central)
    resident = _request(fresh_central, "no_phone")
    session = client.officer_login(_card(officer), officer["pin"])
    right = resident["nik"][-4:]
    wrong = f"{(int(right) + 1) % 10000:04d}"
    with pytest.raises(kc.Rejected):  # the KTP/KK tick is required
        client.open_for_request(session, resident["submission"], right, False)
    for _ in range(4):
        with pytest.raises(kc.InvalidCredentials):
            client.open_for_request(session, resident["submission"], wrong, True)
    with pytest.raises(kc.Locked):
        client.open_for_request(session, resident["submission"], wrong, True)
    with pytest.raises(kc.Locked):
        client.open_for_request(session, resident["submission"], right, True)


def test_officer_sessions_are_shorter_than_residents_and_bound_their_resident_sessions(fresh_central, make_client):
    client = make_client(fresh_central)
    officer = _officer(fresh_central)
    resident = _request(fresh_central, "no_phone")
    now = datetime.now(UTC)
    session = client.officer_login(_card(officer), officer["pin"])
    assert (session.expires_at - now).total_seconds() <= DEFAULT_OFFICER_SESSION_TTL_S + 5
    assert DEFAULT_OFFICER_SESSION_TTL_S < fresh_central.handle.store.session_ttl_s
    opened = client.open_for_request(session, resident["submission"], resident["nik"][-4:], True)
    assert opened.expires_at <= session.expires_at


def test_a_disabled_officer_cannot_sign_in(fresh_central, make_client, capsys):
    client = make_client(fresh_central)
    officer = _officer(fresh_central)
    session = client.officer_login(_card(officer), officer["pin"])
    assert cli.main(["officers", "--data", str(fresh_central.data_dir), "disable", "OPSI-001"]) == 0
    assert "OPSI-001: disabled" in capsys.readouterr().out
    with pytest.raises(kc.SessionExpired):
        client.officer_requests(session)
    with pytest.raises(kc.InvalidCredentials):
        client.officer_login(_card(officer), officer["pin"])
    assert cli.main(["officers", "--data", str(fresh_central.data_dir), "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {o["id"]: o["active"] for o in listed} == {"OPSI-001": False, "OPSI-002": True}
    assert "pin" not in json.dumps(listed)


def test_officers_cli_adds_an_officer_whose_request_pin_goes_to_their_whatsapp(world_template, tmp_path, capsys):
    from central.testing import clone_world

    running = clone_world(world_template, tmp_path / "central")
    running.stop()  # the CLI works on the data directory, as an operator's would
    data = str(running.data_dir)
    assert cli.main(["officers", "--data", data, "add", "OPSI-009", "--name", "Dadang Hidayat",
                     "--kecamatan", "Sukasari", "--whatsapp", "+6281300000009", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["officer_id"] == "OPSI-009" and added["card_qr"].startswith("ADM-PETUGAS:")
    from central.store import Store

    store = Store(running.data_dir)
    try:
        from central.documents import Holder

        store.add_resident(Holder("3273014707480008", "Imas Rostina", "Bandung", "07-07-1948", "PEREMPUAN",
                                  "Jl. Contoh No. 1, Sukasari, Kota Bandung"), "")
        store.add_submission("SUB-2026-0109", "3273014707480008", ["kk"], filed_by="OPSI-009")
    finally:
        store.close()
    assert cli.main(["verify", "--data", data, "SUB-2026-0109"]) == 0
    assert "filed by officer OPSI-009" in capsys.readouterr().out
    from central.whatsapp import WhatsAppGateway

    last = WhatsAppGateway(running.data_dir).messages()[-1]
    assert last.number == "+6281300000009" and "SUB-2026-0109" in last.text and "I. R." in last.text
    assert "Imas" not in last.text and "3273014707480008" not in last.text
    assert cli.main(["verify", "--data", data, running.summary["waiting_submission"]]) == 0
    assert "filed by the resident" in capsys.readouterr().out
