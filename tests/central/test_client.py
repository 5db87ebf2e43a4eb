"""The kiosk client against the reference server, over real mutual TLS on loopback."""

from __future__ import annotations

import io
import logging
import sqlite3
import zipfile

import pytest
from PIL import Image

from central.contract import RESOLUTION_SUFFIX, DocumentStatus, Heartbeat, PrintOutcome, VerifyStatus, holder_digest
from central.store import DB_FILE
from central.testing import RunningCentral
from kiosk import central_client as kc

UNKNOWN_NIK = "3273010101900009"  # well-formed, belongs to nobody


def _login(client: kc.CentralClient, central: RunningCentral, role: str = "ready") -> kc.Session:
    resident = central.resident(role)
    return client.login(resident["nik"], resident["pin"])


def _doc(session: kc.Session, doc_type: str) -> str:
    return next(d.id for d in session.documents if d.type == doc_type)


# ------------------------------------------------------------------ sessions
def test_login_shows_masked_name_and_ready_documents(central, make_client):
    client = make_client(central)
    session = _login(client, central)
    assert session.masked_name == "B*** S******"
    assert {d.type for d in session.documents} == {"kk", "akta_kelahiran", "ktp_el"}
    assert all(d.status == DocumentStatus.READY for d in session.documents)
    assert session.token not in repr(session) and "Budi" not in repr(session)
    assert [d.id for d in client.documents(session)] == [d.id for d in session.documents]


def test_wrong_pins_count_down_then_lock(fresh_central, make_client):
    client = make_client(fresh_central)
    resident = fresh_central.resident("ready_woman")
    wrong = "000000" if resident["pin"] != "000000" else "111111"
    left = []
    for _ in range(4):
        with pytest.raises(kc.InvalidCredentials) as refused:
            client.login(resident["nik"], wrong)
        left.append(refused.value.attempts_left)
    assert left == [4, 3, 2, 1]
    with pytest.raises(kc.Locked) as locked:
        client.login(resident["nik"], wrong)
    assert 14 * 60 < locked.value.retry_after <= 15 * 60
    with pytest.raises(kc.Locked):  # even the right PIN waits out the lock
        client.login(resident["nik"], resident["pin"])


def test_an_unknown_nik_is_answered_like_a_wrong_pin(central, make_client):
    client = make_client(central)
    with pytest.raises(kc.InvalidCredentials) as unknown:
        client.login(UNKNOWN_NIK, "123456")
    assert unknown.value.attempts_left == 4


def test_logout_revokes_the_token(central, make_client):
    client = make_client(central)
    session = _login(client, central, "printed")
    client.logout(session)
    with pytest.raises(kc.SessionExpired):
        client.documents(session)
    client.logout(session)  # twice is harmless


def test_qr_login_from_the_seed(central, make_client):
    client = make_client(central)
    resident = central.resident("printed")
    session = client.login_qr(resident["qr_token"], holder_digest(resident["nik"]))
    assert session.masked_name == "A*** W*****"
    with pytest.raises(kc.InvalidCredentials):
        client.login_qr("x" * 32, holder_digest(resident["nik"]))


def test_already_printed_document_is_listed_as_printed(central, make_client):
    client = make_client(central)
    session = _login(client, central, "printed")
    statuses = {d.type: d.status for d in session.documents}
    assert statuses == {"ktp_el": DocumentStatus.PRINTED, "akta_kelahiran": DocumentStatus.READY}
    with pytest.raises(kc.AlreadyPrinted):
        client.fetch_document(session, _doc(session, "ktp_el"), "job-printed-1")


