"""Consumables: counted per job, WARNING at the threshold, EMPTY blocks the printer, reloads recorded."""

from __future__ import annotations

import pytest

from printjobs.consumables import Level
from printjobs.errors import PrinterBlocked
from printjobs.store import PrintStore
from tests.factories import NIK


def print_card(store: PrintStore) -> None:
    job = store.create_job("doc-k", "KTP-el", "card", "card_printer", NIK).job_id
    store.fetched(job, [b"front", b"back"])
    store.sending(job)
    store.printed(job, {"blanko": 1, "ribbon": 1}, {"cards": 1})


def test_levels_fall_per_job_warn_at_the_threshold_and_block_at_zero(store: PrintStore):
    store.reload("card_printer", "blanko", 3, technician="teknisi-1")
    store.reload("card_printer", "ribbon", 100, technician="teknisi-1")
    assert store.consumables.get("card_printer", "blanko").state is Level.OK
    print_card(store)
    assert store.consumables.get("card_printer", "blanko").state is Level.WARNING  # 2 <= threshold 2
    print_card(store)
    print_card(store)
    status = store.consumables.get("card_printer", "blanko")
    assert (status.level, status.state) == (0, Level.EMPTY)
    assert store.consumables.get("card_printer", "ribbon").level == 97
    with pytest.raises(PrinterBlocked) as blocked:
        store.create_job("doc-k", "KTP-el", "card", "card_printer", NIK)
    assert blocked.value.empty == ["blanko"]
    # The A4 printer is not blocked by the card printer's blanko.
    store.create_job("doc-a", "KK", "a4", "document_printer", NIK)


def test_a_reload_unblocks_and_is_recorded_and_audited(store: PrintStore):
    store.reload("document_printer", "paper", 0, technician="teknisi-1")
    assert store.consumables.empty("document_printer") == ["paper"]
    store.reload("document_printer", "paper", 500, technician="teknisi-2")
    store.consumables.check_available("document_printer")
    history = store.consumables.history("document_printer")
    assert [(h["reason"], h["level_after"], h["technician"]) for h in history] == [
        ("reload", 0, "teknisi-1"), ("reload", 500, "teknisi-2")]
    actions = [(e.body["technician"], e.body["level"]) for e in store.audit.entries() if e.kind == "technician"]
    assert actions == [("teknisi-1", 0), ("teknisi-2", 500)]


def test_an_untracked_consumable_blocks_nothing(store: PrintStore):
    assert store.consumables.get("card_printer", "blanko").state is Level.UNKNOWN
    print_card(store)
    assert store.consumables.status("card_printer") == []


def test_a_spoiled_card_uses_a_blanko_and_is_audited(store: PrintStore):
    store.reload("card_printer", "blanko", 10, technician="teknisi-1")
    store.record_spoiled_card("card_printer", "failed_encode", "teknisi-1")
    assert store.consumables.get("card_printer", "blanko").level == 9
    assert store.audit.entries()[-1].body["cause"] == "failed_encode"


def test_levels_never_go_negative_and_reloads_reject_negatives(store: PrintStore):
    store.reload("card_printer", "blanko", 1, technician="t")
    store.consumables.consume("card_printer", {"blanko": 5})
    assert store.consumables.get("card_printer", "blanko").level == 0
    with pytest.raises(ValueError):
        store.reload("card_printer", "blanko", -1, technician="t")
    with pytest.raises(ValueError):
        store.reload("card_printer", "toner", 1, technician="t")


def test_counting_starts_from_the_devices_level_once_and_receipts_count(store: PrintStore):
    assert store.consumables.ensure_level("receipt_printer", "receipt", 6).level == 6
    assert store.consumables.ensure_level("receipt_printer", "receipt", 1000).level == 6  # already counted
    store.receipt_printed()
    status = store.consumables.get("receipt_printer", "receipt")
    assert (status.level, status.state) == (5, Level.WARNING)  # threshold 5 in this store
    assert [h["reason"] for h in store.consumables.history("receipt_printer")] == ["initial", "job"]
