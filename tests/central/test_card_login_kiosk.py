"""The KTP-el + finger login end to end, without the screens: the flow, its effects, the card and fingerprint
readers and the reference central service over real mutual TLS. The card reader is the simulated one, and in
the last test the PC/SC driver on the real pcscd + vpcd stack with a card written in the tests.

The time from the card placed to the documents screen is measured and printed (``-s`` shows it)."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from central.testing import RunningCentral
from central.vocabulary import FINGER_TRIES
from devices.base import CardPresence
from devices.simulated_login import UNREADABLE, SimulatedCardReader, SimulatedFingerprintReader
from kiosk.central_client import CentralClient
from kiosk.controller import Controller
from kiosk.effects import EffectRunner
from kiosk.flow import (
    CardPlaced,
    Event,
    Flow,
    FlowSettings,
    FlowState,
    Media,
    PinSubmitted,
    PrinterAvailability,
    Screen,
)
from kiosk.flow_card import awaits_finger
from tests.devices import pcsc_stack

BOTH_UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))


@dataclass
class Kiosk:
    """The flow's controller with real effects; :meth:`until` feeds it the answers as the UI thread would."""

    controller: Controller
    events: queue.Queue[Event]
    runner: EffectRunner
    screens: list[Screen] = field(default_factory=list)

    @property
    def state(self) -> FlowState:
        return self.controller.state

    def dispatch(self, event: Event) -> None:
        self.controller.dispatch(event)

    def until(self, done: Callable[[FlowState], bool], timeout: float = 20.0) -> FlowState:
        deadline = time.monotonic() + timeout
        while not done(self.state):
            self.dispatch(self.events.get(timeout=max(0.01, deadline - time.monotonic())))
        return self.state


@pytest.fixture
def readers() -> tuple[SimulatedCardReader, SimulatedFingerprintReader]:
    return SimulatedCardReader("card_reader"), SimulatedFingerprintReader("fingerprint_reader")


def _kiosk(client: CentralClient, card, finger, pipeline=None) -> Kiosk:  # noqa: ANN001
    events: queue.Queue[Event] = queue.Queue()
    runner = EffectRunner(client, pipeline, events.put, card_reader=card, fingerprint_reader=finger,
                          finger_timeout_s=5.0)
    flow = Flow(FlowSettings(card_login=True))
    controller = Controller(flow, flow.initial(BOTH_UP), runner.perform, strict=True)
    runner.awaited = lambda attempt: awaits_finger(controller.state, attempt)
    kiosk = Kiosk(controller, events, runner)
    controller.subscribe(lambda old, new: kiosk.screens.append(new.screen) if old.screen is not new.screen else None)
    card.start(lambda presence: events.put(CardPlaced(now=time.monotonic()))
               if presence is CardPresence.PLACED else None)
    return kiosk


@pytest.fixture
def kiosk(fresh_central: RunningCentral, make_client, readers) -> Iterator[Kiosk]:
    built = _kiosk(make_client(fresh_central), *readers)
    yield built
    built.runner.shutdown(wait=False)


def _finger(central: RunningCentral, role: str) -> bytes:
    return bytes.fromhex(central.resident(role)["finger"])


def test_card_and_finger_open_the_documents(fresh_central, kiosk, readers, caplog):
    caplog.set_level(logging.DEBUG)
    card, finger = readers
    resident = fresh_central.resident("ready")
    placed = time.monotonic()
    card.place(resident["nik"])
    finger.touch(_finger(fresh_central, "ready"))
    state = kiosk.until(lambda s: s.screen is Screen.DOCUMENTS)
    took = time.monotonic() - placed
    print(f"\ntap-to-documents (simulated readers, reference server over mTLS): {took * 1000:.0f} ms")
    assert kiosk.screens == [Screen.FINGER, Screen.DOCUMENTS]
    assert state.masked_name == "B*** S******" and {d.type for d in state.documents} == {"kk", "akta_kelahiran",
                                                                                         "ktp_el"}
    assert took < 5.0
    logged = caplog.text + "".join(repr(getattr(r, "fields", "")) for r in caplog.records)
    assert resident["nik"] not in logged and _finger(fresh_central, "ready").hex() not in logged
    assert card.counters["reads"] == 1 and finger.counters["captures"] == 1


