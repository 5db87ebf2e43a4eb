"""The kiosk of :mod:`bench.village` in its own process: one session per resident, timed, with the login on
its own, the requests the client made, and the retries it needed."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from kiosk.config import parse_config
from kiosk.flow import Screen
from tests.robustness.support import Credentials, HeadlessKiosk


class _Count(logging.Handler):
    """Counts the client's calls and retries, and keeps each call's end and length (the session's timeline)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.calls = self.retries = 0
        self.timeline: list[tuple[float, str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.calls += message in ("central.call", "central.call_failed")
        self.retries += message == "central.retry"
        if message in ("central.call", "central.call_failed"):
            fields = getattr(record, "fields", {})
            self.timeline.append((time.monotonic(), f"{fields.get('method')} {fields.get('path')}",
                                  int(fields.get("ms", 0))))


def main() -> None:
    request = json.load(sys.stdin)
    config = parse_config(request["config"], base_dir=Path(request["root"]), source="bench")
    count = _Count()
    client_log = logging.getLogger("kiosk.central_client")
    client_log.addHandler(count)
    client_log.setLevel(logging.DEBUG)
    kiosk = HeadlessKiosk(config)
    sessions = []
    document_bytes = 0
    sizes: list[list] = []  # [printer, bytes] of each document the kiosk fetched, in order
    fetch = kiosk.runtime.central.fetch_document

    def measured(*args, **kw):  # type: ignore[no-untyped-def]
        nonlocal document_bytes
        verified = fetch(*args, **kw)
        document_bytes += len(verified.content)
        card = verified.content[:2] == b"PK"  # a card's print data is a zip; an A4 document a PDF
        sizes.append(["card" if card else "a4", len(verified.content)])
        return verified

    kiosk.runtime.central.fetch_document = measured  # type: ignore[method-assign]
    login_started: list[float] = []
    original_dispatch = kiosk.controller.dispatch

    def dispatch(event):  # type: ignore[no-untyped-def]
        if type(event).__name__ == "PinSubmitted":
            login_started.append(time.monotonic())
        result = original_dispatch(event)
        if kiosk.state.screen is Screen.DOCUMENTS and len(login_started) > len(logins):
            logins.append(time.monotonic() - login_started[-1])
        return result

    logins: list[float] = []
    kiosk.controller.dispatch = dispatch  # type: ignore[method-assign]
    try:
        for nik, pin in request["residents"]:
            calls_before, bytes_before, started = count.calls, document_bytes, time.monotonic()
            timing = kiosk.session(Credentials(nik, pin, ()), timeout=600)
            # Each call as [started, ended] seconds from the Start tap (the session's own clock starts there
            # too, within a frame), and what it was.
            calls = [[round(end - ms / 1000 - started, 2), round(end - started, 2), what]
                     for end, what, ms in count.timeline[calls_before:]]
            sessions.append({"seconds": timing.total, "login_s": logins[-1], "requests": count.calls - calls_before,
                             "phases": [p.value for p in timing.phases], "calls": calls})
            if not sessions[0].get("bytes"):
                sessions[0]["bytes"] = document_bytes - bytes_before
                sessions[0]["sizes"] = sizes[:]
    finally:
        kiosk.stop()
    print(json.dumps({"sessions": sessions, "document_bytes": sessions[0]["bytes"],
                      "document_sizes": sessions[0]["sizes"], "retries": count.retries}))


if __name__ == "__main__":
    main()
