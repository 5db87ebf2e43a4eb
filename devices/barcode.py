"""Barcode readers: the scan sanitizer, the serial (and USB CDC) reader, and the evdev keyboard-wedge reader.

Whatever a reader delivers passed :class:`ScanSanitizer`: printable ASCII only, at most ``max_length``
characters, complete lines only (a line not finished within ``partial_timeout_s`` is dropped). A scan that
breaks a rule is dropped whole, never trimmed, because half a QR code must not be read as a different one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from devices.base import (
    LIBRARY_MISSING,
    OFFLINE_REPORT,
    DeviceState,
    DeviceStatus,
    SelfTestLevel,
    SelfTestResult,
)
from devices.registry import BuildContext, Discovered, DriverConfig, driver, same_serial_port

if TYPE_CHECKING:  # pyserial is imported when a reader starts: without it the reader reports why
    import serial

log = logging.getLogger(__name__)

TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}


class ScanSanitizer:
    """Turns a byte stream into clean scans; never raises on any input."""

    def __init__(self, max_length: int = 512, terminator: bytes = b"\r", partial_timeout_s: float | None = 0.5) -> None:
        self.max_length = max_length
        self.terminator = terminator
        self.partial_timeout_s = partial_timeout_s
        self._buffer = bytearray()
        self._overflow = False
        self._last_byte_at = 0.0
        self.accepted = 0
        self.dropped = 0

    def feed(self, data: bytes, now: float | None = None) -> list[str]:
        """Add bytes read at monotonic time ``now``; returns the scans they complete."""
        now = time.monotonic() if now is None else now
        self.expire(now)
        if data:
            self._last_byte_at = now
        scans: list[str] = []
        for byte in data:
            self._buffer.append(byte)
            if self._buffer.endswith(self.terminator):
                line = bytes(self._buffer[: -len(self.terminator)])
                self._buffer.clear()
                overflow, self._overflow = self._overflow, False
                scan = self._accept(line, overflow)
                if scan is not None:
                    scans.append(scan)
            elif len(self._buffer) > self.max_length + len(self.terminator) + 2:
                # A runaway line: forget what came so far, drop the rest up to the next terminator.
                self._buffer.clear()
                self._overflow = True
        return scans

    def expire(self, now: float | None = None) -> bool:
        """Drop an unfinished line older than ``partial_timeout_s``; True when one was dropped."""
        if self.partial_timeout_s is None or not (self._buffer or self._overflow):
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_byte_at < self.partial_timeout_s:
            return False
        self._buffer.clear()
        self._overflow = False
        self.dropped += 1
        return True

    def _accept(self, line: bytes, overflow: bool) -> str | None:
        # Readers configured for CR often send CRLF (or the other way round): ignore line ends at the edges.
        line = line.strip(b"\r\n")
        if not line and not overflow:
            return None  # an empty line is not a scan, and not worth counting as garbage
        if overflow or len(line) > self.max_length or not all(0x20 <= b <= 0x7E for b in line):
            self.dropped += 1
            return None
        self.accepted += 1
        return line.decode("ascii")


def _deliver(name: str, on_scan: Callable[[str], None], scan: str) -> None:
    try:
        on_scan(scan)
    except Exception as exc:  # noqa: BLE001 - the app's callback must not kill the reader thread; logged
        log.error("barcode.callback_failed", extra={"fields": {"reader": name, "error": type(exc).__name__}})


class SerialBarcodeReader:
    """A scanner on a serial port or USB CDC (``/dev/ttyACM0``); reconnects by itself after an unplug."""

    kind = "barcode_reader"
    driver = "serial"

    def __init__(self, name: str, port: str, baudrate: int = 9600, terminator: str = "CR", max_length: int = 512,
                 partial_timeout_s: float = 0.5, reconnect_interval_s: float = 1.0) -> None:
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self.reconnect_interval_s = reconnect_interval_s
        self.sanitizer = ScanSanitizer(max_length, TERMINATORS[terminator], partial_timeout_s)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._error = ""
        self.reconnects = 0

    def open(self) -> None:
        """Nothing to do until :meth:`start`: the port is opened by the reading thread."""

    def close(self) -> None:
        """Stop reading and release the port."""
        self.stop()

    def start(self, on_scan: Callable[[str], None]) -> None:
        """Read on a daemon thread; each clean scan goes to ``on_scan`` (on that thread)."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(on_scan,), name=f"barcode:{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (waits at most ``timeout``)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._thread = None
        self._connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        """True once the port is open (tests, diagnostics)."""
        return self._connected.wait(timeout)

    def _loop(self, on_scan: Callable[[str], None]) -> None:
        try:
            import serial
        except ImportError as exc:
            self._error = f"pyserial is not installed: {exc}"
            return
        first = True
        while not self._stop.is_set():
            try:
                port = serial.Serial(self.port, self.baudrate, timeout=0.1)
            except (serial.SerialException, OSError, ValueError) as exc:
                self._error = f"cannot open {self.port}: {type(exc).__name__}"
                self._stop.wait(self.reconnect_interval_s)
                continue
            if not first:
                self.reconnects += 1
            first = False
            self._error = ""
            self._connected.set()
            log.info("barcode.connected", extra={"fields": {"reader": self.name}})
            try:
                self._read(port, on_scan)
            except (serial.SerialException, OSError) as exc:
                self._error = f"{self.port} went away: {type(exc).__name__}"
                log.warning("barcode.disconnected", extra={"fields": {"reader": self.name}})
            finally:
                self._connected.clear()
                port.close()
            self._stop.wait(self.reconnect_interval_s)

    def _read(self, port: serial.Serial, on_scan: Callable[[str], None]) -> None:
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if not data:
                self.sanitizer.expire()
                continue
            for scan in self.sanitizer.feed(data):
                _deliver(self.name, on_scan, scan)

    def status(self) -> DeviceStatus:
        """READY while the port is open; OFFLINE (offline-report) with why otherwise."""
        counters = {"scans": self.sanitizer.accepted, "dropped": self.sanitizer.dropped, "reconnects": self.reconnects}
        if self._connected.is_set():
            return DeviceStatus(DeviceState.READY, (), f"reading {self.port}", counters=counters)
        if self._thread is None:
            return self._probe(counters)
        reason = LIBRARY_MISSING if "pyserial" in self._error else OFFLINE_REPORT
        message = self._error or f"{self.port} not open yet"
        return DeviceStatus(DeviceState.OFFLINE, (reason,), message, counters=counters)

    def _probe(self, counters: dict[str, int]) -> DeviceStatus:
        # Not started (e.g. `adm-kiosk diagnose`): can the port be opened at all?
        try:
            import serial
        except ImportError as exc:
            return DeviceStatus(DeviceState.OFFLINE, (LIBRARY_MISSING,), f"pyserial is not installed: {exc}",
                                counters=counters)
        try:
            serial.Serial(self.port, self.baudrate, timeout=0).close()
        except (serial.SerialException, OSError, ValueError) as exc:
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), f"cannot open {self.port}: "
                                f"{type(exc).__name__}", counters=counters)
        return DeviceStatus(DeviceState.READY, (), f"{self.port} can be opened", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal/external: the port opens; interactive: asks the technician to scan a code."""
        level = SelfTestLevel(level)
        status = self.status()
        if level is SelfTestLevel.INTERACTIVE and status.state.usable:
            return SelfTestResult(level, True, "scan any code now", needs_confirmation=True)
        return SelfTestResult(level, status.state.usable, status.message)


# Linux input key codes of what a barcode reader types (US layout), without and with shift.
_KEYS = {2: "1!", 3: "2@", 4: "3#", 5: "4$", 6: "5%", 7: "6^", 8: "7&", 9: "8*", 10: "9(", 11: "0)", 12: "-_",
         13: "=+", 16: "qQ", 17: "wW", 18: "eE", 19: "rR", 20: "tT", 21: "yY", 22: "uU", 23: "iI", 24: "oO",
         25: "pP", 26: "[{", 27: "]}", 30: "aA", 31: "sS", 32: "dD", 33: "fF", 34: "gG", 35: "hH", 36: "jJ",
         37: "kK", 38: "lL", 39: ";:", 40: "'\"", 41: "`~", 43: "\\|", 44: "zZ", 45: "xX", 46: "cC", 47: "vV",
         48: "bB", 49: "nN", 50: "mM", 51: ",<", 52: ".>", 53: "/?", 57: "  "}
_ENTER, _KPENTER, _TAB, _SHIFTS = 28, 96, 15, (42, 54)


class EvdevBarcodeReader:
    """A keyboard-wedge (HID) reader read through evdev, grabbed so its keystrokes reach no other window.

    Needs the ``evdev`` module; without it the reader reports OFFLINE (library-missing) and never starts.
    """

    kind = "barcode_reader"
    driver = "evdev"

    def __init__(self, name: str, device: str, max_length: int = 512, partial_timeout_s: float = 0.5) -> None:
        self.name = name
        self.device = device
        self.sanitizer = ScanSanitizer(max_length, b"\r", partial_timeout_s)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._error = ""

    @staticmethod
    def _evdev() -> Any:
        import evdev

        return evdev

    def open(self) -> None:
        """Nothing to do until :meth:`start`."""

    def close(self) -> None:
        """Stop reading."""
        self.stop()

    def start(self, on_scan: Callable[[str], None]) -> None:
        """Read on a daemon thread; without evdev this only records why it cannot."""
        try:
            self._evdev()
        except ImportError:
            self._error = "the python evdev module is not installed"
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(on_scan,), name=f"barcode:{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (waits at most ``timeout``)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._thread = None

    def _loop(self, on_scan: Callable[[str], None]) -> None:
        import select

        evdev = self._evdev()
        while not self._stop.is_set():
            try:
                device = evdev.InputDevice(self.device)
                device.grab()
            except OSError as exc:
                self._error = f"cannot open {self.device}: {type(exc).__name__}"
                self._stop.wait(1.0)
                continue
            self._connected.set()
            shift = False
            try:
                while not self._stop.is_set():
                    ready, _, _ = select.select([device.fd], [], [], 0.1)
                    if not ready:
                        self.sanitizer.expire()
                        continue
                    for ev in device.read():
                        if ev.type != evdev.ecodes.EV_KEY:
                            continue
                        if ev.code in _SHIFTS:
                            shift = ev.value != 0
                        elif ev.value == 1:  # key down
                            for scan in self.sanitizer.feed(self._byte(ev.code, shift)):
                                _deliver(self.name, on_scan, scan)
            except OSError as exc:
                self._error = f"{self.device} went away: {type(exc).__name__}"
            finally:
                self._connected.clear()
                device.close()

    @staticmethod
    def _byte(code: int, shift: bool) -> bytes:
        if code in (_ENTER, _KPENTER, _TAB):
            return b"\r"
        pair = _KEYS.get(code)
        return pair[1 if shift else 0].encode() if pair else b"\x00"  # unknown key: spoils the scan

    def status(self) -> DeviceStatus:
        """READY while the device is grabbed; OFFLINE with why otherwise (library-missing without evdev)."""
        counters = {"scans": self.sanitizer.accepted, "dropped": self.sanitizer.dropped}
        try:
            self._evdev()
        except ImportError:
            return DeviceStatus(DeviceState.OFFLINE, (LIBRARY_MISSING,), "the python evdev module is not installed",
                                counters=counters)
        if self._connected.is_set():
            return DeviceStatus(DeviceState.READY, (), f"reading {self.device}", counters=counters)
        return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), self._error or f"{self.device} not open",
                            counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal/external: status; interactive: asks the technician to scan a code."""
        level = SelfTestLevel(level)
        status = self.status()
        if level is SelfTestLevel.INTERACTIVE and status.state.usable:
            return SelfTestResult(level, True, "scan any code now", needs_confirmation=True)
        return SelfTestResult(level, status.state.usable, status.message)


# --------------------------------------------------------------------------- config and registration
class BarcodeReaderConfig(DriverConfig):
    """What every barcode reader's config has: a name (readers are a list) and the longest scan."""

    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="Short name, e.g. 'front'.")
    max_length: int = Field(512, ge=16, le=4096, description="Longest scan accepted; longer ones are dropped.")


