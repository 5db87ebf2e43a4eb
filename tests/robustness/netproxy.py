"""A small loopback TCP proxy that misbehaves on purpose: latency, stalls, resets, truncated streams, refusals.

It sits between the kiosk's client and the reference server and forwards the TLS bytes untouched (it cannot
read them), so everything it does is what a bad village network does: late bytes, no bytes, a connection
reset, a stream cut short. The fault is chosen per connection when it is accepted (:attr:`NetProxy.plan`
returns a :class:`Fault`), and :meth:`NetProxy.reset_all` breaks every open connection at once. It counts
the connections it accepted (:attr:`NetProxy.connections`) and can tell which of them the client wrote to
after a moment (:meth:`NetProxy.connections_written_since`): a request that left on a connection the server
had already closed shows there, even when a retry on a fresh one saved it.

It also models a slow link (:class:`Fault` ``bandwidth_bps`` and ``loss``): bytes leave one direction of a
connection no faster than the bandwidth, and a lost TCP segment holds the stream (and what follows it) for a
retransmission (a round trip, at least 200 ms, as Linux's fast retransmit and minimum RTO do). Loss cannot be
made below TCP on this machine (no netem); this is the cost a lost segment has, not the loss itself.

Plain code, no pytest: the benchmarks use it for the 2 s latency run and the village link.
"""

from __future__ import annotations

import collections
import random
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_CHUNK = 65536


@dataclass(frozen=True)
class Fault:
    """What happens on one connection.

    ``latency_s``: every chunk arrives this much later (each direction). ``stall_s``: the server's answer is
    held this long before anything of it is forwarded. ``reset_after``: the connection is reset (RST) after
    this many bytes from the server. ``truncate_after``: after this many bytes from the server the stream
    simply ends (FIN). ``refuse``: the connection is closed at once.
    """

    latency_s: float = 0.0
    stall_s: float = 0.0
    reset_after: int | None = None
    truncate_after: int | None = None
    refuse: bool = False
    bandwidth_bps: float | None = None
    loss: float = 0.0
    seed: int = 0

    def link(self) -> _Link:
        """The state of one direction of one connection on this link."""
        return _Link(self)


#: A TCP segment's payload on an Ethernet path, and the smallest retransmission time Linux uses.
_SEGMENT = 1448
_MIN_RETRANSMIT_S = 0.2
#: The proxy hands data on in pieces this size, so that a slow link delivers a steady stream, not bursts.
_PIECE = 4096


class _Link:
    """When each piece of one direction's stream arrives: serialised at the bandwidth, then ``latency_s``
    later, plus a retransmission for each segment lost on the way (the stream waits for it: TCP is in order)."""

    def __init__(self, fault: Fault):
        self.fault = fault
        self.free_at = 0.0  # when the sender's side of the link can start the next byte
        self.rng = random.Random(fault.seed)

    def arrival(self, sent_at: float, size: int) -> float:
        fault = self.fault
        start = max(sent_at, self.free_at)
        duration = size * 8 / fault.bandwidth_bps if fault.bandwidth_bps else 0.0
        if fault.loss:
            segments = -(-size // _SEGMENT)
            lost = sum(self.rng.random() < fault.loss for _ in range(segments))
            duration += lost * max(_MIN_RETRANSMIT_S, 2 * fault.latency_s)
        self.free_at = start + duration
        return self.free_at + fault.latency_s


PASS = Fault()


class NetProxy:
    """Listens on 127.0.0.1:<free port> and forwards to ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int], plan: Callable[[], Fault] | None = None):
        self.upstream = upstream
        self.plan: Callable[[], Fault] = plan or (lambda: PASS)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        #: When the client last sent bytes, per connection (numbered from 1 in the order accepted).
        self._client_wrote_at: dict[int, float] = {}
        self._acceptor = threading.Thread(target=self._accept_loop, name="netproxy-accept", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def connections_written_since(self, moment: float) -> int:
        """How many connections carried bytes from the client at or after ``moment`` (``time.monotonic()``)."""
        with self._lock:
            return sum(1 for at in self._client_wrote_at.values() if at >= moment)

    # ----------------------------------------------------------------- control
    def reset_all(self) -> None:
        """Reset every open connection (RST), like a NAT box that forgot them all."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _reset(sock)

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting, break every connection, and wait for the forwarding threads."""
        self._stop.set()
        self._acceptor.join(timeout)
        self._listener.close()
        self.reset_all()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def __enter__(self) -> NetProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- forwarding
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            number = self.connections
            fault = self.plan()
            if fault.refuse:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
                self._threads = [t for t in self._threads if t.is_alive()]
            left = [2]

            def finished(pair: tuple[socket.socket, socket.socket] = (client, server), left: list = left) -> None:
                with self._lock:
                    left[0] -= 1
                    if left[0]:
                        return
                    self._sockets.difference_update(pair)
                for sock in pair:
                    sock.close()

            for source, target, downstream in ((client, server, False), (server, client, True)):
                self._start_pipe(source, target, fault, downstream, finished, number)

    def _start_pipe(self, source: socket.socket, target: socket.socket, fault: Fault, downstream: bool,
                    finished: Callable[[], None], number: int) -> None:
        pending: collections.deque[tuple[float, bytes]] = collections.deque()
        ready = threading.Condition()
        done = threading.Event()

        def read() -> None:
            try:
                while not self._stop.is_set():
                    # select, not a bare recv: a recv blocked in one thread is not woken when another closes
                    # the socket, and every thread here must end once its connection is gone.
                    if not select.select([source], [], [], 0.2)[0]:
                        continue
                    data = source.recv(_CHUNK)
                    if not data:
                        break
                    if not downstream:
                        with self._lock:
                            self._client_wrote_at[number] = time.monotonic()
                    with ready:
                        pending.append((time.monotonic(), data))
                        ready.notify()
            except (OSError, ValueError):  # ValueError: select on a socket closed meanwhile
                pass
            finally:
                done.set()
                with ready:
                    ready.notify()

        def write() -> None:
            sent = 0
            held_until = None
            link = fault.link() if fault.bandwidth_bps or fault.loss else None
            try:
                while True:
                    with ready:
                        while not pending and not done.is_set():
                            ready.wait(0.2)
                            if self._stop.is_set():
                                return  # close() resets the sockets
                        if not pending:
                            break
                        arrived, data = pending.popleft()
                        if link is not None and len(data) > _PIECE:  # the rest waits its turn on the link
                            pending.appendleft((arrived, data[_PIECE:]))
                            data = data[:_PIECE]
                    if downstream and fault.stall_s and held_until is None:
                        held_until = time.monotonic() + fault.stall_s
                    due = max(link.arrival(arrived, len(data)) if link else arrived + fault.latency_s,
                              held_until or 0.0)
                    while (wait := due - time.monotonic()) > 0:
                        if self._stop.wait(min(wait, 0.2)):
                            return
                    if downstream and fault.truncate_after is not None:
                        data = data[: max(0, fault.truncate_after - sent)]
                        if not data:
                            break  # the stream ends here: an orderly close, mid-answer
                    if downstream and fault.reset_after is not None and sent + len(data) > fault.reset_after:
                        target.sendall(data[: max(0, fault.reset_after - sent)])
                        _reset(target)
                        _reset(source)
                        return
                    target.sendall(data)
                    sent += len(data)
                try:
                    target.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            except OSError:
                _reset(source)
            finally:
                if downstream and fault.truncate_after is not None:
                    _reset(source)
                finished()

        for work, name in ((read, "netproxy-read"), (write, "netproxy-write")):
            thread = threading.Thread(target=work, name=name, daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()


def _reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN (linger 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