def test_printing_after_a_card_login_leaves_no_nik_or_finger_in_the_state(fresh_central, make_client, readers,
                                                                        tmp_path: Path):
    """The journal, outbox, audit log and spool after a card login and a print: no NIK, no template."""
    import re

    from kiosk.flow import Confirmed, PrintPressed
    from printjobs.pipeline import PrintPipeline
    from printjobs.store import PrintStore
    from tests.factories import simulated_printers

    store = PrintStore(tmp_path / "state", sender=None)
    kiosk = _kiosk(make_client(fresh_central), *readers,
                   pipeline=PrintPipeline(store, simulated_printers(tmp_path), submit_timeout_s=10))
    card, finger = readers
    resident = fresh_central.resident("ready_woman")
    try:
        card.place(resident["nik"])
        finger.touch(_finger(fresh_central, "ready_woman"))
        kiosk.until(lambda s: s.screen is Screen.DOCUMENTS)
        kiosk.dispatch(PrintPressed(now=time.monotonic()))
        kiosk.dispatch(Confirmed(now=time.monotonic()))
        state = kiosk.until(lambda s: s.screen is Screen.DONE, timeout=60)
        assert [p.phase.value for p in state.progress] == ["done"]
    finally:
        kiosk.runner.shutdown(wait=True)
        store.close()
    secrets = [resident["nik"].encode(), _finger(fresh_central, "ready_woman"),
               _finger(fresh_central, "ready_woman").hex().encode()]
    files = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert not any(secret in data for secret in secrets), path
        assert not re.search(rb"(?<![0-9A-Fa-f])\d{16}(?![0-9A-Fa-f])", data), path


def test_four_wrong_fingers_then_the_pin(fresh_central, kiosk, readers):
    card, finger = readers
    resident = fresh_central.resident("ready_woman")
    card.place(resident["nik"])
    for _ in range(FINGER_TRIES):
        finger.touch(_finger(fresh_central, "ready"))  # someone else's finger
    state = kiosk.until(lambda s: s.screen is Screen.PIN_ENTRY)
    assert state.message is not None and state.message.key == "finger.fallback"
    assert state.nik is not None and state.nik.digits == resident["nik"]
    assert finger.counters["captures"] == FINGER_TRIES
    kiosk.dispatch(PinSubmitted(now=time.monotonic(), pin=resident["pin"]))
    assert kiosk.until(lambda s: s.screen is Screen.DOCUMENTS).masked_name


def test_a_poor_scan_is_asked_again_and_does_not_count(fresh_central, kiosk, readers):
    card, finger = readers
    card.place(fresh_central.resident("ready")["nik"])
    for _ in range(FINGER_TRIES + 1):
        finger.touch_badly("center-finger")
    finger.touch(_finger(fresh_central, "ready"))
    state = kiosk.until(lambda s: s.screen is Screen.DOCUMENTS)
    assert state.finger_failures == 0


def test_an_unreadable_card_leads_to_the_nik_screen(kiosk, readers):
    card, _ = readers
    card.place(UNREADABLE)
    state = kiosk.until(lambda s: s.screen is Screen.NIK_ENTRY)
    assert state.message is not None and state.message.key == "card.unreadable" and not state.busy


def test_an_unplugged_fingerprint_reader_leads_to_the_pin(fresh_central, kiosk, readers):
    card, finger = readers
    finger.set_fault("offline")
    card.place(fresh_central.resident("ready")["nik"])
    state = kiosk.until(lambda s: s.screen is Screen.PIN_ENTRY)
    assert state.message is not None and state.message.key == "finger.reader_down"


def _cancelled(caplog, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.getMessage().startswith("finger.cancelled") for r in caplog.records):
            return True
        time.sleep(0.02)
    return False


def test_after_the_resident_chose_the_pin_the_capture_is_cancelled_and_no_finger_is_sent(
        fresh_central, kiosk, readers, caplog):
    from kiosk.flow import UsePinPressed

    caplog.set_level(logging.INFO)
    card, finger = readers
    resident = fresh_central.resident("ready_woman")
    card.place(resident["nik"])
    kiosk.until(lambda s: s.nik is not None)  # the reader now waits for a finger
    kiosk.dispatch(UsePinPressed(now=time.monotonic()))
    assert _cancelled(caplog), "the capture kept waiting for a finger after the resident chose the PIN"
    finger.touch(b"the next visitor's finger")
    kiosk.runner.shutdown(wait=True)
    assert finger.counters["captures"] == 0  # the finger stays for whoever asks next
    # nothing sent: the NIK's finger count at the service is untouched
    store = fresh_central.handle.store
    assert store._one("SELECT 1 FROM login_guard WHERE nik_key=?", _guard_key(resident["nik"])) is None


def test_a_resident_who_goes_back_from_the_finger_screen_frees_the_reader_for_the_next_visitor(
        fresh_central, kiosk, readers, caplog):
    """Without the cancel, the first resident's capture (5 s here, 30 s at a kiosk) took the next visitor's
    finger and dropped it, and the next card waited behind it."""
    from kiosk.flow import BackPressed

    caplog.set_level(logging.INFO)
    card, finger = readers
    first, second = fresh_central.resident("ready_woman"), fresh_central.resident("ready")
    card.place(first["nik"])
    kiosk.until(lambda s: s.nik is not None)
    kiosk.dispatch(BackPressed(now=time.monotonic()))
    card.remove()
    assert kiosk.state.screen is Screen.ATTRACT
    assert _cancelled(caplog)
    card.place(second["nik"])
    finger.touch(_finger(fresh_central, "ready"))
    state = kiosk.until(lambda s: s.screen is Screen.DOCUMENTS, timeout=4)
    assert state.masked_name == "B*** S******"
    store = fresh_central.handle.store
    assert store._one("SELECT 1 FROM login_guard WHERE nik_key=?", _guard_key(first["nik"])) is None


