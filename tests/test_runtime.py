"""The composition root: printer availability from devices and consumables, and a damaged journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.testing import running_central
from kiosk.demo import demo_config
from kiosk.flow import Media
from kiosk.runtime import KioskRuntime
from printjobs.store import store_dir


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    with running_central(tmp_path_factory.mktemp("central")) as running:
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
