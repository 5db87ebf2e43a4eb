"""The composition root: printer availability from devices and consumables, and a damaged journal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.demo import demo_config
from kiosk.flow import Media
from kiosk.runtime import KioskRuntime
from printjobs.store import store_dir
from tests.factories import running_world


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


def runtime_for(tmp_path: Path, central) -> KioskRuntime:
    return KioskRuntime(demo_config(tmp_path, central.client_config(), headless=True), post=lambda event: None)


def test_availability_follows_device_faults_and_empty_consumables(tmp_path: Path, central):
    runtime = runtime_for(tmp_path, central)
    try:
        assert all(a.available for a in runtime.monitor.check())
        runtime.devices.card_printer.set_fault("ribbon-empty")
        card = next(a for a in runtime.monitor.check() if a.media is Media.CARD)
        assert (card.available, card.reason) == (False, "ribbon-empty")
        runtime.devices.card_printer.set_fault(None)
        runtime.store.reload("document_printer", "paper", 0, "teknisi-1")  # counted empty by the journal
        document = next(a for a in runtime.monitor.check() if a.media is Media.A4)
        assert (document.available, document.reason) == (False, "media-empty")
    finally:
        runtime.stop()


def test_a_damaged_journal_puts_the_kiosk_out_of_service_and_keeps_the_file(tmp_path: Path, central):
    journal = store_dir(tmp_path / "state") / "journal.sqlite"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b"this is not a database" * 100)
    runtime = runtime_for(tmp_path, central)
    try:
        assert runtime.store is None and runtime.blocked == "journal-corrupt"
        assert [(a.available, a.reason) for a in runtime.monitor.check()] == [(False, "journal-corrupt")] * 2
        assert journal.read_bytes().startswith(b"this is not a database")
    finally:
        runtime.stop()


def test_damage_found_by_the_background_check_puts_the_kiosk_out_of_service(tmp_path: Path, central):
    from printjobs.errors import JournalCorrupt
    from tests.factories import NIK
    from tests.printjobs.aged_journal import build_aged_journal
    from tests.printjobs.test_maintenance import damage_a_middle_page

    state = store_dir(tmp_path / "state")
    build_aged_journal(state, jobs=3000, days=365, end=time.time())
    damage_a_middle_page(state / "journal.sqlite")
    runtime = runtime_for(tmp_path, central)
    try:
        assert runtime.store is not None and runtime.blocked is None  # the check at open reads little
        assert runtime.maintenance.run_once() is False  # what the upkeep thread does after READY
        assert runtime.blocked == "journal-corrupt"
        assert [(a.available, a.reason) for a in runtime.monitor.check()] == [(False, "journal-corrupt")] * 2
        with pytest.raises(JournalCorrupt):
            runtime.store.create_job("doc-1", "KK", "a4", "document_printer", NIK)
    finally:
        runtime.stop()
