"""The PC/SC card reader (pyscard over pcscd): notices cards placed and removed, reads the NIK through a profile.

Every PC/SC call is bounded: the watching thread waits in ``SCardGetStatusChange`` with a short timeout (and
``SCardCancel`` wakes it to stop), a read runs on a worker thread with its own context and is abandoned when
its time runs out. When pcscd goes away the watcher reports the card removed, the reader OFFLINE, and
reconnects once pcscd is back. The NIK read from a card goes to the caller only: nothing here logs it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from devices.base import (
    DEVICE_MISSING,
    LIBRARY_MISSING,
    OFFLINE_REPORT,
    SECURITY_MODULE_MISSING,
    CardAbsent,
    CardPresence,
    CardUnreadable,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    SelfTestLevel,
    SelfTestResult,
    call_with_timeout,
)
from devices.cardprofile import CardProfile, card_profile, profile_problem
from devices.registry import BuildContext, Discovered, DriverConfig, driver

log = logging.getLogger(__name__)

#: How long a failed exchange waits for pcscd to notice that the card was taken away (it polls a reader
#: without card events about every 400 ms).
_REMOVAL_GRACE_S = 1.0


def _scard() -> Any:
    from smartcard import scard

    return scard


class _PcscFailure(Exception):
    """A PC/SC call that did not succeed: its result code."""

    def __init__(self, what: str, code: int) -> None:
        super().__init__(f"{what}: 0x{code & 0xFFFFFFFF:08X}")
        self.code = code


class PcscCardReader:
    """A PC/SC reader: the first reader pcscd lists whose name contains ``reader`` (any reader when empty)."""

    kind = "card_reader"
    driver = "pcsc"

    def __init__(self, name: str, reader: str = "", profile: CardProfile | None = None,
                 poll_ms: int = 250, reconnect_interval_s: float = 1.0) -> None:
        self.name = name
        self.reader = reader
        self.profile: CardProfile = profile or card_profile("adm-demo")
        self.poll_ms = poll_ms
        self.reconnect_interval_s = reconnect_interval_s
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._context: int | None = None
        self._lock = threading.Lock()
        self._watching = threading.Event()
        self._present = False
        self._error = ""
        self._error_reason = OFFLINE_REPORT
        self.counters = {"taps": 0, "reads": 0, "read_failures": 0, "reconnects": 0}

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        """Nothing to do until :meth:`start`: the watcher connects to pcscd."""

    def close(self) -> None:
        """Stop watching."""
        self.stop()

    def start(self, on_card: Callable[[CardPresence], None]) -> None:
        """Watch the reader on a daemon thread; cards placed and removed go to ``on_card`` (on that thread)."""
        if self._thread and self._thread.is_alive():
            return
        try:
            _scard()
        except ImportError as exc:
            self._error, self._error_reason = f"pyscard is not installed: {exc}", LIBRARY_MISSING
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, args=(on_card,), name=f"card:{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the watcher (waits at most ``timeout``)."""
        self._stop.set()
        with self._lock:
            if self._context is not None:
                _scard().SCardCancel(self._context)
        if self._thread:
            self._thread.join(timeout)
        self._thread = None
        self._watching.clear()

    def wait_watching(self, timeout: float) -> bool:
        """True once the watcher is connected to pcscd and sees the reader (tests, diagnostics)."""
        return self._watching.wait(timeout)

    @property
    def card_present(self) -> bool:
        """Whether the watcher last saw a card on the reader."""
        return self._present

    # ------------------------------------------------------------------ watching
    def _watch(self, on_card: Callable[[CardPresence], None]) -> None:
        scard = _scard()
        first = True
        while not self._stop.is_set():
            try:
                context = self._establish(scard)
            except _PcscFailure as exc:
                self._went_away(on_card, f"pcscd is not answering ({exc})", OFFLINE_REPORT)
                self._stop.wait(self.reconnect_interval_s)
                continue
            with self._lock:
                self._context = context
            if not first:
                self.counters["reconnects"] += 1
            first = False
            try:
                self._watch_context(scard, context, on_card)
            finally:
                with self._lock:
                    self._context = None
                scard.SCardReleaseContext(context)
            self._stop.wait(self.reconnect_interval_s)

    def _watch_context(self, scard: Any, context: int, on_card: Callable[[CardPresence], None]) -> None:
        state = scard.SCARD_STATE_UNAWARE
        reader = ""
        while not self._stop.is_set():
            if not reader:
                try:
                    reader = self._find_reader(scard, context)
                except _PcscFailure as exc:
                    if exc.code in _SERVICE_GONE:
                        self._went_away(on_card, "pcscd went away", OFFLINE_REPORT)
                        return
                    self._went_away(on_card, f"no card reader{self._wanted()} found", DEVICE_MISSING)
                    self._stop.wait(self.reconnect_interval_s)
                    continue
                state = scard.SCARD_STATE_UNAWARE
            code, states = scard.SCardGetStatusChange(context, self.poll_ms, [(reader, state)])
            if code in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                continue
            if code != scard.SCARD_S_SUCCESS:
                if code in _SERVICE_GONE:
                    self._went_away(on_card, "pcscd went away", OFFLINE_REPORT)
                    return
                self._went_away(on_card, f"the reader{self._wanted()} went away", DEVICE_MISSING)
                reader = ""
                continue
            event = states[0][1]
            state = event & ~scard.SCARD_STATE_CHANGED
            if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                self._went_away(on_card, f"the reader{self._wanted()} went away", DEVICE_MISSING)
                reader = ""
                continue
            self._error = ""
            self._watching.set()
            self._presence(on_card, bool(event & scard.SCARD_STATE_PRESENT))

    def _presence(self, on_card: Callable[[CardPresence], None], present: bool) -> None:
        if present == self._present:
            return
        self._present = present
        if present:
            self.counters["taps"] += 1
        log.info("card_reader.card", extra={"fields": {"reader": self.name, "present": present}})
        try:
            on_card(CardPresence.PLACED if present else CardPresence.REMOVED)
        except Exception as exc:  # noqa: BLE001 - the app's callback must not kill the watcher; logged
            log.error("card_reader.callback_failed", extra={"fields": {"reader": self.name,
                                                                       "error": type(exc).__name__}})

    def _went_away(self, on_card: Callable[[CardPresence], None], why: str, reason: str) -> None:
        if not self._error:
            log.warning("card_reader.offline", extra={"fields": {"reader": self.name, "reason": reason}})
        self._error, self._error_reason = why, reason
        self._watching.clear()
        self._presence(on_card, False)

    def _wanted(self) -> str:
        return f" matching {self.reader!r}" if self.reader else ""

    # ------------------------------------------------------------------ PC/SC calls
    @staticmethod
    def _establish(scard: Any) -> int:
        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if code != scard.SCARD_S_SUCCESS:
            raise _PcscFailure("SCardEstablishContext", code)
        return int(context)

    def _find_reader(self, scard: Any, context: int) -> str:
        code, readers = scard.SCardListReaders(context, [])
        if code != scard.SCARD_S_SUCCESS:
            raise _PcscFailure("SCardListReaders", code)
        for reader in readers:
            if self.reader in reader:
                return str(reader)
        raise _PcscFailure("no matching reader", scard.SCARD_E_UNKNOWN_READER)

    def read_nik(self, timeout: float = 5.0) -> str:
        """The NIK of the card on the reader, read through the profile within ``timeout`` seconds.

        Raises CardAbsent (no card, or taken away during the read), CardUnreadable (the card did not answer as
        the profile expects), DeviceOffline (no pcscd, no reader, no pyscard) or DeviceTimeout.
        """
        try:
            nik = call_with_timeout(self._read_nik, timeout, f"{self.name} read")
        except DeviceError:
            self.counters["read_failures"] += 1
            raise
        self.counters["reads"] += 1
        return nik

    def _read_nik(self) -> str:
        try:
            scard = _scard()
        except ImportError as exc:
            raise DeviceOffline(f"pyscard is not installed: {exc}", LIBRARY_MISSING) from None
        try:
            context = self._establish(scard)
        except _PcscFailure as exc:
            raise DeviceOffline(f"pcscd is not answering ({exc})") from None
        try:
            try:
                reader = self._find_reader(scard, context)
            except _PcscFailure:
                raise DeviceOffline(f"no card reader{self._wanted()} found", DEVICE_MISSING) from None
            code, card, protocol = scard.SCardConnect(context, reader, scard.SCARD_SHARE_SHARED,
                                                      scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            if code != scard.SCARD_S_SUCCESS:
                raise self._connect_error(scard, code)
            try:
                return self.profile.read_nik(lambda apdu: self._transmit(scard, context, reader, card, protocol, apdu))
            finally:
                # Reset, so whatever the profile opened on the card is closed for the next program.
                scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)
        finally:
            scard.SCardReleaseContext(context)

    def _transmit(self, scard: Any, context: int, reader: str, card: int, protocol: int, apdu: bytes) -> bytes:
        code, response = scard.SCardTransmit(card, protocol, list(apdu))
        if code == scard.SCARD_S_SUCCESS and len(response) >= 2:
            return bytes(response)
        if code in _SERVICE_GONE:
            raise DeviceOffline("pcscd went away during the read")
        # A failed exchange or an answer without a status word: taken away, or a card that does not speak
        # properly? Ask the reader, giving it a moment to notice a removal (vpcd answers a card that went
        # away with an empty response before pcscd's state changes).
        deadline = time.monotonic() + _REMOVAL_GRACE_S
        while True:
            code, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
            if code != scard.SCARD_S_SUCCESS or not states[0][1] & scard.SCARD_STATE_PRESENT:
                raise CardAbsent("the card was taken away during the read")
            if time.monotonic() > deadline:
                raise CardUnreadable("the card did not answer as a card of its profile would")
            time.sleep(0.05)

    @staticmethod
    def _connect_error(scard: Any, code: int) -> Exception:
        if code in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
            return CardAbsent("no card on the reader")
        if code in _SERVICE_GONE:
            return DeviceOffline("pcscd went away")
        if code in (scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_W_UNSUPPORTED_CARD):
            return CardUnreadable("the card does not answer the reader")
        return DeviceOffline(f"cannot connect to the card ({_PcscFailure('SCardConnect', code)})")

    # ------------------------------------------------------------------ status
    def status(self) -> DeviceStatus:
        """READY with the reader seen (BUSY never: a read is short); OFFLINE without pcscd, reader or pyscard;
        NEEDS_ATTENTION when the card profile cannot read any card (no security module)."""
        counters = dict(self.counters)
        try:
            _scard()
        except ImportError as exc:
            return DeviceStatus(DeviceState.OFFLINE, (LIBRARY_MISSING,), f"pyscard is not installed: {exc}",
                                counters=counters)
        problem = profile_problem(self.profile)
        if problem:
            return DeviceStatus(DeviceState.NEEDS_ATTENTION, (SECURITY_MODULE_MISSING,), problem, counters=counters)
        if self._thread is not None:
            if self._watching.is_set():
                # No card is the reader's normal state, not a reason: reasons name what is wrong.
                card = "a card on it" if self._present else "no card"
                return DeviceStatus(DeviceState.READY, (), f"{self.profile.name} profile; {card}", counters=counters)
            return DeviceStatus(DeviceState.OFFLINE, (self._error_reason,), self._error or "connecting to pcscd",
                                counters=counters)
        return call_with_timeout(lambda: self._probe(counters), 5.0, f"{self.name} probe")

    def _probe(self, counters: dict[str, int]) -> DeviceStatus:
        # Not started (e.g. `adm-kiosk diagnose`): is pcscd there, and the reader?
        scard = _scard()
        try:
            context = self._establish(scard)
        except _PcscFailure as exc:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), f"pcscd is not answering ({exc})",
                                counters=counters)
        try:
            reader = self._find_reader(scard, context)
        except _PcscFailure:
            return DeviceStatus(DeviceState.OFFLINE, (DEVICE_MISSING,), f"no card reader{self._wanted()} found",
                                counters=counters)
        finally:
            scard.SCardReleaseContext(context)
        return DeviceStatus(DeviceState.READY, (), f"{reader}; {self.profile.name} profile", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: pcscd and the reader answer; external: reads the card on the reader through the profile
        (says whether a NIK came, never which); interactive: asks the technician to place a card."""
        level = SelfTestLevel(level)
        status = self.status()
        if not status.state.usable or level is SelfTestLevel.INTERNAL:
            return SelfTestResult(level, status.state.usable, status.message)
        if level is SelfTestLevel.INTERACTIVE:
            return SelfTestResult(level, True, "place a card on the reader, then run the external test",
                                  needs_confirmation=True)
        started = time.monotonic()
        try:
            self.read_nik(5.0)
        except (CardAbsent, CardUnreadable, DeviceOffline) as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, f"read a NIK through the {self.profile.name} profile "
                              f"in {1000 * (time.monotonic() - started):.0f} ms")


class _ServiceGone:
    """Result codes that mean pcscd itself is gone (killed, restarted): reconnect. Looked up in pyscard on
    first use, so importing this module never imports pyscard."""

    def __contains__(self, code: object) -> bool:
        scard = _scard()
        return code in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
                        scard.SCARD_F_COMM_ERROR)


_SERVICE_GONE = _ServiceGone()


def list_readers() -> list[dict[str, Any]]:
    """Every reader pcscd lists, with ``card_present`` true when a card is on it (discovery). ImportError without
    pyscard; DeviceOffline when pcscd does not answer."""
    scard = _scard()
    try:
        context = PcscCardReader._establish(scard)
    except _PcscFailure as exc:
        raise DeviceOffline(f"pcscd is not answering ({exc})") from None
    try:
        code, readers = scard.SCardListReaders(context, [])
        if code != scard.SCARD_S_SUCCESS:
            return []  # pcscd answers, and has no reader
        code, states = scard.SCardGetStatusChange(context, 0, [(r, scard.SCARD_STATE_UNAWARE) for r in readers])
        present = {s[0]: bool(s[1] & scard.SCARD_STATE_PRESENT) for s in states} if code == 0 else {}
        return [{"reader": str(r), "card_present": present.get(r, False)} for r in readers]
    finally:
        scard.SCardReleaseContext(context)


# --------------------------------------------------------------------------- config and registration
class _CardReaderConfig(DriverConfig):
    profile: Literal["adm-demo", "ktp-el"] = Field(
        "adm-demo", description="Card profile: 'adm-demo' (demo and test cards) or 'ktp-el' (needs security_module).")
    security_module: str | None = Field(
        None, pattern=r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$",
        description="For 'ktp-el': Dukcapil's security module, as package.module:factory (the deployment's).")


@driver("card_reader", "pcsc")
class PcscCardReaderConfig(_CardReaderConfig):
    """A PC/SC smart-card reader through pcscd (pyscard), e.g. a KTP-el reader with a SAM slot."""

    driver: Literal["pcsc"]
    reader: str = Field("", description="Part of the reader's PC/SC name; empty: the first reader.")
    poll_ms: int = Field(250, ge=10, le=5000, description="How long one wait for a card change lasts.")

    def build(self, context: BuildContext) -> PcscCardReader:
        return PcscCardReader(context.name, self.reader, card_profile(self.profile, self.security_module),
                              self.poll_ms)

    def owns(self, found: Discovered) -> bool:
        return found.source == "pcsc" and self.reader in str(found.item.get("reader", ""))

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        return found.source == "pcsc"
