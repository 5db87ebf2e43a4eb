"""The link simulator of the benchmarks: bandwidth and lost segments slow a stream down as a village link does.

Loose lower bounds only: what is checked is that the model is applied (a 32 KB answer cannot cross a
256 kbit/s link in under a second), not how fast this machine is."""

from __future__ import annotations

import socket
import threading
import time

from tests.robustness.netproxy import Fault, NetProxy

SIZE = 32_000


def served_once() -> tuple[socket.socket, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(16)
            conn.sendall(b"x" * SIZE)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def fetch_through(fault: Fault) -> float:
    listener, thread = served_once()
    with NetProxy(listener.getsockname(), lambda: fault) as proxy:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as sock:
            sock.sendall(b"go")
            got = 0
            while got < SIZE:
                data = sock.recv(65536)
                assert data, "the stream ended early"
                got += len(data)
        elapsed = time.monotonic() - started
    thread.join(5)
    listener.close()
    return elapsed


def test_bandwidth_paces_the_stream_and_latency_adds_to_it():
    assert fetch_through(Fault()) < 0.5
    assert fetch_through(Fault(bandwidth_bps=256_000)) >= 32_000 * 8 / 256_000 * 0.9
    assert fetch_through(Fault(latency_s=0.3, bandwidth_bps=256_000)) >= 1.0 + 2 * 0.3 - 0.1


def test_lost_segments_hold_the_stream_for_a_retransmission_each():
    # 23 segments, each lost: every one costs at least the 200 ms minimum retransmission time.
    assert fetch_through(Fault(loss=1.0)) >= 23 * 0.2 * 0.9
