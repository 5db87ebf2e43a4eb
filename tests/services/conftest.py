"""A whole kiosk without a screen: the real runtime (devices, central client, effects) and the real flow.

The reference server runs over mutual TLS on a copy of one seeded world per test; the receipt printer is
the simulated one (its ESC/POS bytes land in files); the barcode reader is a serial reader on a pty, so a
scan arrives as bytes, exactly as from a USB CDC scanner. Events the workers post are dispatched on the
test's thread, as the UI's main thread would.
"""

from __future__ import annotations

import os
import queue
import time
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from central.store import Store
from central.testing import RunningCentral, clone_world
from kiosk.config import parse_config
from kiosk.controller import Controller
from kiosk.flow import Event, Flow, FlowState, NikSubmitted, PinSubmitted, Screen, StartPressed
from kiosk.runtime import KioskRuntime
from tests.factories import seeded

KIOSK_ID = "ADM-TEST-01"  # the kiosk of kiosk_config(); the seeded client certificate names it
#: Printers slow enough that fetching the next document visibly overlaps: 2 s per A4 page, 2 s per card.
SLOW_PRINTERS = {"document_printer": {"driver": "simulated", "seconds_per_page": 2.0},
                 "card_printer": {"driver": "simulated", "seconds_per_card": 2.0}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world")
    seeded(path, kiosk_id=KIOSK_ID)  # the client certificate names the kiosk of kiosk_config()
    return path


@dataclass
class Kiosk:
    """The kiosk under test: ``scan(bytes)`` through the pty, ``do(event)`` as a touch, ``wait(...)``."""

    central: RunningCentral
    runtime: KioskRuntime
    controller: Controller
    master_fd: int
    events: queue.Queue = field(default_factory=queue.Queue)

    @property
    def state(self) -> FlowState:
        return self.controller.state

    @property
    def receipts(self) -> Path:
        return self.runtime.devices.receipt_printer.output_dir

    def do(self, event_type: Callable[..., Event], **fields) -> FlowState:
        self.controller.dispatch(event_type(now=time.monotonic(), **fields))
        return self.state

    def log_in(self, nik: str, pin: str) -> FlowState:
        """Touch start, type the NIK and the PIN, and wait for the documents screen."""
        self.do(StartPressed)
        self.do(NikSubmitted, text=nik)
        self.do(PinSubmitted, pin=pin)
        return self.wait(lambda s: s.screen is Screen.DOCUMENTS, "the documents")

    def scan(self, data: bytes) -> None:
        os.write(self.master_fd, data + b"\r")

    def wait(self, condition: Callable[[FlowState], bool], what: str, timeout: float = 20.0) -> FlowState:
        """Dispatch posted events until ``condition(state)`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition(self.state):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; state: {self.state.screen}, "
                                     f"message: {self.state.message}")
            try:
                self.controller.dispatch(self.events.get(timeout=min(left, 0.2)))
            except queue.Empty:
                continue
        return self.state

    def settle(self, seconds: float = 0.5) -> None:
        """Dispatch whatever arrives within ``seconds`` (to show that nothing else happens)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.controller.dispatch(self.events.get(timeout=left))
            except queue.Empty:
                return

    def central_store(self) -> Store:
        return Store(self.central.data_dir)


def kiosk_config(tmp: Path, central: RunningCentral, reader_port: str, receipt: dict | None = None,
                 devices: dict | None = None) -> object:
    data = {
        "kiosk": {"id": KIOSK_ID, "location": "Kantor Kecamatan Uji"},
        "central": {**central.client_config(), "connect_timeout_s": 5, "read_timeout_s": 10, "retries": 1},
        "devices": {
            "document_printer": {"driver": "simulated", "seconds_per_page": 0, "output_dir": str(tmp / "a4")},
            "card_printer": {"driver": "simulated", "seconds_per_card": 0, "output_dir": str(tmp / "cards")},
            "receipt_printer": receipt or {"driver": "simulated", "output_dir": str(tmp / "receipts")},
            "barcode_readers": [{"name": "front", "driver": "serial", "port": reader_port}],
            **(devices or {}),
        },
        "storage": {"state_dir": str(tmp / "state")},
        "metrics": {"enabled": False},
    }
    return parse_config(data, base_dir=tmp, source="test")


@pytest.fixture
def kiosk(world: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Kiosk]:
    """The kiosk; ``@pytest.mark.parametrize("kiosk", [{"card_printer": None}], indirect=True)`` changes devices."""
    central = clone_world(world, tmp_path / "central")
    master, slave = os.openpty()
    tty.setraw(slave)
    events: queue.Queue = queue.Queue()
    config = kiosk_config(tmp_path, central, os.ttyname(slave), devices=getattr(request, "param", None))
    runtime = KioskRuntime(config, events.put, monitor_interval_s=0.2)
    flow = Flow(runtime.flow_settings())
    controller = Controller(flow, flow.initial(runtime.monitor.check()), runtime.effects.perform, strict=True)
    runtime.start()
    kiosk = Kiosk(central, runtime, controller, master, events)
    assert runtime.devices.barcode_readers[0].wait_connected(10), "the serial reader did not open the pty"
    try:
        yield kiosk
    finally:
        runtime.stop()
        central.stop()
        for fd in (master, slave):
            try:
                os.close(fd)
            except OSError:
                pass
