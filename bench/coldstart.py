"""Cold start: ``adm-kiosk run`` from process start to the first frame of the attract screen, headless.

The kiosk tells systemd READY=1 once the attract screen has drawn its first frame (``kiosk.sdnotify``); here a
datagram socket stands in for systemd's ``NOTIFY_SOCKET``, so the figure is the production start path, Python
start-up included. RSS is read from /proc at that moment. Then SIGTERM stops the kiosk.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.common import MB, ROOT, Figure, headless_env
from central.testing import start_central
from tests.robustness.support import kiosk_config_data, rss_bytes


def _one_start(config_path: Path, notify: Path, timeout: float) -> tuple[float, int]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(notify))
        listener.settimeout(0.5)
        env = {**headless_env(), "NOTIFY_SOCKET": str(notify)}
        started = time.monotonic()
        # --demo: the bench runs simulated devices against a central service on loopback.
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--demo", "--config", str(config_path)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while True:
                if time.monotonic() - started > timeout:
                    raise RuntimeError("the kiosk did not report READY in time")
                if proc.poll() is not None:
                    raise RuntimeError(f"the kiosk exited {proc.returncode}: {proc.stderr.read()[-1500:]!r}")
                try:
                    message = listener.recv(4096).decode()
                except TimeoutError:
                    continue
                if "READY=1" in message.split("\n"):
                    elapsed = time.monotonic() - started
                    return elapsed, rss_bytes(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            notify.unlink(missing_ok=True)


def run(starts: int = 3, timeout: float = 60.0) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central")
        try:
            config_path = root / "kiosk" / "config.yaml"
            config_path.parent.mkdir(parents=True)
            config_path.write_text(yaml.safe_dump(kiosk_config_data(root / "kiosk", central.client_config())))
            results = [_one_start(config_path, root / "notify.sock", timeout) for _ in range(starts)]
        finally:
            central.stop()
    times = sorted(t for t, _ in results)
    median = times[len(times) // 2]
    rss = max(r for _, r in results) / MB
    return [Figure("cold start to attract first frame (median)", median, "s", 3.0,
                   {"starts_s": [round(t, 3) for t, _ in results]}),
            Figure("RSS after start", rss, "MB", 250.0, {"per_start_mb": [round(r / MB, 1) for _, r in results]})]
