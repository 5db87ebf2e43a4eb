"""What the robustness tests and the benchmarks share: a world of fresh residents on the reference server,
a kiosk assembled exactly as the app assembles it (runtime, flow, controller) but driven without Kivy, and
probes of the process's memory, file descriptors and threads.

Plain code, no pytest: ``python -m bench`` uses it too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central.documents import Holder
from central.testing import RunningCentral
from kiosk.config import Config, parse_config
from kiosk.controller import Controller
from kiosk.flow import (
    CancelPressed,
    Confirmed,
    Event,
    Flow,
    FlowState,
    NikSubmitted,
    Phase,
    PinSubmitted,
    PrintPressed,
    Screen,
    StartPressed,
)
from kiosk.runtime import KioskRuntime

#: What one bench/soak session prints: two A4 documents and one card.
SESSION_DOCUMENTS = ("kk", "akta_kelahiran", "ktp_el")
KIOSK_ID = "ADM-DEMO-01"  # the kiosk id the seeded client certificate was issued for


# --------------------------------------------------------------------------- the world
@dataclass(frozen=True)
class Credentials:
    """A resident as the WhatsApp message leaves them: NIK, PIN and the documents the PIN unlocks."""

    nik: str
    pin: str
    document_ids: tuple[str, ...]

    def __repr__(self) -> str:  # never a NIK or PIN in a test report
        return f"Credentials(documents={len(self.document_ids)})"


_serials = itertools.count(1)


def invented_nik(serial: int) -> str:
    """A well-formed, invented NIK (Kota Bandung, Coblong; a man born 15-08-1990) with a distinct serial."""
    if not 0 < serial < 10_000 * 28:
        raise ValueError("serial out of range")
    day, number = divmod(serial, 10_000)
    return f"327302{day + 1:02d}0890{number or 9999:04d}"


@contextlib.contextmanager
def cached_rendering() -> Iterator[None]:
    """Render each document type once and reuse the bytes (each copy is still signed for its own id):
    building a world of hundreds of residents then costs seconds, not minutes. Not thread-safe."""
    import central.store as central_store

    original = central_store.render
    cache: dict[str, Any] = {}

    def render(doc_type: Any, holder: Holder, verify_url: str, version: int, **options: Any) -> Any:
        key = f"{doc_type.code} {sorted(options.items())}"
        if key not in cache:
            cache[key] = original(doc_type, holder, verify_url, version, **options)
        return cache[key]

    central_store.render = render
    try:
        yield
    finally:
        central_store.render = original


def new_resident(central: RunningCentral, documents: tuple[str, ...] = SESSION_DOCUMENTS) -> Credentials:
    """Add a resident with freshly issued, signed documents and a PIN, straight into the server's store."""
    store = central.handle.store
    nik = invented_nik(next(_serials) + os.getpid() % 1000 * 100)
    store.add_resident(Holder(nik, "Warga Uji Coba", "Bandung", "15-08-1990", "LAKI-LAKI",
                              "Jl. Contoh No. 1, Coblong, Kota Bandung"), "+6281299999999")
    ids = tuple(store.add_document(nik, doc_type) for doc_type in documents)
    issued = store.issue_pin(nik)
    return Credentials(nik, issued.pin, ids)


def kiosk_config(root: Path, central_section: dict, *, seconds_per_page: float = 0.0,
                 seconds_per_card: float = 0.0, **central_overrides: Any) -> Config:
    """A full kiosk config: simulated devices (no mechanical time by default), state under ``root``."""
    data = kiosk_config_data(root, central_section, seconds_per_page=seconds_per_page,
                             seconds_per_card=seconds_per_card, **central_overrides)
    return parse_config(data, base_dir=root, source="robustness")


def kiosk_config_data(root: Path, central_section: dict, *, seconds_per_page: float = 0.0,
                      seconds_per_card: float = 0.0, **central_overrides: Any) -> dict:
    """:func:`kiosk_config` as plain JSON-able data (for a kiosk in a child process)."""
    central = {k: str(v) if isinstance(v, Path) else v for k, v in {**central_section, **central_overrides}.items()}
    for keys in ("signing_keys", "operator_keys"):
        central[keys] = [{k: str(v) for k, v in key.items()} for key in central.get(keys, [])]
    return {
        "kiosk": {"id": KIOSK_ID, "location": "Bench", "display": {"fullscreen": False, "width": 1280,
                                                                    "height": 800}},
        "central": central,
        "devices": {
            "document_printer": {"driver": "simulated", "seconds_per_page": seconds_per_page, "paper": 1_000_000,
                                 "output_dir": str(root / "printed" / "document_printer")},
            "card_printer": {"driver": "simulated", "seconds_per_card": seconds_per_card, "blanko": 1_000_000,
                             "ribbon": 1_000_000, "output_dir": str(root / "printed" / "card_printer")},
            "receipt_printer": {"driver": "simulated", "output_dir": str(root / "printed" / "receipt_printer")},
            "barcode_readers": [{"name": "front", "driver": "simulated"}],
        },
        "storage": {"state_dir": str(root / "state")},
        "metrics": {"enabled": False},
        "logging": {"level": "WARNING", "format": "json"},
    }