@driver("barcode_reader", "serial")
class SerialBarcodeReaderConfig(BarcodeReaderConfig):
    """A scanner on a serial port or USB CDC (/dev/ttyACM*)."""

    driver: Literal["serial"]
    port: str = Field(..., description="Serial or USB CDC device, e.g. /dev/ttyACM0.")
    baudrate: int = Field(9600, description="Baud rate.")
    terminator: Literal["CR", "LF", "CRLF", "TAB"] = Field("CR", description="What ends one scan.")
    partial_timeout_s: float = Field(0.5, gt=0, le=10, description="A line not finished in this time is dropped.")

    def build(self, context: BuildContext) -> SerialBarcodeReader:
        return SerialBarcodeReader(self.name, self.port, self.baudrate, self.terminator, self.max_length,
                                   self.partial_timeout_s)

    def owns(self, found: Discovered) -> bool:
        return same_serial_port(self.port, found)

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        # Barcode readers in USB CDC mode show up as ttyACM; a ttyS or ttyUSB port could be anything.
        return found.source == "serial" and os.path.basename(str(found.item.get("port", ""))).startswith("ttyACM")


@driver("barcode_reader", "evdev")
class EvdevBarcodeReaderConfig(BarcodeReaderConfig):
    """A keyboard-wedge (HID) reader read through evdev."""

    driver: Literal["evdev"]
    device: str = Field(..., description="Input device, e.g. /dev/input/by-id/usb-...-event-kbd.")

    def build(self, context: BuildContext) -> EvdevBarcodeReader:
        return EvdevBarcodeReader(self.name, self.device, self.max_length)
