"""The headless demo end to end: real Kivy app, reference server over mutual TLS, simulated printers.

One run of ``adm-kiosk demo --headless`` (taps through every screen) is shared by the tests below.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

pytestmark = [pytest.mark.ui, pytest.mark.heavy]  # the demo fixture runs the whole headless demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "KIVY_WINDOW", "DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "demo", "--headless", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:],
                                    (out / "screens" / "report.json").read_text()
                                    if (out / "screens" / "report.json").exists() else "")
    return out


def summary(out: Path) -> dict:
    return json.loads((out / "central" / "seed-summary.json").read_text())


def central_documents(out: Path) -> dict[str, tuple[str, bytes]]:
    with sqlite3.connect(out / "central" / "central.db") as db:
        return {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, content_type, content FROM documents")}


def test_every_screen_was_shot(demo: Path):
    report = json.loads((demo / "screens" / "report.json").read_text())
    shown = {entry["screen"] for entry in report["screens"]}
    assert {"attract", "nik_entry", "pin_entry", "documents", "printing", "done", "out_of_service"} <= shown
    assert {entry["language"] for entry in report["screens"]} == {"id", "en"}
    for entry in report["screens"]:
        image = Image.open(demo / "screens" / entry["file"])
        assert image.size == (1280, 800)
        assert sum(1 for n in image.convert("L").resize((64, 40)).histogram() if n) > 8, entry["file"]


def test_what_the_resident_saw_at_each_step(demo: Path):
    checks = json.loads((demo / "screens" / "report.json").read_text())["checks"]
    assert checks["malformed_nik_message"] == "nik.birth_date"
    assert checks["wrong_pin_message"] == "login.invalid"
    assert checks["first_session_phases"] == ["done", "done", "done"]
    assert checks["fault_session_phases"] == ["failed"]
    assert checks["idle_warning_closed"] is True
    assert checks["nik_left_in_widgets"] is False
    assert checks["language_after_logout"] == "id"
    assert checks["garbage_scan_message"] == "scan.unknown"


def test_the_ktp_el_and_finger_logins(demo: Path):
    checks = json.loads((demo / "screens" / "report.json").read_text())["checks"]
    assert checks["card_login_documents"] == ["ktp_el"]
    assert checks["finger_no_match_message"] == "finger.no_match"
    assert checks["finger_fallback"] == ["finger.fallback", True]  # the PIN screen with the card's NIK
    assert checks["card_unreadable_message"] == "card.unreadable"
    report = json.loads((demo / "screens" / "report.json").read_text())
    shots = {entry["file"].split("-", 1)[1]: entry["screen"] for entry in report["screens"]}
    assert shots["finger-prompt.png"] == "finger" and shots["documents-after-card-login.png"] == "documents"
    assert shots["pin-after-four-fingers.png"] == "pin_entry" and shots["card-unreadable.png"] == "nik_entry"
    assert shots["technician-readers.png"] == "technician"
    assert "simulated: read a NIK" in checks["technician_card_test"]  # whether, never which


def test_the_operator_steers_the_kiosk_through_the_heartbeat(demo: Path):
    report = json.loads((demo / "screens" / "report.json").read_text())
    shots = {entry["file"].split("-", 1)[1]: entry["screen"] for entry in report["screens"]}
    assert shots["out-of-service-by-operator.png"] == "out_of_service"  # sent with adm-central command
    assert shots["closed-opening-hours.png"] == shots["closed-daily-cap.png"] == "closed"
    assert shots["attract-central-unreachable.png"] == "attract"
    checks = report["checks"]
    assert checks["closed_reopens"][1] == "08:00" and checks["capped_after_documents"] >= 1
    assert checks["config_push"] == "failed"  # never reached READY: rolled back and acknowledged as failed
    assert checks["technician_spoiled"] == 1  # from the technician screen, with its cause
    fleet = (demo / "screens" / "fleet.txt").read_text()
    assert fleet.startswith("KIOSK") and "ADM-DEMO-01" in fleet and "0 pending" in fleet
    assert "1 (last " in fleet and " on documents)" in fleet  # the resident's call for help
    assert "(1 failed or refused)" in fleet  # the config push that was rolled back


def test_a_call_for_help_in_the_middle_of_a_session(demo: Path):
    report = json.loads((demo / "screens" / "report.json").read_text())
    checks = report["checks"]
    assert checks["help_call"] == "sent" and checks["help_call_again"] == "already"
    assert checks["help_session_kept"] is True
    shots = {entry["file"].split("-", 1)[1]: entry["screen"] for entry in report["screens"]}
    assert shots["help-called.png"] == "documents"


def test_the_technician_visit(demo: Path):
    """Corner hold, a wrong PIN, then the panel: paper-out seen and fixed by a reload, a test page
    printed, an uncertain job resolved, the export written to the mounted stick."""
    checks = json.loads((demo / "screens" / "report.json").read_text())["checks"]
    assert checks["technician_wrong_pin"] is True
    assert checks["technician_saw_media_empty"] is True
    assert checks["technician_test_page"] is True
    assert checks["technician_resolved"] in ("RESOLVED", "REPORTED")
    assert checks["technician_no_usb_message"] is True
    exported = checks["technician_export"]
    assert re.fullmatch(r"audit-\d{4}-\d{2}\.csv", exported[0])
    assert exported[1:] == ["audit-verify.json", "diagnostics.json", "journal.json"]
    report = json.loads((demo / "screens" / "report.json").read_text())
    assert {"technician"} <= {entry["screen"] for entry in report["screens"]}


def test_queue_verification_and_pin_resend_paths(demo: Path):
    report = json.loads((demo / "screens" / "report.json").read_text())
    checks = report["checks"]
    assert checks["queue_ticket"] == ["A-001", True]
    assert checks["queue_expired_message"] == "queue.expired"
    assert checks["verify_outcomes"] == ["active", "superseded", "unknown"]
    assert checks["verify_garbage"] == ["verify", "verify.scan_wrong"]
    known, unknown = checks["pin_reset_answers"]
    assert known == unknown == ["pin_reset", "pin_reset.sent"]
    assert checks["slip_printed"] is True
    assert checks["catalogue_titles"] == ["Biodata Penduduk", "Kartu Identitas Anak", "Kutipan Akta Perkawinan",
                                          "Surat Keterangan Pindah"]
    # The A4 printer switched off: its three documents unavailable (printer not answering), the KIA printable.
    assert checks["switched_off_documents"] == [["a4", "unavailable", "offline-report"]] * 3 + [["card", "ready", ""]]
    shots = {entry["file"].split("-", 1)[1] for entry in report["screens"]}
    assert {"queue-entry.png", "queue-ticket.png", "queue-expired.png", "verify-scan.png", "verify-active.png",
            "verify-superseded.png", "verify-unknown.png", "pin-reset.png", "pin-reset-sent.png",
            "documents-new-types.png", "documents-printer-switched-off.png"} <= shots
    assert {"queue", "verify", "pin_reset"} <= {entry["screen"] for entry in report["screens"]}


def test_the_ticket_and_the_slip_came_out_of_the_receipt_printer(demo: Path):
    texts = [p.read_text() for p in sorted((demo / "printed" / "receipt_printer").glob("receipt-*.txt"))]
    slip = next(t for t in texts if "DOKUMEN TERCETAK" in t)
    assert " 1 x Kartu Keluarga" in slip and " 1 x KTP Elektronik" in slip and "[QR] https://" in slip
    ticket = next(t for t in texts if "NOMOR ANTRIAN" in t)
    assert "A-001" in ticket and "Perekaman KTP-el" in ticket and "Loket 2" in ticket


def test_printed_pdfs_are_byte_identical_to_the_signed_documents(demo: Path):
    documents = central_documents(demo)
    printed = sorted(p for p in (demo / "printed" / "document_printer").glob("*.pdf")
                     if not p.name.startswith("selftest-"))  # the technician's test page
    # The first resident's KK and akta, and the KK an officer printed for a resident without a phone.
    a4 = [d["id"] for r in summary(demo)["residents"] if r["role"] in ("ready", "no_phone")
          for d in r["documents"] if documents[d["id"]][0] == "application/pdf"]
    assert len(printed) == len(a4) == 3
    assert sorted(p.read_bytes() for p in printed) == sorted(documents[d][1] for d in a4)


def test_the_card_images_went_to_the_card_printer(demo: Path):
    fronts = sorted((demo / "printed" / "card_printer").glob("*-front.png"))
    backs = sorted((demo / "printed" / "card_printer").glob("*-back.png"))
    assert len(fronts) == len(backs) == 2  # the first session's KTP-el and the keypad session's
    assert Image.open(fronts[0]).size == (1012, 638)


def test_no_nik_pin_or_token_in_the_log_or_state(demo: Path):
    secrets = []
    for resident in summary(demo)["residents"]:
        secrets += [resident["nik"], resident["name"]] + [s for s in (resident["pin"], resident["qr_token"],
                                                                    resident["finger"]) if s]
    secrets += [o["card_qr"].split(":", 1)[1] for o in summary(demo)["officers"]]  # officer cards: credentials
    log = (demo / "demo.log").read_text()
    assert "kiosk.start" in log and "login.ok" in log  # the log is real and covers the session
    places = [demo / "demo.log", *sorted((demo / "state").rglob("*")), *sorted((demo / "screens").glob("*.json"))]
    for path in places:
        if not path.is_file():
            continue
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:2]}... found in {path.relative_to(demo)}"
        # Any NIK-shaped number, not only the seeded ones; a run of digits inside a hex digest is not one.
        assert not re.search(rb"(?<![0-9a-fA-F])\d{16}(?![0-9a-fA-F])", data) or path.suffix in (".png",), path


def test_a_session_in_the_accessibility_mode_by_keypad_alone_with_its_speech_beside_the_screenshots(demo: Path):
    checks = json.loads((demo / "screens" / "report.json").read_text())["checks"]
    assert checks["keypad_accessible"] is True and checks["keypad_accessible_after"] is False
    assert checks["keypad_session_phases"] == ["done"]
    spoken = checks["spoken"]
    assert {"speech.attract", "speech.nik_entry", "speech.digit", "speech.done", "speech.take_card"} <= set(spoken)
    assert sorted(p.name for p in (demo / "speech").glob("*.wav")) == [
        f"{n:04d}-{key}.wav" for n, key in enumerate(spoken, start=1)]
    assert any(p.name.endswith("a11y-documents-focus.png") for p in (demo / "screens").iterdir())


def test_an_officer_printed_a_kk_for_a_resident_without_a_phone(demo: Path):
    """Issue 19: the officer's card and PIN (one wrong first), their own request only, the identity check, the
    print, and every step in the kiosk's audit log and the service's records with the officer's id."""
    checks = json.loads((demo / "screens" / "report.json").read_text())["checks"]
    resident = next(r for r in summary(demo)["residents"] if r["role"] == "no_phone")
    assert checks["officer_wrong_pin_message"] == "officer.invalid"
    assert checks["officer_requests"] == [[resident["submission"], "U. S."]]
    assert checks["officer_documents"] == ["kk"] and checks["officer_session_phases"] == ["done"]
    assert checks["officer_audit"] == ["sign_in_refused", "signed_in", "request_chosen", "identity_checked",
                                       "document_printed", "signed_out"]
    assert checks["officer_central_records"] == ["login_refused", "login", "identity_checked", "claimed",
                                                 "print_event", "logout"]
    report = json.loads((demo / "screens" / "report.json").read_text())
    shown = {entry["screen"] for entry in report["screens"]}
    assert {"officer_login", "officer_requests", "officer_check"} <= shown
