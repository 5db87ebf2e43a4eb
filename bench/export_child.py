"""The technician's USB export in a process of its own, so its memory is the export's and nothing else's.

Reads a JSON request on stdin: ``root`` and ``config`` (kiosk config data whose ``technician.export_dir`` is
the "stick"). Opens the print store and the devices as the kiosk does, then runs the real
:meth:`kiosk.diagnostics.Diagnostics.export` and prints one JSON line: RSS before, after, and the peak the
export added (from the kernel's high-water mark, reset just before).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from kiosk.config import parse_config
from kiosk.diagnostics import Diagnostics
from kiosk.hardware import build_devices
from printjobs.store import PrintStore, store_dir
from tests.robustness.support import rss_bytes


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError("no VmHWM line")


def main() -> None:
    request = json.load(sys.stdin)
    config = parse_config(request["config"], base_dir=Path(request["root"]), source="bench")
    devices = build_devices(config)
    devices.open_all()
    store = PrintStore(store_dir(config.storage.state_dir))
    diagnostics = Diagnostics(config, devices, store, None)
    diagnostics.report(check_central=False)  # what the technician screen showed before the export button
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = rss_bytes()
    started = time.perf_counter()
    target = diagnostics.export("teknisi-1")
    seconds = time.perf_counter() - started
    answer = {"rss_before": before, "rss_after": rss_bytes(), "peak": _peak_rss(), "seconds": seconds,
              "files": sorted(p.name for p in target.iterdir())}
    store.close()
    devices.close_all()
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
