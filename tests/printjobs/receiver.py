"""A small real HTTP receiver of print events (stands in for the central service's print-events endpoint) and
the HTTP EventSender the tests and the crash harness's child use.

The receiver stores each idempotency key once, like the central service, and also counts every delivery,
so a test can tell "delivered twice, stored once" from "lost".
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from printjobs.errors import PermanentDeliveryError, TransientDeliveryError
from printjobs.outbox import JobReport


class EventReceiver:
    """POST /events with an Idempotency-Key header; GET /events returns what is stored."""

    def __init__(self, port: int = 0, reject: set[str] | None = None):
        self.events: dict[str, dict] = {}
        self.deliveries: list[str] = []
        self.reject = reject or set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                with receiver._lock:
                    receiver.deliveries.append(key)
                    if body.get("document_id") in receiver.reject:
                        self._answer(409, {"code": "not_claimed"})
                        return
                    receiver.events.setdefault(key, body)
                self._answer(200, {"stored": key})

            def _answer(self, status: int, data: dict) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> EventReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class HttpSender:
    """EventSender over plain HTTP on loopback: 5xx and socket errors are transient, 4xx permanent."""

    def __init__(self, port: int, timeout_s: float = 2.0):
        self.port = port
        self.timeout_s = timeout_s

    def send(self, event: JobReport) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            body = json.dumps(event.to_json())
            connection.request("POST", "/events", body, {"Idempotency-Key": event.key,
                                                         "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
        except http.client.HTTPException as exc:
            raise TransientDeliveryError(type(exc).__name__) from exc
        finally:
            connection.close()
        if response.status >= 500:
            raise TransientDeliveryError(f"HTTP {response.status}")
        if response.status >= 400:
            raise PermanentDeliveryError(f"HTTP {response.status}")


def free_port() -> int:
    """A loopback port nobody listens on (for 'the server is down')."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
