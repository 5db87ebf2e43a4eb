"""The fingerprint reader through libfprint, in-process (PyGObject's ``gi.repository.FPrint``; not fprintd,
which ties prints to Unix users and needs polkit).

libfprint's synchronous calls iterate GLib's default main context, so every call runs on one worker thread
of this reader's, one at a time; the caller waits at most its timeout, then cancels the operation through its
``Gio.Cancellable`` and reports DeviceTimeout. A scan too poor to judge is a RETRY result (libfprint's retry
codes), a match or no match the other results, a device failure a DeviceError (DeviceOffline once the
reader is unplugged; the next call looks for it again).

A template is the bytes of libfprint's serialized print (``FpPrint.serialize``), handed to the caller and
never written or logged here; scans and images never leave libfprint.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import Field

from devices.base import (
    DEVICE_MISSING,
    LIBRARY_MISSING,
    OFFLINE_REPORT,
    OTHER,
    DeviceError,
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
from devices.registry import BuildContext, Discovered, DriverConfig, driver

log = logging.getLogger(__name__)
T = TypeVar("T")

#: libfprint's FpDeviceRetry codes -> our retry words.
_RETRY_WORDS = {0: "general", 1: "too-short", 2: "center-finger", 3: "remove-finger"}
#: A cancelled operation gets this long to unwind before the caller stops waiting.
_CANCEL_GRACE_S = 2.0


def _gi() -> tuple[Any, Any, Any]:
    """(FPrint, GLib, Gio); ImportError or ValueError when PyGObject or libfprint's typelib is missing."""
    import gi

    gi.require_version("FPrint", "2.0")
    from gi.repository import FPrint, Gio, GLib

    return FPrint, GLib, Gio