# ------------------------------------------------------------------ documents
def test_documents_arrive_verified_with_progress(fresh_central, make_client):
    client = make_client(fresh_central)
    session = _login(client, fresh_central)
    seen: list[tuple[int, int | None]] = []
    card = client.fetch_document(session, _doc(session, "ktp_el"), "job-card-1",
                                 progress=lambda got, total: seen.append((got, total)))
    assert card.content_type == "application/zip" and card.key_id == "demo-2026"
    with zipfile.ZipFile(io.BytesIO(card.content)) as archive:
        assert sorted(archive.namelist()) == ["back.png", "front.png"]
        for name in ("front.png", "back.png"):
            assert Image.open(io.BytesIO(archive.read(name))).size == (1012, 638)
    assert seen[-1] == (len(card.content), len(card.content))
    assert len(seen) > 1 and all(a[0] < b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert "content=" not in repr(card)

    kk = client.fetch_document(session, _doc(session, "kk"), "job-kk-1")
    assert kk.content.startswith(b"%PDF") and kk.meta.version == 2


@pytest.mark.parametrize("recompute_digest", [False, True])
def test_a_document_tampered_by_one_byte_is_refused(fresh_central, make_client, recompute_digest):
    client = make_client(fresh_central)
    session = _login(client, fresh_central)
    doc_id = _doc(session, "kk")
    with sqlite3.connect(fresh_central.data_dir / DB_FILE) as db:
        content = bytearray(db.execute("SELECT content FROM documents WHERE id=?", (doc_id,)).fetchone()[0])
        content[len(content) // 2] ^= 0x01
        db.execute("UPDATE documents SET content=? WHERE id=?", (bytes(content), doc_id))
        if recompute_digest:  # an attacker who also fixes the digest still cannot sign
            import hashlib

            db.execute("UPDATE documents SET sha256=? WHERE id=?", (hashlib.sha256(content).hexdigest(), doc_id))
    with pytest.raises(kc.BadSignature):
        client.fetch_document(session, doc_id, "job-tampered")


def test_a_signature_by_an_untrusted_key_is_refused(fresh_central, make_client, tmp_path):
    from central.pki import make_signing_key

    _, public = make_signing_key()
    (tmp_path / "other.pub").write_bytes(public)
    client = make_client(fresh_central, signing_keys=[{"key_id": "demo-2026", "public_key": tmp_path / "other.pub"}])
    session = _login(client, fresh_central)
    with pytest.raises(kc.BadSignature):
        client.fetch_document(session, _doc(session, "kk"), "job-1")
    unknown_id = make_client(fresh_central, signing_keys=[{"key_id": "other", "public_key": tmp_path / "other.pub"}])
    with pytest.raises(kc.BadSignature):
        unknown_id.fetch_document(session, _doc(session, "kk"), "job-1")


def test_claims_printing_and_replayed_events(fresh_central, make_client):
    client = make_client(fresh_central)
    session = _login(client, fresh_central)
    doc_id = _doc(session, "akta_kelahiran")

    client.fetch_document(session, doc_id, "job-A")
    client.fetch_document(session, doc_id, "job-A")  # the same job may fetch again after a crash
    with pytest.raises(kc.AlreadyClaimed):
        client.fetch_document(session, doc_id, "job-B")

    failed = client.report_print_event(doc_id, "job-A", PrintOutcome.FAILED, cause="media-jam", counters={"pages": 0})
    assert failed.applied and failed.document_status == DocumentStatus.READY
    client.fetch_document(session, doc_id, "job-B")  # a failure released the claim

    first = client.report_print_event(doc_id, "job-B", "printed", counters={"pages": 1})
    replay = client.report_print_event(doc_id, "job-B", "printed", counters={"pages": 1})
    assert first == replay and first.document_status == DocumentStatus.PRINTED
    assert fresh_central.handle.store.print_event_count(doc_id) == 2  # job-A failed, job-B printed: once each
    with pytest.raises(kc.IdempotencyConflict):  # same key, another story
        client.report_print_event(doc_id, "job-B", "failed", cause="media-jam")

    for job in ("job-B", "job-C"):  # printed with this PIN: never again, whichever job asks
        with pytest.raises(kc.AlreadyPrinted):
            client.fetch_document(session, doc_id, job)
    assert {d.id: d.status for d in client.documents(session)}[doc_id] == DocumentStatus.PRINTED


def test_print_events_need_no_session(fresh_central, make_client):
    client = make_client(fresh_central)
    session = _login(client, fresh_central)
    doc_id = _doc(session, "ktp_el")
    client.fetch_document(session, doc_id, "job-U")
    client.logout(session)  # the outbox may deliver a day after the session ended
    ack = client.report_print_event(doc_id, "job-U", PrintOutcome.UNCERTAIN, cause="failed-encode")
    assert ack.applied and ack.document_status == DocumentStatus.UNCERTAIN
    again = _login(client, fresh_central)
    with pytest.raises(kc.AlreadyPrinted):  # uncertain stays blocked
        client.fetch_document(again, doc_id, "job-V")
    stray = client.report_print_event(doc_id, "job-never-claimed", PrintOutcome.PRINTED)
    assert not stray.applied
    with pytest.raises(kc.Rejected):  # outside the contract: a job id with a space
        client.report_print_event(doc_id, "job never", PrintOutcome.PRINTED)


# ------------------------------------------------------------------ operator and WhatsApp
def test_operator_verify_sends_a_pin_that_logs_in(fresh_central, make_client, capsys):
    from central.cli import main

    resident = fresh_central.resident("waiting")
    client = make_client(fresh_central)
    with pytest.raises(kc.InvalidCredentials):  # nothing issued yet
        client.login(resident["nik"], "123456")
    before = len(fresh_central.outbox())
    assert main(["verify", "--data", str(fresh_central.data_dir), resident["submission"]]) == 0
    message = fresh_central.outbox()[-1]
    assert len(fresh_central.outbox()) == before + 1 and message.number == resident["whatsapp"]
    assert message.pin in message.text and message.qr_token in message.text
    session = client.login(resident["nik"], message.pin)
    assert {d.type for d in session.documents} == {"kk", "akta_kelahiran"}
    assert message.qr_link.endswith(f"t={message.qr_token}&h={holder_digest(resident['nik'])}")
    assert client.login_qr(message.qr_token, holder_digest(resident["nik"])).masked_name == session.masked_name
    assert main(["verify", "--data", str(fresh_central.data_dir), resident["submission"]]) == 1
    assert main(["outbox", "--data", str(fresh_central.data_dir)]) == 0
    assert message.pin in capsys.readouterr().out


def test_pin_requests_always_answer_the_same(fresh_central, make_client):
    client = make_client(fresh_central)
    fresh_central.handle.store.set_setting("pin_request_cooldown_s", "0")
    resident = fresh_central.resident("ready_woman")
    before = len(fresh_central.outbox())
    assert client.request_pin(UNKNOWN_NIK) is None
    assert len(fresh_central.outbox()) == before
    assert client.request_pin(resident["nik"]) is None
    message = fresh_central.outbox()[-1]
    assert message.number == resident["whatsapp"]
    assert client.login(resident["nik"], resident["pin"]).masked_name == "D*** L******"  # still held
    assert client.login(resident["nik"], message.pin).masked_name == "D*** L******"
    if resident["pin"] != message.pin:  # the new PIN, once used, replaced the old one (one in a million they match)
        with pytest.raises(kc.InvalidCredentials):
            client.login(resident["nik"], resident["pin"])


# ------------------------------------------------------------------ kiosk-level calls
def test_verify_codes(central, make_client):
    client = make_client(central)
    codes = central.summary["verify_codes"]
    assert client.verify_code(codes["active"][0]).status == VerifyStatus.ACTIVE
    superseded = client.verify_code(codes["superseded"][0])
    assert superseded.status == VerifyStatus.SUPERSEDED and superseded.document_type == "kk"
    assert client.verify_code("NOSUCHCODE").status == VerifyStatus.UNKNOWN


def test_queue_check_in_twice_gives_one_ticket(central, make_client):
    client = make_client(central)
    code = central.summary["queue_bookings"][0]
    first = client.queue_check_in(code)
    assert first.ticket_number.startswith("A-") and client.queue_check_in(code) == first
    with pytest.raises(kc.NotFound):
        client.queue_check_in("ANTRI-0000")


def test_heartbeat_is_stored(central, make_client):
    client = make_client(central)
    beat = Heartbeat(devices={"card_printer": {"state": "WARNING", "reasons": ["blanko-low"]}},
                     consumables={"blanko": 12}, counters={"cards": 88})
    client.heartbeat(beat)
    assert central.handle.store.heartbeats("ADM-TEST-01")[-1] == beat


def test_nothing_personal_reaches_the_logs(central, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(central)
    resident = central.resident("printed")
    session = client.login(resident["nik"], resident["pin"])
    client.fetch_document(session, _doc(session, "akta_kelahiran"), "job-logs-1")
    with pytest.raises(kc.InvalidCredentials):
        client.login(UNKNOWN_NIK, "654321")
    text = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "central.document_verified" in text  # the log is there...
    for secret in (resident["nik"], resident["pin"], session.token, "Agus", UNKNOWN_NIK, "654321"):
        assert secret not in text  # ...and holds nothing personal


@pytest.mark.parametrize("answer,status", [(PrintOutcome.FAILED, DocumentStatus.READY),
                                           (PrintOutcome.PRINTED, DocumentStatus.PRINTED)])
def test_a_technicians_answer_follows_an_uncertain_event(fresh_central, make_client, answer, status):
    client = make_client(fresh_central)
    session = _login(client, fresh_central)
    doc_id = _doc(session, "ktp_el")
    client.fetch_document(session, doc_id, "job-R")
    client.report_print_event(doc_id, "job-R", PrintOutcome.UNCERTAIN, cause="interrupted-while-sending")
    key = "job-R" + RESOLUTION_SUFFIX
    ack = client.report_print_event(doc_id, "job-R", answer, counters={"resolved_by_technician": 1}, key=key)
    assert ack.applied and ack.document_status == status
    assert client.report_print_event(doc_id, "job-R", answer, counters={"resolved_by_technician": 1}, key=key) == ack
    assert {d.id: d.status for d in client.documents(session)}[doc_id] == status
    with pytest.raises(kc.Rejected):  # a key that is neither the job id nor its resolution
        client.report_print_event(doc_id, "job-R", answer, key="job-S" + RESOLUTION_SUFFIX)
