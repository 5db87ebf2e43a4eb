"""The real PC/SC stack for tests: a private pcscd with a vsmartcard-vpcd virtual reader, and cards that speak
vpcd's protocol.

pcscd runs in its own mount and network namespaces (``unshare -m -n``): vpcd listens on a TCP port on every
address of its namespace, which then holds only a loopback, and the fixed socket directory ``/run/pcscd`` is
a bind mount of a temporary directory, so parallel test runs keep apart. The client library finds the daemon
through ``PCSCLITE_CSOCK_NAME``, which it reads once per process: one socket directory per process, reused
by every daemon it starts. A card connects to vpcd from inside the daemon's network namespace (a socket made
by a thread that entered it with setns); connecting is a tap, closing a removal.

Needs root (namespaces, bind mounts), pcscd, vsmartcard-vpcd, unshare, ip and pyscard.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_PORT = 0x9C40
#: T=1, no historical bytes, TCK right.
ATR = bytes.fromhex("3B80800101")
_CLONE_NEWNET = 0x40000000
_SOCKET_DIR = Path(tempfile.gettempdir()) / f"adm-test-pcscd-{os.getpid()}"


def missing() -> str:
    """Why the stack cannot run here ("" when it can)."""
    if os.geteuid() != 0:
        return "needs root for its own mount and network namespaces (pcscd's socket directory is fixed)"
    for tool in ("pcscd", "unshare", "ip", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: pcscd, util-linux, iproute2)"
    if not VPCD_DRIVER.exists():
        return f"{VPCD_DRIVER} is missing (Debian: vsmartcard-vpcd)"
    try:
        import smartcard.scard  # noqa: F401
    except ImportError:
        return "pyscard is not installed (pip install '.[cardlogin]')"
    return ""


class PrivatePcscd:
    """pcscd with one virtual reader ("Virtual PCD"), in namespaces of its own; start, kill -9, start again."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.conf = work / "reader.conf.d"
        self.conf.mkdir(parents=True, exist_ok=True)
        (self.conf / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x{VPCD_PORT:X}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{VPCD_PORT:X}\n")
        self.socket_dir = _SOCKET_DIR
        self.process: subprocess.Popen[bytes] | None = None
        os.environ["PCSCLITE_CSOCK_NAME"] = str(self.socket_dir / "pcscd.comm")

    def start(self, timeout: float = 10.0) -> PrivatePcscd:
        self.socket_dir.mkdir(exist_ok=True)
        for stale in self.socket_dir.iterdir():
            stale.unlink()
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)  # the mount point, in the daemon's namespace
        script = (f"ip link set lo up && mount --bind {self.socket_dir} /run/pcscd && "
                  f"exec pcscd -f -c {self.conf}")
        log = open(self.work / "pcscd.log", "ab")  # noqa: SIM115 - kept by the child
        self.process = subprocess.Popen(["unshare", "-m", "-n", "--propagation", "private", "sh", "-c", script],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pcscd exited {self.process.returncode}: {self.log()[-2000:]}")
            if (self.socket_dir / "pcscd.comm").exists() and self._vpcd_listening():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"pcscd did not start in {timeout} s: {self.log()[-2000:]}")

    def _vpcd_listening(self) -> bool:
        try:
            sock = self.socket()
        except OSError:
            return False
        try:
            sock.settimeout(0.2)
            sock.connect(("127.0.0.1", VPCD_PORT))
        except OSError:
            return False
        finally:
            sock.close()
        # That probe was a tap and a removal: let vpcd settle before a real card connects.
        time.sleep(0.3)
        return True

    def socket(self) -> socket.socket:
        """A TCP socket in the daemon's network namespace."""
        assert self.process is not None
        made: list[socket.socket] = []
        failed: list[BaseException] = []
        pid = self.process.pid

        def enter_and_make() -> None:
            try:
                fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
                try:
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.setns(fd, _CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns")
                finally:
                    os.close(fd)
                made.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                failed.append(exc)

        # The thread ends inside the namespace; the socket stays in it.
        thread = threading.Thread(target=enter_and_make)
        thread.start()
        thread.join()
        if failed:
            raise failed[0]
        return made[0]

    def kill(self) -> None:
        """kill -9, reaped; its socket files stay, as after a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        path = self.work / "pcscd.log"
        return path.read_text(errors="replace") if path.exists() else ""


#: Answers one command APDU; None means the card is taken away instead of answering.
Answer = Callable[[bytes], bytes | None]


class VirtualCard:
    """A contact card on the vpcd reader: :meth:`tap` puts it there, :meth:`remove` takes it away.

    ``answer`` gets each command APDU; ``apdus`` records them.
    """

    def __init__(self, pcscd: PrivatePcscd, answer: Answer, atr: bytes = ATR) -> None:
        self.pcscd = pcscd
        self.answer = answer
        self.atr = atr
        self.apdus: list[bytes] = []
        self.tapped_at = 0.0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def tap(self, timeout: float = 5.0) -> VirtualCard:
        deadline = time.monotonic() + timeout
        while True:
            sock = self.pcscd.socket()
            try:
                sock.connect(("127.0.0.1", VPCD_PORT))
                break
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.tapped_at = time.monotonic()
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None:
            self._thread.join(5)

    def _recv(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            # Without quick ACKs every APDU waits for the delayed ACK (about 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = self._recv(sock, 2)
                if header is None:
                    return
                payload = self._recv(sock, struct.unpack(">H", header)[0])
                if payload is None:
                    return
                if len(payload) == 1:
                    if payload[0] == 4:  # send the ATR; power on/off/reset need no answer
                        sock.sendall(struct.pack(">H", len(self.atr)) + self.atr)
                    continue
                self.apdus.append(payload)
                reply = self.answer(payload)
                if reply is None:
                    self._sock = None
                    sock.close()
                    return
                sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return


def demo_card(nik: bytes, aid: bytes, delay: float = 0.0) -> Answer:
    """A card of the ``adm-demo`` profile holding ``nik``."""
    state = {"selected": False}

    def answer(apdu: bytes) -> bytes | None:
        if delay:
            time.sleep(delay)
        if apdu[:4] == b"\x00\xa4\x04\x00" and apdu[5:5 + apdu[4]] == aid:
            state["selected"] = True
            return b"\x90\x00"
        if apdu[:2] == b"\x00\xb0" and state["selected"]:
            return nik + b"\x90\x00"
        return b"\x6d\x00"

    return answer