# --------------------------------------------------------------------------- the kiosk without Kivy
@dataclass
class SessionTiming:
    """Seconds on a monotonic clock, from the Start tap; ``first_byte`` is from the Confirm tap."""

    total: float
    first_byte: float
    phases: tuple[Phase, ...] = ()


@dataclass
class _Taps:
    submits: list[float] = field(default_factory=list)
    logouts: int = 0


class HeadlessKiosk:
    """The kiosk as ``kiosk.assembly`` assembles it, minus Kivy: results posted by workers land in a queue
    and are dispatched on the caller's thread, the way the UI's ``post`` brings them to the main thread."""

    def __init__(self, config: Config, *, monitor_interval_s: float = 3600.0):
        self.events: queue.Queue[Event] = queue.Queue()
        self.runtime = KioskRuntime(config, post=self.events.put, monitor_interval_s=monitor_interval_s)
        flow = Flow(self.runtime.flow_settings())
        self.controller = Controller(flow, flow.initial(self.runtime.monitor.check()), self.runtime.effects.perform)
        self.runtime.monitor.last = self.controller.state.printers
        self.taps = _Taps()
        self._watch_devices()
        self.runtime.start()

    def _watch_devices(self) -> None:
        """Note when bytes reach a printer and when a logout reached the server (for timings and waits)."""
        for name in ("document_printer", "card_printer"):
            printer = getattr(self.runtime.devices, name)
            original = printer.submit

            def submit(job: Any, progress: Any = None, timeout: Any = None, _original: Callable = original) -> Any:
                self.taps.submits.append(time.monotonic())
                return _original(job, progress, timeout)

            printer.submit = submit
        central = self.runtime.central
        original_logout = central.logout

        def logout(session: Any) -> None:
            try:
                original_logout(session)
            finally:
                self.taps.logouts += 1

        central.logout = logout

    @property
    def state(self) -> FlowState:
        return self.controller.state

    def dispatch(self, event_type: Callable[..., Event], **fields: Any) -> None:
        """A touch (or a scan) on the main thread."""
        self.controller.dispatch(event_type(now=time.monotonic(), **fields))

    def pump(self, until: Callable[[FlowState], bool], timeout: float, what: str = "condition") -> None:
        """Dispatch posted results until ``until(state)`` holds; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not until(self.controller.state):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"waited {timeout:g} s for {what}; screen {self.controller.state.screen.value}")
            try:
                event = self.events.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            self.controller.dispatch(event)

    def drain_events(self) -> None:
        """Dispatch whatever the workers posted so far."""
        while True:
            try:
                self.controller.dispatch(self.events.get_nowait())
            except queue.Empty:
                return

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Dispatch posted events until ``condition()`` holds (a condition outside the flow state)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            self.drain_events()
            time.sleep(0.002)

    def session(self, resident: Credentials, timeout: float = 60.0) -> SessionTiming:
        """A resident's whole visit: NIK, PIN, every document printed, the events reported, logged out."""
        logouts = self.taps.logouts
        started = time.monotonic()
        self.dispatch(StartPressed)
        self.dispatch(NikSubmitted, text=resident.nik)
        self.dispatch(PinSubmitted, pin=resident.pin)
        self.pump(lambda s: s.screen is Screen.DOCUMENTS or (not s.busy and s.message is not None), timeout,
                  "the login answer")
        if self.state.screen is not Screen.DOCUMENTS:
            raise AssertionError(f"login refused: {self.state.message}")
        self.dispatch(PrintPressed)
        submits = len(self.taps.submits)
        confirmed = time.monotonic()
        self.dispatch(Confirmed)
        self.pump(lambda s: s.screen is Screen.DONE, timeout, "the done screen")
        phases = tuple(p.phase for p in self.state.progress)
        outbox = self.runtime.store.outbox
        self.wait_for(lambda: outbox.pending_count() == 0, timeout, "the print events to reach the server")
        total = time.monotonic() - started
        first_byte = (self.taps.submits[submits] - confirmed) if len(self.taps.submits) > submits else float("nan")
        self.dispatch(CancelPressed)
        self.wait_for(lambda: self.taps.logouts > logouts, timeout, "the logout")
        return SessionTiming(total, first_byte, phases)

    def stop(self) -> None:
        self.runtime.stop()


# --------------------------------------------------------------------------- the process
def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmRSS line")


def open_fds() -> int:
    """File descriptors this process holds open."""
    return len(os.listdir("/proc/self/fd"))


def thread_count() -> int:
    """Python threads alive in this process."""
    return threading.active_count()