def _guard_key(nik: str) -> str:
    import hashlib

    return hashlib.sha256(("finger:" + nik).encode()).hexdigest()


@pytest.mark.heavy
@pytest.mark.skipif(bool(pcsc_stack.missing()), reason=pcsc_stack.missing() or "runs")
def test_tap_to_documents_on_the_real_pcsc_stack(fresh_central, make_client, tmp_path: Path):
    """pcscd + vpcd + a card written here, the PC/SC driver, the flow, a simulated finger, the real server."""
    from devices.cardprofile import DemoCardProfile
    from devices.pcsc import PcscCardReader

    daemon = pcsc_stack.PrivatePcscd(tmp_path).start()
    reader = PcscCardReader("card_reader", profile=DemoCardProfile())
    finger = SimulatedFingerprintReader("fingerprint_reader")
    kiosk = _kiosk(make_client(fresh_central), reader, finger)
    try:
        assert reader.wait_watching(10)
        resident = fresh_central.resident("ready")
        finger.touch(_finger(fresh_central, "ready"))
        card = pcsc_stack.VirtualCard(daemon, pcsc_stack.demo_card(resident["nik"].encode(), DemoCardProfile.AID))
        card.tap()
        kiosk.until(lambda s: s.screen is Screen.DOCUMENTS, timeout=30)
        took = time.monotonic() - card.tapped_at
        print(f"\ntap-to-documents (pcscd + vpcd card, simulated finger, reference server over mTLS): "
              f"{took * 1000:.0f} ms")
        assert kiosk.screens == [Screen.FINGER, Screen.DOCUMENTS]
        card.remove()
    finally:
        reader.stop()
        kiosk.runner.shutdown(wait=False)
        daemon.stop()


def _libfprint_missing() -> str:
    try:
        import gi

        gi.require_version("FPrint", "2.0")
        from gi.repository import FPrint  # noqa: F401
    except (ImportError, ValueError) as exc:
        return f"libfprint through PyGObject is not available ({exc})"
    return ""


@pytest.mark.skipif(bool(_libfprint_missing()), reason=_libfprint_missing() or "runs")
def test_card_login_with_libfprints_virtual_device(fresh_central, make_client, tmp_path: Path, monkeypatch):
    """The fingerprint reader is real libfprint (its virtual device, whose enrolments of one finger give the
    same template): the service holds the template of an enrolment, the kiosk's capture proves the finger."""
    import socket
    import threading

    from devices.fingerprint import LibfprintReader

    path = tmp_path / "virtual-fp.sock"
    monkeypatch.setenv("FP_VIRTUAL_DEVICE", str(path))

    def scans(finger_id: str, count: int = 5) -> threading.Thread:
        def run() -> None:
            for _ in range(count):
                with socket.socket(socket.AF_UNIX) as sock:
                    sock.settimeout(10)
                    sock.connect(str(path))
                    sock.sendall(f"SCAN {finger_id}".encode())
                    sock.recv(1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    reader = LibfprintReader("fingerprint_reader", "virtual_device")
    card = SimulatedCardReader("card_reader")
    resident = fresh_central.resident("waiting")  # no finger on record yet: the office enrols one now
    try:
        assert reader.status().state.usable  # opens the device, which starts its socket
        enrolling = scans("siti")  # the device takes commands while libfprint runs the capture
        enrolled = reader.capture(timeout=10)
        enrolling.join(10)
        fresh_central.handle.store.set_finger(resident["nik"], enrolled)
        fresh_central.handle.store.add_document(resident["nik"], "kk")
        fresh_central.handle.store.issue_pin(resident["nik"])
        kiosk = _kiosk(make_client(fresh_central), card, reader)
        card.place(resident["nik"])
        kiosk.until(lambda s: s.nik is not None)
        scans("someone-else").join(10)
        state = kiosk.until(lambda s: s.message is not None and s.message.key == "finger.no_match")
        assert state.screen is Screen.FINGER and state.finger_failures == 1
        scans("siti").join(10)
        state = kiosk.until(lambda s: s.screen is Screen.DOCUMENTS)
        assert [d.type for d in state.documents] == ["kk"]
        kiosk.runner.shutdown(wait=False)
    finally:
        reader.close()
