"""The PC/SC card reader against the real stack: pcscd, vsmartcard-vpcd's reader, cards written here.

Nothing above pcscd is faked: pyscard talks to a real pcscd, which talks to vpcd, which talks to a card in
this file over vpcd's socket protocol.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import (
    DEVICE_MISSING,
    OFFLINE_REPORT,
    SECURITY_MODULE_MISSING,
    CardAbsent,
    CardPresence,
    CardUnreadable,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    SelfTestLevel,
)
from devices.cardprofile import DemoCardProfile, card_profile
from devices.pcsc import PcscCardReader
from tests.devices import pcsc_stack
from tests.devices.pcsc_stack import PrivatePcscd, VirtualCard, demo_card

pytestmark = pytest.mark.skipif(bool(pcsc_stack.missing()), reason=pcsc_stack.missing() or "runs")

NIK = b"3174015708900002"
AID = DemoCardProfile.AID


@pytest.fixture
def pcscd(tmp_path: Path) -> Iterator[PrivatePcscd]:
    daemon = PrivatePcscd(tmp_path).start()
    try:
        yield daemon
    finally:
        daemon.stop()


class Events:
    """What the reader's watcher reported, to wait on."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[CardPresence, float]] = queue.Queue()

    def __call__(self, presence: CardPresence) -> None:
        self.queue.put((presence, time.monotonic()))

    def next(self, timeout: float = 10.0) -> tuple[CardPresence, float]:
        return self.queue.get(timeout=timeout)


@pytest.fixture
def watching(pcscd: PrivatePcscd) -> Iterator[tuple[PcscCardReader, Events]]:
    reader = PcscCardReader("card_reader", reader="Virtual PCD", poll_ms=100, reconnect_interval_s=0.2)
    events = Events()
    reader.start(events)
    try:
        assert reader.wait_watching(10), reader.status()
        yield reader, events
    finally:
        reader.stop()


def test_a_tapped_card_is_noticed_read_and_its_removal_noticed(pcscd, watching):
    reader, events = watching
    assert reader.status().reasons == () and reader.status().message.endswith("no card")
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    presence, noticed_at = events.next()
    assert presence is CardPresence.PLACED
    nik = reader.read_nik(timeout=5)
    read_at = time.monotonic()
    assert nik == NIK.decode()
    assert card.apdus[0] == DemoCardProfile().select_apdu() and card.apdus[1] == DemoCardProfile.read_apdu()
    status = reader.status()
    assert status.state is DeviceState.READY and status.reasons == ()
    assert status.counters["taps"] == 1 and status.counters["reads"] == 1
    card.remove()
    assert events.next()[0] is CardPresence.REMOVED
    print(f"\ntap noticed after {1000 * (noticed_at - card.tapped_at):.0f} ms; NIK read "
          f"{1000 * (read_at - noticed_at):.0f} ms later; tap to NIK {1000 * (read_at - card.tapped_at):.0f} ms")
    with pytest.raises(CardAbsent):
        reader.read_nik(timeout=5)


def test_the_nik_is_never_logged(pcscd, watching, caplog):
    reader, events = watching
    caplog.set_level(logging.DEBUG)
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    events.next()
    assert reader.read_nik() == NIK.decode()
    card.remove()
    events.next()
    assert caplog.records, "the reader logs its events"
    assert NIK.decode() not in caplog.text


@pytest.mark.parametrize("answer, why", [
    (lambda apdu: b"\x01", "an answer without a status word"),
    (lambda apdu: b"\x6a\x82", "no such application"),
    (demo_card(b"31740157089000\x00\x00", AID), "a NIK that is not 16 digits"),
    (demo_card(b"317401", AID), "a short NIK"),
])
def test_a_card_that_answers_garbage_is_unreadable_and_the_message_quotes_nothing(pcscd, watching, answer, why):
    reader, events = watching
    card = VirtualCard(pcscd, answer).tap()
    events.next()
    with pytest.raises(CardUnreadable) as caught:
        reader.read_nik(timeout=5)
    assert "3174" not in str(caught.value), why
    assert reader.status().counters["read_failures"] == 1
    card.remove()


