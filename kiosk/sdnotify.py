"""Tell systemd how the kiosk is doing: the sd_notify protocol, without libsystemd.

``kiosk.service`` is ``Type=notify`` with a watchdog. The app calls :func:`ready` once the attract screen
has drawn its first frame, :func:`watchdog` from the UI clock every :func:`watchdog_interval` seconds (so a
hung main thread stops the pings and systemd restarts the kiosk), :func:`status` with a short line that
``systemctl status`` shows, and :func:`stopping` on the way out.

Everything is a no-op that returns ``False`` when ``NOTIFY_SOCKET`` is not set (a terminal, the demo, the
tests), and a failure to reach systemd is logged once, never raised: losing the watchdog must not take
the resident's session down with it. Status lines go to ``systemctl status`` and the journal, so they must
never carry a NIK, PIN, token or name.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from kiosk.logs import event

log = logging.getLogger(__name__)

_STATUS_MAX = 200  # systemctl shows one line; keep it short


def _address(value: str) -> str | bytes:
    """A NOTIFY_SOCKET value as a socket address; '@name' is an abstract socket (a leading NUL byte)."""
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    return value


class Notifier:
    """Sends sd_notify datagrams to the socket named by ``NOTIFY_SOCKET`` (read on every send).

    Thread-safe: the UI clock pings while worker threads may set the status.
    """

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        """True when systemd (or a test) listens on ``NOTIFY_SOCKET``."""
        return bool(self._environ.get("NOTIFY_SOCKET"))

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=VALUE`` lines as one datagram; ``True`` when it was sent."""
        target = self._environ.get("NOTIFY_SOCKET")
        if not target:
            return False
        if not target.startswith(("/", "@")):
            self._warn_once("sdnotify.bad_socket", reason="NOTIFY_SOCKET is neither a path nor @abstract")
            return False
        message = "\n".join(assignments).encode()
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(message, _address(target))
            except OSError as exc:
                # systemd gone or the socket path wrong: report once; the kiosk keeps serving.
                self._warn_once("sdnotify.send_failed", error=f"{type(exc).__name__}: {exc.strerror or exc}")
                return False
        return True

    def close(self) -> None:
        """Close the socket (it is reopened on the next send)."""
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    def _warn_once(self, name: str, **fields: str) -> None:
        if not self._warned:
            self._warned = True
            event(log, name, logging.WARNING, **fields)

    # -- the messages the kiosk sends
    def ready(self, status: str | None = None) -> bool:
        """Startup is finished: the attract screen is on the display."""
        lines = ["READY=1"]
        if status:
            lines.append(_status_line(status))
        return self.notify(*lines)

    def watchdog(self) -> bool:
        """The main thread is alive; call every :meth:`watchdog_interval` seconds."""
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """A one-line, human-readable state, shown by ``systemctl status``. No personal data."""
        return self.notify(_status_line(text))

    def stopping(self, status: str | None = None) -> bool:
        """The kiosk is shutting down on purpose (not a crash)."""
        lines = ["STOPPING=1"]
        if status:
            lines.append(_status_line(status))
        return self.notify(*lines)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start (or stop) time, e.g. while a journal integrity check runs."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(1, int(seconds * 1_000_000))}")

    def watchdog_interval(self) -> float | None:
        """Seconds between watchdog pings (half of ``WATCHDOG_USEC``), or ``None`` when no watchdog is armed.

        systemd sets ``WATCHDOG_PID`` to the main process. Under cage the main process is the compositor and
        the app is its child, so the parent's pid counts as ours; any other pid means the variables were
        inherited by some unrelated process, which must not ping.
        """
        if not self.enabled:
            return None
        try:
            usec = int(self._environ.get("WATCHDOG_USEC", ""))
        except ValueError:
            return None
        if usec <= 0:
            return None
        pid = self._environ.get("WATCHDOG_PID")
        if pid:
            try:
                if int(pid) not in (os.getpid(), os.getppid()):
                    return None
            except ValueError:
                return None
        return usec / 2 / 1_000_000

    def pinger(self, clock: Callable[[], float] = time.monotonic) -> Callable[[], bool] | None:
        """A callable for the UI clock's every tick that sends WATCHDOG=1 at most once per interval.

        ``None`` when no watchdog is armed, so the caller schedules nothing. Call it from the main thread's
        clock, never from a worker: the point is that a hung main thread stops the pings.
        """
        interval = self.watchdog_interval()
        if interval is None:
            return None
        last = [float("-inf")]

        def ping() -> bool:
            now = clock()
            if now - last[0] < interval:
                return False
            last[0] = now
            return self.watchdog()

        return ping


def _status_line(text: str) -> str:
    # One line: a newline would start a new assignment that systemd would try to interpret.
    flat = " ".join(text.split())
    return "STATUS=" + flat[:_STATUS_MAX]


_default = Notifier()


def ready(status: str | None = None) -> bool:
    """READY=1 (and an optional STATUS=) on the process-wide notifier."""
    return _default.ready(status)


def watchdog() -> bool:
    """WATCHDOG=1 on the process-wide notifier."""
    return _default.watchdog()


def status(text: str) -> bool:
    """STATUS=text on the process-wide notifier."""
    return _default.status(text)


def stopping(status: str | None = None) -> bool:
    """STOPPING=1 on the process-wide notifier."""
    return _default.stopping(status)


def extend_timeout(seconds: float) -> bool:
    """EXTEND_TIMEOUT_USEC= on the process-wide notifier."""
    return _default.extend_timeout(seconds)


def watchdog_interval() -> float | None:
    """Seconds between pings for this process, or ``None`` when systemd armed no watchdog for it."""
    return _default.watchdog_interval()


def watchdog_pinger() -> Callable[[], bool] | None:
    """See :meth:`Notifier.pinger`: :class:`kiosk.ui.app.KioskApp` takes it as ``on_tick`` (:mod:`kiosk.assembly`)."""
    return _default.pinger()
