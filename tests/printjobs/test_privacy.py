"""No NIK, no name, no document bytes in the files the print side leaves behind (grep them)."""

from __future__ import annotations

import re
from pathlib import Path

from printjobs.pipeline import FetchedDocument, PrintPipeline
from printjobs.store import PrintStore
from tests.factories import NAME, NIK, make_pdf, simulated_printers

#: A NIK-like number: 16 digits standing alone (hex digests are excluded: they run into letters a-f).
SIXTEEN_DIGITS = re.compile(rb"(?<![0-9A-Fa-f])\d{16}(?![0-9A-Fa-f])")


def state_files(state_dir: Path) -> list[Path]:
    return [p for p in state_dir.rglob("*") if p.is_file()]


def test_journal_outbox_and_audit_files_hold_no_nik_no_name_no_content(tmp_path: Path, card_png: bytes):
    state_dir = tmp_path / "state"
    store = PrintStore(state_dir)
    pipeline = PrintPipeline(store, simulated_printers(tmp_path, card={"jam_after": 1}))
    pdf = make_pdf(f"{NAME} NIK {NIK}")
    for document_id, kind, printer, parts in [("doc-1", "a4", "document_printer", [pdf]),
                                              ("doc-2", "card", "card_printer", [card_png, card_png]),
                                              ("doc-3", "card", "card_printer", [card_png, card_png])]:
        pipeline.run(document_id=document_id, document_type="KK", kind=kind, printer=printer, nik=NIK,
                     fetch=lambda job_id, parts=parts: FetchedDocument(parts))
    held = store.create_job("doc-4", "AKTA", "a4", "document_printer", NIK).job_id
    store.fetched(held, [pdf])  # bytes at rest in the spool while the job needs them
    assert {e.kind for e in store.audit.entries()} == {"card_issued", "card_spoiled"}
    files = state_files(state_dir)
    names = {p.name for p in files}
    assert {"journal.sqlite", "journal.sqlite-wal", "audit.head", f"{held}.enc"} <= names
    for path in files:
        data = path.read_bytes()
        assert NIK.encode() not in data, path
        assert not SIXTEEN_DIGITS.search(data), path
        assert NAME.encode() not in data and NAME.lower().encode() not in data, path
        assert b"%PDF" not in data and b"IHDR" not in data, path
    store.close()
    # The printers' output, by contrast, is the document: the grep above is not blind.
    assert any(NIK.encode() in p.read_bytes() for p in (tmp_path / "out-a4").iterdir())