class _Retry(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


class LibfprintReader:
    """A libfprint device: the first one whose driver id contains ``device`` (any device when empty)."""

    kind = "fingerprint_reader"
    driver = "libfprint"

    def __init__(self, name: str, device: str = "") -> None:
        self.name = name
        self.device_filter = device
        self._executor = self._new_executor()
        self._device: Any = None  # FPrint.Device, opened; touched only on the worker thread
        self._context: Any = None
        self._error = ""
        self._error_reason = OFFLINE_REPORT
        self._busy = threading.Event()
        #: The Gio.Cancellable of the capture or verify under way (None between them), for :meth:`cancel`.
        self._current: Any = None
        self.counters = {"verifies": 0, "matches": 0, "no_matches": 0, "retries": 0, "errors": 0, "captures": 0}

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        """Nothing to do: the device is found and opened by the first call that needs it."""

    def close(self) -> None:
        """Close the device and stop the worker (waits for a running operation at most a few seconds)."""
        try:
            self._run(self._close_device, 5.0, None, "close")
        except DeviceError:
            pass
        # A fresh worker (its thread starts with the next call): a closed reader can be asked again.
        old, self._executor = self._executor, self._new_executor()
        old.shutdown(wait=False, cancel_futures=True)

    def _new_executor(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"fprint:{self.name}")

    # ------------------------------------------------------------------ the worker
    def _run(self, work: Callable[[Any], T], timeout: float, cancellable: Any, what: str) -> T:
        """Run ``work(cancellable)`` on the worker thread; at most ``timeout`` s, then cancel it."""
        def busy(cancellable: Any) -> T:
            self._busy.set()
            try:
                return work(cancellable)
            finally:
                self._busy.clear()

        self._current = cancellable
        future = self._executor.submit(busy, cancellable)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            if cancellable is not None:
                self._cancel(cancellable)
            try:
                return future.result(_CANCEL_GRACE_S)
            except concurrent.futures.TimeoutError:
                pass
            raise DeviceTimeout(f"{self.name} {what}: no answer within {timeout:g} s") from None
        finally:
            self._current = None

    def cancel(self) -> None:
        """End the capture or verify waiting for a finger now: it raises DeviceTimeout (libfprint reports the
        cancellation as it does a timeout). Nothing when none waits."""
        current = self._current
        if current is not None:
            self._cancel(current)

    @staticmethod
    def _cancel(cancellable: Any) -> None:
        """Cancel on the worker thread: libfprint's ``*_sync`` calls iterate GLib's default main context there,
        and a cancellable cancelled from another thread runs libfprint's handler beside that loop (GLib then
        logged "g_source_unref: assertion 'source != NULL' failed"). An idle source on that context is
        dispatched by the waiting loop itself; a capture already over leaves it to cancel nothing."""
        _, GLib, _ = _gi()

        def cancel() -> bool:
            cancellable.cancel()
            return GLib.SOURCE_REMOVE

        GLib.idle_add(cancel, priority=GLib.PRIORITY_HIGH)

    def _opened(self, cancellable: Any) -> Any:
        """The opened device (worker thread only), found again after an unplug."""
        FPrint, GLib, _ = _gi()
        device = self._device
        if device is not None and not device.props.removed:
            return device
        self._device = None
        self._context = FPrint.Context()
        self._context.enumerate()
        for candidate in self._context.get_devices():
            if self.device_filter in candidate.get_driver():
                try:
                    candidate.open_sync(cancellable)
                except GLib.Error as exc:
                    raise self._device_error(exc, "open") from None
                self._device = candidate
                self._error = ""
                return candidate
        raise DeviceOffline(f"no fingerprint reader{self._wanted()} found", DEVICE_MISSING)

    def _close_device(self, cancellable: Any) -> None:
        _, GLib, _ = _gi()
        device, self._device = self._device, None
        if device is not None and not device.props.removed:
            try:
                device.close_sync(cancellable)
            except GLib.Error:
                pass  # closing a device that failed: nothing more to release

    def _wanted(self) -> str:
        return f" matching {self.device_filter!r}" if self.device_filter else ""

    def _device_error(self, exc: Any, what: str) -> Exception:
        """A GLib.Error from libfprint as a retry, a timeout or a typed device error."""
        FPrint, _, Gio = _gi()
        if exc.matches(FPrint.device_retry_quark(), exc.code):
            return _Retry(_RETRY_WORDS.get(exc.code, "general"))
        if exc.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED) or \
                exc.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
            return DeviceTimeout(f"{self.name} {what}: no finger in time")
        if exc.matches(FPrint.device_error_quark(), FPrint.DeviceError.REMOVED):
            self._device = None
            return DeviceOffline(f"the fingerprint reader was unplugged during {what}", OFFLINE_REPORT)
        # The code says which failure (busy, protocol, too hot...); the message may carry device detail only.
        return DeviceError(f"{self.name} {what} failed: libfprint error {exc.code}", OTHER)

    # ------------------------------------------------------------------ the verbs
    def capture(self, timeout: float = 30.0) -> bytes:
        """Enrol a finger (as many scans as the device needs) and return its template's bytes."""
        FPrint, GLib, Gio = self._imports()
        cancellable = Gio.Cancellable()

        def work(cancellable: Any) -> bytes:
            device = self._opened(cancellable)
            template = FPrint.Print.new(device)
            try:
                enrolled = device.enroll_sync(template, cancellable, None, None)
            except GLib.Error as exc:
                raise self._device_error(exc, "capture") from None
            return bytes(enrolled.serialize())

        try:
            data = self._run(work, timeout, cancellable, "capture")
        except _Retry as retry:
            self.counters["retries"] += 1
            raise ScanTooPoor(f"the scan was not good enough ({retry.word})", retry.word) from None
        except DeviceError:
            self.counters["errors"] += 1
            raise
        self.counters["captures"] += 1
        return data

    def verify(self, template: bytes, timeout: float = 30.0) -> FingerResult:
        """Scan a finger and compare it with ``template``. ValueError when ``template`` is not a print."""
        FPrint, GLib, Gio = self._imports()
        try:
            enrolled = FPrint.Print.deserialize(template)
        except GLib.Error:
            raise ValueError("not a fingerprint template") from None
        cancellable = Gio.Cancellable()

        def work(cancellable: Any) -> bool:
            device = self._opened(cancellable)
            try:
                matched, _scan = device.verify_sync(enrolled, cancellable, None, None)
            except GLib.Error as exc:
                raise self._device_error(exc, "verify") from None
            return bool(matched)

        self.counters["verifies"] += 1
        try:
            matched = self._run(work, timeout, cancellable, "verify")
        except _Retry as retry:
            self.counters["retries"] += 1
            return FingerResult(FingerOutcome.RETRY, retry.word)
        except DeviceError as exc:
            self.counters["errors"] += 1
            self._error, self._error_reason = str(exc), exc.reason
            raise
        self.counters["matches" if matched else "no_matches"] += 1
        return FingerResult(FingerOutcome.MATCH if matched else FingerOutcome.NO_MATCH)

    def _imports(self) -> tuple[Any, Any, Any]:
        try:
            return _gi()
        except (ImportError, ValueError) as exc:
            raise DeviceOffline(f"libfprint through PyGObject is not available: {exc}", LIBRARY_MISSING) from None

    # ------------------------------------------------------------------ status
    def status(self) -> DeviceStatus:
        """READY with the device open (found and opened now if need be); OFFLINE without PyGObject or
        libfprint (library-missing), without a device (device-missing) or after an unplug."""
        counters = dict(self.counters)
        try:
            self._imports()
        except DeviceOffline as exc:
            return DeviceStatus(DeviceState.OFFLINE, (LIBRARY_MISSING,), str(exc), counters=counters)
        if self._busy.is_set():
            return DeviceStatus(DeviceState.BUSY, (), "waiting for a finger", counters=counters)
        try:
            driver_name = self._run(lambda c: self._opened(c).get_driver(), 5.0, None, "status")
        except DeviceError as exc:
            return DeviceStatus(DeviceState.OFFLINE, (exc.reason,), str(exc), counters=counters)
        return DeviceStatus(DeviceState.READY, (), f"libfprint {driver_name}", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal/external: the device is found and opens; interactive: asks for a finger (a capture)."""
        return reader_self_test(self, level, "put a finger on the reader")


def list_devices() -> list[dict[str, Any]]:
    """Every device libfprint finds, by driver id and name (discovery). ImportError or ValueError without
    PyGObject or libfprint's typelib. Runs libfprint on the caller's thread: call it where no reader runs."""
    FPrint, _, _ = _gi()
    context = FPrint.Context()
    context.enumerate()
    return [{"driver": d.get_driver(), "name": d.get_name(), "device_id": d.get_device_id()}
            for d in context.get_devices()]


# --------------------------------------------------------------------------- config and registration
@driver("fingerprint_reader", "libfprint")
class LibfprintReaderConfig(DriverConfig):
    """A fingerprint reader that libfprint drives (in-process, through PyGObject)."""

    driver: Literal["libfprint"]
    device: str = Field("", description="Part of libfprint's driver id (e.g. 'goodix'); empty: the first reader.")

    def build(self, context: BuildContext) -> LibfprintReader:
        return LibfprintReader(context.name, self.device)

    def owns(self, found: Discovered) -> bool:
        return found.source == "fingerprint" and self.device in str(found.item.get("driver", ""))

    @classmethod
    def recognizes(cls, found: Discovered) -> bool:
        return found.source == "fingerprint"
