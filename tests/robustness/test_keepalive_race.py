"""Fixed: a bug the slow-network bench found: a kept-alive connection the server has just closed is reused.

uvicorn closes a connection idle for 5 s; the kiosk's httpx pool keeps one for 5 s after the last answer
arrived. With latency the server's close reaches the kiosk later than the kiosk's next request leaves, so
the request goes out on a dead connection and httpx raises RemoteProtocolError ("server disconnected
without sending a response"). The client maps that to ProtocolError and does not retry it, not even for a
GET or a document fetch: on a slow village network a document then fails to print for no reason
(``bench/stall.py`` saw ``failed:central.protocol``).

Fix (kiosk/central.py): retry ``httpx.RemoteProtocolError`` like Unreachable for idempotent calls (nothing
was answered, so nothing happened twice), and/or give the pool a ``keepalive_expiry`` well under the server's
keep-alive (``httpx.Limits(keepalive_expiry=2.0)``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from central.testing import RunningCentral
from kiosk import central as kc
from kiosk.config import CentralSection
from tests.robustness.netproxy import Fault, NetProxy

ONE_WAY_S = 1.0
SERVER_KEEPALIVE_S = 5.0  # uvicorn's default timeout_keep_alive


@pytest.mark.timeout(60)
def test_a_get_after_the_server_closed_the_idle_connection_still_succeeds(central: RunningCentral, tmp_path: Path):
    code = next(iter(central.summary["verify_codes"].values()))[0]
    proxy = NetProxy(("127.0.0.1", central.handle.port), lambda: Fault(latency_s=ONE_WAY_S))
    section = CentralSection(**central.client_config(url=proxy.url, retries=2, read_timeout_s=10,
                                                     connect_timeout_s=10))
    try:
        with kc.CentralClient(section, "ADM-DEMO-01", backoff_s=0.01, max_backoff_s=0.02) as client:
            client.verify_code(code)
            answered = time.monotonic()
            # The server closes at (its send + 5 s) = answered - 1 s + 5 s; its FIN reaches us 1 s later.
            # Ask in between: the pool still trusts the connection.
            time.sleep(SERVER_KEEPALIVE_S - ONE_WAY_S + 0.5)
            assert time.monotonic() - answered < SERVER_KEEPALIVE_S  # within httpx's own keep-alive expiry
            client.verify_code(code)
    finally:
        proxy.close()
