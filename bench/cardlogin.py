"""KTP-el + finger login: from the card placed to the documents screen, without the screens.

The flow, its effects, the simulated card and fingerprint readers (zero read time: the software's share) and
the reference central service over mutual TLS on loopback; each round places the card, puts the finger down
at once, waits for the documents, then leaves (the session is ended at the service). A real card read adds
pcscd's notice of the tap (about 270 ms with vpcd, see tests/central/test_card_login_kiosk.py), a real
resident the seconds it takes to put a finger down.
"""

from __future__ import annotations

import queue
import tempfile
import time
from pathlib import Path

from bench.common import Figure, percentile
from central.testing import start_central
from devices.base import CardPresence
from devices.simulated_login import SimulatedCardReader, SimulatedFingerprintReader
from kiosk.central_client import CentralClient
from kiosk.config import CentralSection
from kiosk.controller import Controller
from kiosk.effects import EffectRunner
from kiosk.flow import CancelPressed, CardPlaced, Event, Flow, FlowSettings, Media, PrinterAvailability, Screen

#: Card placed to documents shown, p95, with zero device time (the software's and the loopback link's share).
BUDGET_MS = 500.0


def run(rounds: int = 50) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="adm-bench-card-") as tmp:
        central = start_central(Path(tmp) / "central", kiosk_id="ADM-BENCH-01")
        try:
            return _rounds(central, rounds)
        finally:
            central.stop()


def _rounds(central, rounds: int) -> list[Figure]:  # noqa: ANN001 - RunningCentral
    resident = central.resident("ready_woman")
    finger_bytes = bytes.fromhex(resident["finger"])
    events: queue.Queue[Event] = queue.Queue()
    card, finger = SimulatedCardReader("card_reader"), SimulatedFingerprintReader("fingerprint_reader")
    client = CentralClient(CentralSection(**central.client_config()), "ADM-BENCH-01")
    runner = EffectRunner(client, None, events.put, card_reader=card, fingerprint_reader=finger)
    flow = Flow(FlowSettings(card_login=True))
    controller = Controller(flow, flow.initial((PrinterAvailability(Media.A4, True),)), runner.perform)
    runner.awaited = lambda attempt: controller.state.login_attempt == attempt
    card.start(lambda presence: events.put(CardPlaced(now=time.monotonic()))
               if presence is CardPresence.PLACED else None)

    def until(screen: Screen) -> None:
        deadline = time.monotonic() + 30
        while controller.state.screen is not screen:
            controller.dispatch(events.get(timeout=max(0.01, deadline - time.monotonic())))

    took: list[float] = []
    try:
        for _ in range(rounds):
            started = time.monotonic()
            card.place(resident["nik"])
            finger.touch(finger_bytes)
            until(Screen.DOCUMENTS)
            took.append((time.monotonic() - started) * 1000)
            card.remove()
            controller.dispatch(CancelPressed(now=time.monotonic()))
            until(Screen.ATTRACT)
    finally:
        runner.shutdown(wait=True)
        client.close()
    return [Figure("card login: card placed to documents, p95", round(percentile(took, 95), 1), "ms", BUDGET_MS,
                   {"p50_ms": round(percentile(took, 50), 1), "rounds": rounds,
                    "readers": "simulated, zero read time", "central": "reference server, mTLS, loopback"})]
