"""The audit log: hash chain, signatures, tamper detection, monthly report."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from printjobs.audit import AuditLog
from printjobs.db import Database
from printjobs.errors import AuditError
from printjobs.store import PrintStore

NOV, DEC = 1795425000.0, 1796400000.0  # 2026-11-23 and 2026-12-04 (UTC)


@pytest.fixture
def filled(state_dir: Path) -> PrintStore:
    now = [NOV]
    store = PrintStore(state_dir, clock=lambda: now[0])
    store.audit.card_issued("job-1", "doc-1", "KTP-el", "card_printer")
    store.audit.card_spoiled("damaged", "card_printer", job_id="job-2", detail="media-jam")
    store.audit.technician_action("teknisi-1", "reload", printer="card_printer", consumable="blanko", level=100)
    now[0] = DEC
    store.audit.card_spoiled("data_changed", "card_printer", technician="teknisi-1")
    store.audit.card_issued("job-3", "doc-3", "KIA", "card_printer")
    yield store
    store.close()


def raw(store: PrintStore, sql: str, params: tuple = ()) -> None:
    """Tamper through a separate connection, as someone with the file would."""
    conn = sqlite3.connect(store.db.path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_an_untouched_log_verifies(filled: PrintStore):
    result = filled.audit.verify()
    assert result.ok, result.problems
    assert result.entries == 5
    assert stat.S_IMODE(os.stat(filled.audit.key_path).st_mode) == 0o600


def test_an_edited_entry_is_detected(filled: PrintStore):
    body = json.loads(filled.db.query("SELECT body FROM audit WHERE seq = 2")[0][0])
    body["cause"] = "failed_encode"  # make a jam look like a chip failure
    raw(filled, "UPDATE audit SET body = ? WHERE seq = 2", (json.dumps(body, sort_keys=True, separators=(",", ":")),))
    result = filled.audit.verify()
    assert not result.ok
    assert any("entry 2" in p and "edited" in p for p in result.problems)


def test_a_removed_entry_is_detected(filled: PrintStore):
    raw(filled, "DELETE FROM audit WHERE seq = 2")
    result = filled.audit.verify()
    assert not result.ok
    assert any("entry 3" in p for p in result.problems)


def test_reordered_entries_are_detected(filled: PrintStore):
    rows = {r[0]: tuple(r)[1:] for r in filled.db.query("SELECT seq, at, kind, body, prev_hash, entry_hash, signature"
                                                         " FROM audit WHERE seq IN (2, 3)")}
    columns = "at = ?, kind = ?, body = ?, prev_hash = ?, entry_hash = ?, signature = ?"
    raw(filled, f"UPDATE audit SET {columns} WHERE seq = 2", rows[3])
    raw(filled, f"UPDATE audit SET {columns} WHERE seq = 3", rows[2])
    assert not filled.audit.verify().ok


def test_renumbered_entries_are_detected(filled: PrintStore):
    raw(filled, "UPDATE audit SET seq = 10 WHERE seq = 2")
    assert not filled.audit.verify().ok


def test_entries_cut_off_the_end_are_detected_by_the_signed_head(filled: PrintStore):
    raw(filled, "DELETE FROM audit WHERE seq = 5")
    result = filled.audit.verify()
    assert not result.ok
    assert any("removed from the end" in p for p in result.problems)


def test_a_rechained_log_signed_with_another_key_is_detected(filled: PrintStore, tmp_path: Path):
    # Someone rewrites history consistently (hashes and links right) but cannot sign with the kiosk's key.
    forger = AuditLog(Database(tmp_path / "forged.sqlite"), tmp_path)
    forger.card_issued("job-x", "doc-x", "KTP-el", "card_printer")
    assert not forger.verify(public_key=filled.audit.public_key).ok
    assert forger.verify().ok


def test_the_monthly_report_holds_that_month_only(filled: PrintStore):
    out = io.StringIO()
    assert filled.audit.report_csv("2026-11", out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["kind"], r["cause"], r["technician"]) for r in rows] == [
        ("card_issued", "", ""), ("card_spoiled", "damaged", ""), ("technician", "", "teknisi-1")]
    assert rows[0]["time_utc"].startswith("2026-11-")
    assert filled.audit.summary("2026-12") == {"card_spoiled.data_changed": 1, "card_issued": 1}
    with pytest.raises(ValueError):
        filled.audit.report_csv("2026-13", io.StringIO())


def test_unknown_spoil_causes_are_refused(filled: PrintStore):
    with pytest.raises(ValueError):
        filled.audit.card_spoiled("lost", "card_printer")


def test_a_key_file_that_is_not_an_ed25519_key_is_a_typed_error(tmp_path: Path):
    (tmp_path / "audit-ed25519.pem").write_text("garbage")
    with pytest.raises(AuditError):
        AuditLog(Database(tmp_path / "j.sqlite"), tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    pem = generate_private_key(SECP256R1()).private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())
    (other / "audit-ed25519.pem").write_bytes(pem)
    with pytest.raises(AuditError, match="not an Ed25519 key"):
        AuditLog(Database(other / "j.sqlite"), other)


def test_two_logs_opening_at_once_agree_on_one_key(tmp_path: Path):
    first = AuditLog(Database(tmp_path / "j.sqlite"), tmp_path)
    second = AuditLog(Database(tmp_path / "j.sqlite"), tmp_path)
    assert first.public_key_pem() == second.public_key_pem() == (tmp_path / "audit-ed25519.pub").read_bytes()
    assert isinstance(first._key, Ed25519PrivateKey)


# ---------------------------------------------------------------------- verified month by month
def test_verify_moves_a_signed_checkpoint_to_the_end_of_the_last_complete_month(filled: PrintStore):
    first = filled.audit.verify()
    assert (first.ok, first.checked, first.verified_month) == (True, 5, "2026-11")
    again = filled.audit.verify()
    assert (again.ok, again.entries, again.checked) == (True, 5, 2)  # only December's entries
    assert filled.audit.verify(full=True).checked == 5


def test_an_entry_added_after_the_checkpoint_is_still_checked(filled: PrintStore):
    filled.audit.verify()
    raw(filled, "UPDATE audit SET kind = 'technician' WHERE seq = 5")
    result = filled.audit.verify()
    assert not result.ok and any("entry 5" in p for p in result.problems)


def test_an_edit_of_the_checkpointed_entry_sends_verify_back_to_the_first_entry(filled: PrintStore):
    filled.audit.verify()
    raw(filled, "UPDATE audit SET entry_hash = ? WHERE seq = 3", ("f" * 64,))
    result = filled.audit.verify()
    assert not result.ok and result.checked == 5
    assert any("entry 3" in p for p in result.problems)


def test_a_forged_checkpoint_is_reported_and_ignored(filled: PrintStore):
    filled.audit.verify()
    data = json.loads(filled.audit.checkpoint_path.read_text())
    data["seq"] = 5  # skip December's entries too
    filled.audit.checkpoint_path.write_text(json.dumps(data))
    result = filled.audit.verify()
    assert not result.ok and result.checked == 5
    assert "the verified-month checkpoint has a bad signature" in result.problems


def test_an_edit_before_the_checkpoint_needs_the_full_verification(filled: PrintStore):
    filled.audit.verify()
    body = json.loads(filled.db.query("SELECT body FROM audit WHERE seq = 2")[0][0])
    body["cause"] = "failed_encode"
    raw(filled, "UPDATE audit SET body = ? WHERE seq = 2", (json.dumps(body, sort_keys=True, separators=(",", ":")),))
    assert filled.audit.verify().ok  # a verified month is not read again...
    full = filled.audit.verify(full=True)  # ...the full check (nightly, --full) reads it
    assert not full.ok and any("entry 2" in p and "edited" in p for p in full.problems)
