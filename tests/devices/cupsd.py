"""A private, non-root CUPS daemon for tests: loopback, random port, its own config directory.

Reusable by any test package::

    from tests.devices.cupsd import PrivateCupsd
    with PrivateCupsd(tmp_path) as cupsd:
        cupsd.add_raw_queue("A4", "socket://127.0.0.1:9100")
        conn = cupsd.connection()

or through the ``cupsd`` fixture in ``tests/devices/conftest.py`` (import it into another conftest with
``from tests.devices.conftest import cupsd  # noqa: F401``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CUPSD = shutil.which("cupsd") or "/usr/sbin/cupsd"
SERVER_BIN = Path("/usr/lib/cups")
DATA_DIR = Path("/usr/share/cups")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCupsd:
    """Starts ``cupsd -f`` as the current user with every path in ``root``; stops it on exit."""

    def __init__(self, root: Path | None = None, start_timeout: float = 10.0) -> None:
        # cupsd refuses to run jobs as root, and pytest's tmp_path is private to root: when the tests run as
        # root the daemon runs as the unprivileged "lp" user in a directory of its own.
        self._run_as = _unprivileged_user() if os.geteuid() == 0 else None
        self._own_root = root is None or self._run_as is not None
        self.root = Path(tempfile.mkdtemp(prefix="adm-cupsd-")) if self._own_root else Path(root)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PrivateCupsd:
        """Write the config and start the daemon; returns once it answers IPP."""
        for sub in ("conf", "conf/ppd", "conf/ssl", "spool", "spool/tmp", "cache", "log", "run"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        conf = self.root / "conf"
        uid, gid = (self._run_as.pw_uid, self._run_as.pw_gid) if self._run_as else (os.getuid(), os.getgid())
        (conf / "cupsd.conf").write_text(
            f"""LogLevel debug
Listen {self.host}:{self.port}
WebInterface No
PreserveJobFiles No
PreserveJobHistory Yes
MaxJobs 100
JobRetryInterval 1
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""
        )
        (conf / "cups-files.conf").write_text(
            f"""User {uid}
Group {gid}
SystemGroup {_group_name(gid)}
FileDevice Yes
ServerRoot {conf}
RequestRoot {self.root / 'spool'}
TempDir {self.root / 'spool/tmp'}
CacheDir {self.root / 'cache'}
StateDir {self.root / 'run'}
ServerBin {SERVER_BIN}
DataDir {DATA_DIR}
AccessLog {self.root / 'log/access_log'}
ErrorLog {self.root / 'log/error_log'}
PageLog {self.root / 'log/page_log'}
"""
        )
        if self._run_as:
            self.root.chmod(0o755)
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, uid, gid)
        env = dict(os.environ, CUPS_SERVERROOT=str(conf))
        ids = {"user": uid, "group": gid, "extra_groups": []} if self._run_as else {}
        self._proc = subprocess.Popen(
            [CUPSD, "-f", "-c", str(conf / "cupsd.conf"), "-s", str(conf / "cups-files.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            **ids,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"cupsd exited: {self._proc.stderr.read().decode(errors='replace')}\n{self.log()}")
            if self.answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cupsd did not answer within {self.start_timeout} s\n{self.log()}")

    def stop(self) -> None:
        """Terminate the daemon (and wait for it, bounded)."""
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        if self._proc and self._proc.stderr:
            self._proc.stderr.close()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCupsd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers
    def connection(self) -> Any:
        """A pycups connection to this daemon."""
        import cups

        return cups.Connection(host=self.host, port=self.port)

    def answers(self) -> bool:
        """True when the daemon answers an IPP request."""
        import cups

        try:
            self.connection().getPrinters()
        except (RuntimeError, cups.IPPError):  # pycups: RuntimeError "failed to connect to server"
            return False
        return True

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        """A raw queue (no PPD, no filters) that sends jobs to ``device_uri``, enabled and accepting."""
        conn = self.connection()
        conn.addPrinter(name, device=device_uri, info=f"test queue {name}")
        conn.enablePrinter(name)
        conn.acceptJobs(name)

    def log(self) -> str:
        """The daemon's error log (for assertion messages)."""
        path = self.root / "log/error_log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _unprivileged_user() -> pwd.struct_passwd:
    for name in ("lp", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and found neither the 'lp' nor the 'nobody' user to run cupsd as")
