"""CUPS's own IPP Everywhere printer simulator (``ippeveprinter``, Debian ``cups-ipp-utils``) as a test printer.

It runs unprivileged on a loopback port and keeps every document it receives in its spool directory. It
opens an Avahi client even with ``-r off``, which needs a D-Bus system bus: each printer gets a private
``dbus-daemon`` and ``DBUS_SYSTEM_BUS_ADDRESS`` pointing at it. :meth:`kill` is the printer switched off
(SIGKILL: no goodbye on the network); :meth:`start` again is it switched back on, same port, same spool.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from devices.ipp import IppError, IppPrinter, get_printer_attributes
from tests.devices.cupsd import PrivateCupsd, free_port
from tests.devices.waiting import seconds_until

IPPEVEPRINTER = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"
DBUS_DAEMON = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"
LPADMIN = shutil.which("lpadmin") or "/usr/sbin/lpadmin"


def available() -> bool:
    """True when ippeveprinter, dbus-daemon and lpadmin are installed."""
    return all(Path(p).exists() for p in (IPPEVEPRINTER, DBUS_DAEMON, LPADMIN))


class IppEvePrinter:
    """One ippeveprinter on 127.0.0.1 with its own spool directory and D-Bus."""

    def __init__(self, name: str = "ADM-Test", root: Path | None = None) -> None:
        self.name = name
        self.root = Path(root or tempfile.mkdtemp(prefix="adm-ippeve-"))
        self.spool = self.root / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._bus: subprocess.Popen[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def start(self, timeout: float = 10.0) -> IppEvePrinter:
        """Start (or restart) the printer; returns once it answers Get-Printer-Attributes."""
        bus_path = self.root / "bus"
        if self._bus is None or self._bus.poll() is not None:
            bus_path.unlink(missing_ok=True)
            self._bus = subprocess.Popen([DBUS_DAEMON, "--session", "--nofork", f"--address=unix:path={bus_path}"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait(bus_path.exists, 5.0, "dbus-daemon did not start")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={bus_path}")
        self._log = open(self.root / "ippeveprinter.log", "ab")  # noqa: SIM115 - closed in kill()/stop()
        self._proc = subprocess.Popen(
            [IPPEVEPRINTER, "-r", "off", "-n", "localhost", "-p", str(self.port), "-d", str(self.spool), "-k",
             "-f", "application/pdf,image/pwg-raster", "-m", "ADM Test Printer", self.name],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        _wait(self.answers, timeout, f"ippeveprinter did not answer within {timeout} s")
        return self

    def answers(self) -> bool:
        try:
            get_printer_attributes(IppPrinter.from_uri(self.uri), 1.0, ("printer-state",))
        except IppError:
            return False
        return True

    def kill(self) -> None:
        """Switch the printer off: SIGKILL, nothing said to anyone."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=5)
        self._proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def stop(self) -> None:
        """Stop the printer and its D-Bus and remove its directory."""
        self.kill()
        if self._bus is not None and self._bus.poll() is None:
            self._bus.terminate()
            self._bus.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    def documents(self) -> list[Path]:
        """The documents it received, oldest first."""
        return sorted((p for p in self.spool.rglob("*") if p.is_file()), key=lambda p: p.stat().st_mtime)

    def add_queue(self, cupsd: PrivateCupsd, queue: str) -> None:
        """An IPP Everywhere queue on ``cupsd`` for this printer (lpadmin asks the printer for its PPD)."""
        subprocess.run([LPADMIN, "-h", f"{cupsd.host}:{cupsd.port}", "-p", queue, "-E", "-v", self.uri,
                        "-m", "everywhere"], check=True, capture_output=True, timeout=30)


def _wait(predicate, timeout: float, message: str) -> None:
    if seconds_until(predicate, timeout) is None:
        raise RuntimeError(message)
