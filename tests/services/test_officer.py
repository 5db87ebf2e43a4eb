"""The officer role on a whole kiosk (issue 19): the officer card scanned through the serial reader, the real
central service over mutual TLS, the real journal, outbox and audit log, the simulated printers.

An officer prints a KK for a resident without a phone; an officer session that times out mid-print lets the
job finish and be recorded (journal, the service's print event, the audit log), then returns to the attract
screen."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import replace

import pytest

from central.store import DB_FILE
from kiosk.flow import (
    CancelPressed,
    Confirmed,
    Flow,
    IdentitySubmitted,
    OfficerPinSubmitted,
    OfficerPressed,
    OfficerRequestChosen,
    Phase,
    PrintPressed,
    Screen,
    Tick,
)
from printjobs.audit import AuditKind
from printjobs.journal import JobState
from tests.services.conftest import SLOW_PRINTERS


def sign_in_and_check(kiosk, officer_id: str = "OPSI-001", role: str = "no_phone") -> dict:
    """Touch 'Petugas', scan the officer card, type the PIN, choose the request, pass the identity check."""
    officer = next(o for o in kiosk.central.summary["officers"] if o["id"] == officer_id)
    resident = kiosk.central.resident(role)
    kiosk.do(OfficerPressed)
    kiosk.scan(officer["card_qr"].encode())
    kiosk.wait(lambda s: s.officer is not None and bool(s.officer.card), "the card to be read")
    kiosk.do(OfficerPinSubmitted, pin=officer["pin"])
    state = kiosk.wait(lambda s: s.screen is Screen.OFFICER_REQUESTS, "the officer's requests")
    assert [r.code for r in state.officer.requests] == [resident["submission"]]
    kiosk.do(OfficerRequestChosen, code=resident["submission"])
    kiosk.do(IdentitySubmitted, digits=resident["nik"][-4:], checked=True)
    state = kiosk.wait(lambda s: s.screen is Screen.DOCUMENTS, "the resident's documents")
    assert [d.type for d in state.documents] == ["kk"] and state.nik is None
    return resident


def officer_audit(kiosk) -> list[dict]:
    return [e.body for e in kiosk.runtime.store.audit.entries() if e.kind == AuditKind.OFFICER]


def wait_for_audit(kiosk, action: str) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = officer_audit(kiosk)
        if any(e["action"] == action for e in entries):
            return entries
        time.sleep(0.05)
    raise AssertionError(f"no officer audit entry {action!r}: {officer_audit(kiosk)}")


def central_events(kiosk, document_id: str) -> list[tuple[str, str]]:
    with sqlite3.connect(kiosk.central.data_dir / DB_FILE) as db:
        return db.execute("SELECT kiosk_id, outcome FROM print_events WHERE document_id=?", (document_id,)).fetchall()


def test_an_officer_prints_a_kk_for_a_resident_without_a_phone(kiosk, caplog):
    caplog.set_level(logging.DEBUG)
    resident = sign_in_and_check(kiosk)
    kk = kiosk.state.documents[0].id
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    state = kiosk.wait(lambda s: s.screen is Screen.DONE, "the done screen", timeout=60)
    assert [p.phase for p in state.progress] == [Phase.DONE]
    assert len(list(kiosk.runtime.devices.document_printer.output_dir.glob("*.pdf"))) == 1
    kiosk.do(CancelPressed)  # 'Selesai'
    assert kiosk.state.screen is Screen.ATTRACT and kiosk.state.officer is None
    # The same journal and outbox as a resident's own print; the service records the officer with it.
    assert kiosk.runtime.store.outbox.drain(timeout_s=20)
    [job] = kiosk.runtime.store.journal.jobs()
    assert job.document_id == kk and job.state is JobState.REPORTED
    assert central_events(kiosk, kk) == [("ADM-TEST-01", "printed")]
    records = kiosk.central.handle.store.officer_records("OPSI-001")
    assert [r["action"] for r in records][-2:] == ["print_event", "logout"] or \
        [r["action"] for r in records][-2:] == ["logout", "print_event"]
    # Every officer action in the kiosk's audit log, with the officer's id, and the log still verifies.
    actions = [e["action"] for e in wait_for_audit(kiosk, "signed_out")]
    assert actions == ["signed_in", "request_chosen", "identity_checked", "document_printed", "signed_out"]
    assert all(e["officer"] == "OPSI-001" for e in officer_audit(kiosk))
    assert kiosk.runtime.store.audit.verify().ok
    officer = next(o for o in kiosk.central.summary["officers"] if o["id"] == "OPSI-001")
    text = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    audit_text = str(officer_audit(kiosk))
    for secret in (resident["nik"], resident["name"], officer["pin"], officer["card_qr"].split(":", 1)[1],
                   "Asep", resident["nik"][-4:]):
        assert secret not in text and secret not in audit_text, secret


@pytest.mark.heavy  # a print of a few seconds on the slow simulated printer
@pytest.mark.parametrize("kiosk", [SLOW_PRINTERS], indirect=True)
def test_an_officer_session_timing_out_mid_print_lets_the_job_finish_and_be_recorded(kiosk):
    # The officer session ends 1 s after sign-in on the kiosk; the print takes about 2 s a page.
    kiosk.controller.flow = Flow(replace(kiosk.controller.flow.settings, officer_session_s=1.0))
    sign_in_and_check(kiosk)
    kk = kiosk.state.documents[0].id
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    kiosk.wait(lambda s: any(p.phase is Phase.PRINTING for p in s.progress), "the print to start")
    deadline = time.monotonic() + 10
    while not kiosk.state.officer.timed_out and time.monotonic() < deadline:
        kiosk.do(Tick)  # the UI's clock
        kiosk.settle(0.1)
    state = kiosk.state
    assert state.screen is Screen.PRINTING and state.officer.timed_out  # the print goes on
    assert state.message.key == "officer.ending_after_print"
    state = kiosk.wait(lambda s: s.screen is not Screen.PRINTING, "the end of the print", timeout=60)
    assert state.screen is Screen.ATTRACT and state.officer is None and state.session is None
    assert state.message.key == "officer.session_ended"
    # The job finished and is recorded: on paper, in the journal, at the service, in the audit log.
    assert len(list(kiosk.runtime.devices.document_printer.output_dir.glob("*.pdf"))) == 1
    assert kiosk.runtime.store.outbox.drain(timeout_s=20)
    [job] = kiosk.runtime.store.journal.jobs()
    assert job.document_id == kk and job.state is JobState.REPORTED and job.cause is None
    assert central_events(kiosk, kk) == [("ADM-TEST-01", "printed")]
    actions = [e["action"] for e in wait_for_audit(kiosk, "signed_out")]
    assert actions == ["signed_in", "request_chosen", "identity_checked", "session_timeout", "document_printed",
                       "signed_out"]
    assert officer_audit(kiosk)[3]["during"] == "printing"


def test_five_wrong_officer_pins_lock_the_card_at_the_kiosk(kiosk):
    officer = next(o for o in kiosk.central.summary["officers"] if o["id"] == "OPSI-001")
    wrong = f"{(int(officer['pin']) + 1) % 1_000_000:06d}"
    kiosk.do(OfficerPressed)
    messages = []
    for _ in range(6):  # the sixth, with the right PIN, finds the card locked
        kiosk.scan(officer["card_qr"].encode())
        kiosk.wait(lambda s: bool(s.officer.card), "the card to be read")
        kiosk.do(OfficerPinSubmitted, pin=wrong if len(messages) < 5 else officer["pin"])
        state = kiosk.wait(lambda s: not s.busy, "the sign-in answer")
        messages.append((state.message.key, state.message.params))
    assert messages[:4] == [("officer.invalid", {"attempts_left": n}) for n in (4, 3, 2, 1)]
    assert messages[4] == ("officer.locked", {"minutes": 15})
    assert messages[5] == ("officer.locked", {"minutes": 15})
    assert kiosk.state.screen is Screen.OFFICER_LOGIN and kiosk.state.officer.card == ""
    deadline = time.monotonic() + 10  # the audit log is written on its own thread
    while len(officer_audit(kiosk)) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e["action"] for e in officer_audit(kiosk)] == ["sign_in_refused"] * 6


def test_a_request_reassigned_to_another_officer_meanwhile_is_refused(kiosk):
    """The list said it was theirs; the service, asked at the identity check, says it no longer is."""
    resident = kiosk.central.resident("no_phone")
    officer = next(o for o in kiosk.central.summary["officers"] if o["id"] == "OPSI-001")
    kiosk.do(OfficerPressed)
    kiosk.scan(officer["card_qr"].encode())
    kiosk.wait(lambda s: bool(s.officer.card), "the card to be read")
    kiosk.do(OfficerPinSubmitted, pin=officer["pin"])
    kiosk.wait(lambda s: s.screen is Screen.OFFICER_REQUESTS, "the officer's requests")
    with sqlite3.connect(kiosk.central.data_dir / DB_FILE) as db:
        db.execute("UPDATE submissions SET filed_by='OPSI-002' WHERE id=?", (resident["submission"],))
    kiosk.do(OfficerRequestChosen, code=resident["submission"])
    kiosk.do(IdentitySubmitted, digits=resident["nik"][-4:], checked=True)
    state = kiosk.wait(lambda s: not s.busy, "the identity check's answer")
    assert state.screen is Screen.OFFICER_REQUESTS and state.message.key == "officer.not_yours"
    assert state.session is None and state.documents == ()
    assert [r["action"] for r in kiosk.central.handle.store.officer_records("OPSI-001")][-1] == "refused_not_filed"
    assert wait_for_audit(kiosk, "identity_refused")[-1]["reason"] == "officer.not_yours"
