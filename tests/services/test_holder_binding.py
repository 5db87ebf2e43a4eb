"""Issue 16: a faulty central service hands resident A a genuinely signed document of resident B. The kiosk
refuses it before a byte reaches a printer, after a NIK login and after a QR login alike; the resident is
told in plain words, the journal and the service learn why, and nothing personal reaches the logs."""

from __future__ import annotations

import logging
import sqlite3
import time

from central.store import DB_FILE
from kiosk.flow import (
    Confirmed,
    DocumentToggled,
    Phase,
    PrintPressed,
    Screen,
)
from printjobs.journal import JobState


def hand_over(kiosk, to_role: str, of_role: str) -> str:
    """The vendor bug: ``to_role``'s PIN now also covers ``of_role``'s KTP-el (genuinely signed, for its holder)."""
    receiver, holder = kiosk.central.resident(to_role), kiosk.central.resident(of_role)
    foreign = next(d["id"] for d in holder["documents"] if d["type"] == "ktp_el")
    with sqlite3.connect(kiosk.central.data_dir / DB_FILE) as db:
        pin_id = db.execute("SELECT id FROM pins WHERE nik=? AND revoked=0", (receiver["nik"],)).fetchone()[0]
        db.execute("INSERT INTO grants VALUES (?, ?, 'ready', NULL, ?)", (pin_id, foreign, time.time()))
    return foreign


def print_only(kiosk, document_id: str):
    state = kiosk.wait(lambda s: s.screen is Screen.DOCUMENTS, "the documents")
    assert document_id in {d.id for d in state.documents}  # the faulty service lists it
    for doc in state.documents:
        if (doc.id in state.selected) != (doc.id == document_id):
            kiosk.do(DocumentToggled, document_id=doc.id)
    assert kiosk.state.selected == {document_id}
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    return kiosk.wait(lambda s: s.screen is Screen.DONE, "the end of printing", timeout=60)


def assert_refused(kiosk, foreign: str, state, secrets: list[str], caplog) -> None:
    [progress] = state.progress
    assert progress.phase is Phase.FAILED and progress.error == "print.not_yours"
    devices = kiosk.runtime.devices
    printed = [*devices.document_printer.output_dir.glob("*"), *devices.card_printer.output_dir.glob("*")]
    assert printed == [], "a document of someone else reached a printer"
    # The service learns what happened (the claim is released with the cause), through the outbox.
    assert kiosk.runtime.store.outbox.drain(timeout_s=20)
    with sqlite3.connect(kiosk.central.data_dir / DB_FILE) as db:
        events = db.execute("SELECT outcome, cause FROM print_events WHERE document_id=?", (foreign,)).fetchall()
    assert events == [("failed", "fetch:wrong-holder")]
    [job] = [j for j in kiosk.runtime.store.journal.jobs() if j.document_id == foreign]
    assert job.state is JobState.REPORTED and job.cause == "fetch:wrong-holder"
    text = caplog.text + " ".join(str(getattr(r, "fields", "")) for r in caplog.records)
    assert "wrong-holder" in text
    for secret in secrets:
        assert secret not in text


def test_after_a_nik_login_a_document_of_someone_else_is_refused_before_the_printer(kiosk, caplog):
    caplog.set_level(logging.DEBUG)
    foreign = hand_over(kiosk, "ready", "ready_woman")
    budi, dewi = kiosk.central.resident("ready"), kiosk.central.resident("ready_woman")
    kiosk.log_in(budi["nik"], budi["pin"])
    state = print_only(kiosk, foreign)
    assert_refused(kiosk, foreign, state, [budi["nik"], dewi["nik"], budi["pin"], "Dewi", "Budi"], caplog)


def test_after_a_qr_login_a_document_of_someone_else_is_refused_before_the_printer(kiosk, caplog):
    caplog.set_level(logging.DEBUG)
    foreign = hand_over(kiosk, "ready_woman", "ready")
    dewi, budi = kiosk.central.resident("ready_woman"), kiosk.central.resident("ready")
    link = next(m.qr_link for m in kiosk.central.outbox() if m.qr_token == dewi["qr_token"])
    kiosk.scan(link.encode())
    state = print_only(kiosk, foreign)
    assert_refused(kiosk, foreign, state, [dewi["nik"], budi["nik"], dewi["qr_token"], "Dewi", "Budi"], caplog)


def test_the_residents_own_documents_still_print_next_to_a_refused_one(kiosk):
    foreign = hand_over(kiosk, "ready", "ready_woman")
    budi = kiosk.central.resident("ready")
    kiosk.log_in(budi["nik"], budi["pin"])
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    state = kiosk.wait(lambda s: s.screen is Screen.DONE, "the end of printing", timeout=60)
    phases = {p.id: (p.phase, p.error) for p in state.progress}
    assert phases.pop(foreign) == (Phase.FAILED, "print.not_yours")
    assert set(phases.values()) == {(Phase.DONE, None)} and len(phases) == 3
    assert len(list(kiosk.runtime.devices.card_printer.output_dir.glob("*-front.png"))) == 1  # Budi's own KTP-el
