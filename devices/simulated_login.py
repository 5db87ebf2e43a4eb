"""Simulated card and fingerprint readers for the KTP-el + finger login: the same protocols as the real
drivers, driven by the demo's buttons and by tests, shipped in the product like the simulated printers.

A simulated card holds a NIK (or nothing readable); a simulated finger is the template bytes it would match,
or a bad scan. Each records what it was asked to do (reads, verifies) as counts only: what a card or finger
held is never logged and not kept after it is taken away.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from devices.base import (
    OFFLINE_REPORT,
    RETRY_REASONS,
    CardAbsent,
    CardPresence,
    CardUnreadable,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    FingerOutcome,
    FingerResult,
    ScanTooPoor,
    SelfTestLevel,
    SelfTestResult,
    reader_self_test,
)
from devices.cardprofile import check_nik_bytes
from devices.registry import BuildContext, DriverConfig, driver

#: A card that answers garbage: read_nik raises CardUnreadable.
UNREADABLE = "unreadable"


class SimulatedCardReader:
    """A reader on which :meth:`place` puts a card holding a NIK (or :data:`UNREADABLE`), :meth:`remove`
    takes it away. Faults: ``offline``."""

    kind = "card_reader"
    driver = "simulated"

    def __init__(self, name: str, seconds_per_read: float = 0.0, fault: str | None = None) -> None:
        self.name = name
        self.seconds_per_read = seconds_per_read
        self._card: str | None = None
        self._on_card: Callable[[CardPresence], None] | None = None
        self._fault: str | None = None
        self.counters = {"taps": 0, "reads": 0, "read_failures": 0}
        self.set_fault(fault)

    def set_fault(self, fault: str | None) -> None:
        """``offline`` (no reader) or None; taking the reader offline takes the card away."""
        if fault not in (None, "offline"):
            raise ValueError("a simulated card reader knows only the 'offline' fault")
        self._fault = fault
        if fault:
            self.remove()

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Stops reporting cards."""
        self.stop()

    def start(self, on_card: Callable[[CardPresence], None]) -> None:
        """Report cards placed and removed to ``on_card`` (on the caller's thread of place/remove)."""
        self._on_card = on_card

    def stop(self) -> None:
        """No more card events."""
        self._on_card = None

    def place(self, nik: str) -> None:
        """Put a card holding ``nik`` (or :data:`UNREADABLE`) on the reader."""
        if self._fault:
            return
        self.remove()
        self._card = nik
        self.counters["taps"] += 1
        if self._on_card is not None:
            self._on_card(CardPresence.PLACED)

    def remove(self) -> None:
        """Take the card away (nothing of it is kept)."""
        if self._card is None:
            return
        self._card = None
        if self._on_card is not None:
            self._on_card(CardPresence.REMOVED)

    def read_nik(self, timeout: float = 5.0) -> str:
        """The placed card's NIK after ``seconds_per_read``; the real reader's errors otherwise."""
        if self.seconds_per_read > timeout:
            time.sleep(timeout)
            raise DeviceTimeout(f"{self.name} read: no answer within {timeout:g} s")
        if self.seconds_per_read:
            time.sleep(self.seconds_per_read)
        card = self._card
        try:
            if self._fault:
                raise DeviceOffline("simulated: offline")
            if card is None:
                raise CardAbsent("no card on the reader")
            if card == UNREADABLE:
                raise CardUnreadable("the card holds no NIK")
            check_nik_bytes(card.encode("ascii", "replace"))
        except (DeviceOffline, CardAbsent, CardUnreadable):
            self.counters["read_failures"] += 1
            raise
        self.counters["reads"] += 1
        return card

    def status(self) -> DeviceStatus:
        """READY (the message says whether a card is on it), OFFLINE in the offline fault."""
        counters = dict(self.counters)
        if self._fault:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), "simulated: offline", counters=counters)
        card = "a card on it" if self._card is not None else "no card"
        return DeviceStatus(DeviceState.READY, (), f"simulated; {card}", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status; external: reads the card on the reader (says whether, never what)."""
        level = SelfTestLevel(level)
        if level is SelfTestLevel.INTERNAL or not self.status().state.usable:
            return SelfTestResult(level, self.status().state.usable, self.status().message)
        try:
            self.read_nik()
        except (DeviceOffline, CardAbsent, CardUnreadable) as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, "simulated: read a NIK")


class SimulatedFingerprintReader:
    """A reader on which :meth:`touch` puts a finger (the template bytes it matches) or :meth:`touch_badly`
    a poor scan; :meth:`verify` and :meth:`capture` take the next one, waiting for it up to their timeout.
    Faults: ``offline``."""

    kind = "fingerprint_reader"
    driver = "simulated"

    def __init__(self, name: str, fault: str | None = None) -> None:
        self.name = name
        self._fingers: collections.deque[tuple[bytes, str]] = collections.deque()
        self._arrived = threading.Condition()
        self._fault: str | None = None
        self._cancels = 0  # how many times cancel() was called: a wait that began before the last one ends
        self.counters = {"verifies": 0, "matches": 0, "no_matches": 0, "retries": 0, "captures": 0}
        self.set_fault(fault)

    def set_fault(self, fault: str | None) -> None:
        """``offline`` (unplugged) or None."""
        if fault not in (None, "offline"):
            raise ValueError("a simulated fingerprint reader knows only the 'offline' fault")
        self._fault = fault

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Forget fingers not yet scanned."""
        with self._arrived:
            self._fingers.clear()

    def touch(self, finger: bytes) -> None:
        """A finger on the reader: it matches the template ``finger``."""
        with self._arrived:
            self._fingers.append((bytes(finger), ""))
            self._arrived.notify_all()

    def touch_badly(self, reason: str = "center-finger") -> None:
        """A scan too poor to judge: the next verify says RETRY with ``reason``."""
        if reason not in RETRY_REASONS:
            raise ValueError(f"retry reason must be one of {sorted(RETRY_REASONS)}")
        with self._arrived:
            self._fingers.append((b"", reason))
            self._arrived.notify_all()

    def cancel(self) -> None:
        """End the capture or verify waiting for a finger now, with DeviceTimeout; nothing when none waits."""
        with self._arrived:
            self._cancels += 1
            self._arrived.notify_all()

    def _next(self, timeout: float) -> tuple[bytes, str]:
        if self._fault:
            raise DeviceOffline("simulated: unplugged")
        with self._arrived:
            cancels = self._cancels
            if not self._arrived.wait_for(lambda: bool(self._fingers) or bool(self._fault)
                                          or self._cancels != cancels, timeout):
                raise DeviceTimeout(f"{self.name}: no finger within {timeout:g} s")
            if self._fault:
                raise DeviceOffline("simulated: unplugged")
            if self._cancels != cancels:
                raise DeviceTimeout(f"{self.name}: cancelled")
            return self._fingers.popleft()

    def capture(self, timeout: float = 30.0) -> bytes:
        """The next finger's template."""
        finger, retry = self._next(timeout)
        if retry:
            raise ScanTooPoor(f"simulated: the scan was not good enough ({retry})", retry)
        self.counters["captures"] += 1
        return finger

    def verify(self, template: bytes, timeout: float = 30.0) -> FingerResult:
        """MATCH when the next finger is ``template``, NO_MATCH for another, RETRY for a poor scan."""
        finger, retry = self._next(timeout)
        self.counters["verifies"] += 1
        if retry:
            self.counters["retries"] += 1
            return FingerResult(FingerOutcome.RETRY, retry)
        if finger == template:
            self.counters["matches"] += 1
            return FingerResult(FingerOutcome.MATCH)
        self.counters["no_matches"] += 1
        return FingerResult(FingerOutcome.NO_MATCH)

    def status(self) -> DeviceStatus:
        """READY, or OFFLINE in the offline fault."""
        counters = dict(self.counters)
        if self._fault:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), "simulated: unplugged", counters=counters)
        return DeviceStatus(DeviceState.READY, (), "simulated", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal/external: status; interactive: asks for a finger."""
        return reader_self_test(self, level, "put a finger on the reader")


# --------------------------------------------------------------------------- config and registration
@driver("card_reader", "simulated")
class SimulatedCardReaderConfig(DriverConfig):
    """A simulated card reader fed by the demo's buttons and by tests."""

    driver: Literal["simulated"]
    seconds_per_read: float = Field(0.2, ge=0, le=30, description="Time one NIK read takes.")
    fault: Literal["offline"] | None = Field(None, description="Fault the reader starts in.")

    def build(self, context: BuildContext) -> SimulatedCardReader:
        return SimulatedCardReader(context.name, self.seconds_per_read, self.fault)


@driver("fingerprint_reader", "simulated")
class SimulatedFingerprintReaderConfig(DriverConfig):
    """A simulated fingerprint reader fed by the demo's buttons and by tests."""

    driver: Literal["simulated"]
    fault: Literal["offline"] | None = Field(None, description="Fault the reader starts in.")

    def build(self, context: BuildContext) -> SimulatedFingerprintReader:
        return SimulatedFingerprintReader(context.name, self.fault)
