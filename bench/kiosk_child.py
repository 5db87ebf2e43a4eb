"""A kiosk in its own process (no Kivy), so its memory and time are its own and not the reference server's.

Reads a JSON request on stdin: ``config`` (kiosk config data), ``residents`` ([nik, pin] pairs),
``warmup`` (sessions before the memory baseline). Runs one session per resident and prints one JSON line:
per-session software time and print-tap-to-first-byte, RSS, file descriptors and threads along the way.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from kiosk.config import parse_config
from tests.robustness.support import Credentials, HeadlessKiosk, open_fds, rss_bytes, thread_count


def main() -> None:
    request = json.load(sys.stdin)
    root = Path(request["root"])
    config = parse_config(request["config"], base_dir=root, source="bench")
    warmup = int(request.get("warmup", 0))
    kiosk = HeadlessKiosk(config)
    rss_start = rss_bytes()
    totals, first_bytes, rss_samples = [], [], []
    failed = 0
    rss_after_warmup = rss_start
    fds_after_warmup = threads_after_warmup = 0
    try:
        for number, (nik, pin) in enumerate(request["residents"]):
            timing = kiosk.session(Credentials(nik, pin, ()))
            failed += sum(phase.value != "done" for phase in timing.phases)
            totals.append(timing.total)
            first_bytes.append(timing.first_byte)
            if number + 1 == warmup:
                rss_after_warmup, fds_after_warmup, threads_after_warmup = rss_bytes(), open_fds(), thread_count()
            if number % 25 == 0:
                rss_samples.append([number, rss_bytes()])
        time.sleep(0.2)
        answer = {
            "totals": totals, "first_bytes": first_bytes, "failed_documents": failed,
            "rss_start": rss_start, "rss_after_warmup": rss_after_warmup, "rss_end": rss_bytes(),
            "rss_samples": rss_samples, "fds_after_warmup": fds_after_warmup, "fds_end": open_fds(),
            "threads_after_warmup": threads_after_warmup, "threads_end": thread_count(),
        }
    finally:
        kiosk.stop()
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