def test_a_card_taken_away_during_the_read_is_absent_not_unreadable(pcscd, watching):
    reader, events = watching
    handler = demo_card(NIK, AID)
    card = VirtualCard(pcscd, lambda apdu: None if apdu[:2] == b"\x00\xb0" else handler(apdu)).tap()
    events.next()
    with pytest.raises(CardAbsent):
        reader.read_nik(timeout=5)
    assert events.next()[0] is CardPresence.REMOVED
    assert len(card.apdus) == 2


def test_a_card_that_does_not_answer_in_time_is_a_timeout(pcscd, watching):
    reader, events = watching
    card = VirtualCard(pcscd, demo_card(NIK, AID, delay=1.5)).tap()
    events.next()
    started = time.monotonic()
    with pytest.raises(DeviceTimeout):
        reader.read_nik(timeout=0.5)
    assert time.monotonic() - started < 1.0
    card.remove()


@pytest.mark.heavy
def test_pcscd_killed_and_restarted_is_reported_offline_then_the_reader_comes_back(pcscd, watching):
    reader, events = watching
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    assert events.next()[0] is CardPresence.PLACED
    pcscd.kill()
    assert events.next()[0] is CardPresence.REMOVED
    deadline = time.monotonic() + 5
    while reader.status().state is not DeviceState.OFFLINE and time.monotonic() < deadline:
        time.sleep(0.05)
    status = reader.status()
    assert status.state is DeviceState.OFFLINE and status.reasons == (OFFLINE_REPORT,), status
    with pytest.raises(DeviceOffline):
        reader.read_nik(timeout=3)
    card.remove()
    pcscd.start()
    assert reader.wait_watching(10), reader.status()
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    assert events.next()[0] is CardPresence.PLACED
    assert reader.read_nik(timeout=5) == NIK.decode()
    assert reader.status().counters["reconnects"] >= 1
    card.remove()


def test_status_and_self_test_without_the_watcher(pcscd):
    reader = PcscCardReader("card_reader", reader="Virtual PCD")
    assert reader.status().state is DeviceState.READY
    assert reader.self_test(SelfTestLevel.INTERNAL).passed
    assert not reader.self_test(SelfTestLevel.EXTERNAL).passed  # no card on it
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    time.sleep(1.0)  # no watcher here to wait on: pcscd polls vpcd
    result = reader.self_test(SelfTestLevel.EXTERNAL)
    assert result.passed and NIK.decode() not in result.detail
    card.remove()
    other = PcscCardReader("card_reader", reader="No Such Reader")
    assert other.status().reasons == (DEVICE_MISSING,)


def test_without_pcscd_the_reader_is_offline(pcscd):
    pcscd.kill()
    reader = PcscCardReader("card_reader")
    assert reader.status().state is DeviceState.OFFLINE
    with pytest.raises(DeviceOffline):
        reader.read_nik(timeout=3)


def test_the_real_ktp_el_profile_says_it_needs_the_security_module(pcscd):
    reader = PcscCardReader("card_reader", reader="Virtual PCD", profile=card_profile("ktp-el"))
    status = reader.status()
    assert status.state is DeviceState.NEEDS_ATTENTION and status.reasons == (SECURITY_MODULE_MISSING,)
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    time.sleep(1.0)
    with pytest.raises(CardUnreadable) as caught:
        reader.read_nik(timeout=5)
    assert caught.value.reason == SECURITY_MODULE_MISSING
    card.remove()


def test_discovery_lists_the_reader_and_the_configured_reader_claims_it(pcscd):
    from devices.discovery import claim, pcsc_readers
    from devices.pcsc import PcscCardReaderConfig

    found = pcsc_readers()
    # vpcd offers two slots (ports 0x9C40 and 0x9C41); the cards here use the first.
    assert found.error == "" and found.items[0]["reader"] == "Virtual PCD 00 00"
    assert found.items[0]["card_present"] is False
    card = VirtualCard(pcscd, demo_card(NIK, AID)).tap()
    time.sleep(1.0)
    assert pcsc_readers().items[0]["card_present"] is True
    card.remove()
    config = PcscCardReaderConfig(driver="pcsc", reader="Virtual PCD")
    claim({"pcsc": found}, [("card_reader", "card_reader", config)])
    assert found.items[0]["matches"] == "card_reader" and found.items[0]["driver"] == "card_reader/pcsc"
    pcscd.kill()
    assert "pcscd is not answering" in pcsc_readers().error
