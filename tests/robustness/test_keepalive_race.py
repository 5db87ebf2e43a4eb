"""A kept-alive connection the server has just closed must not cost a resident a document on a slow link.

The slow-network bench (``bench/stall.py``, 1 s each way) once ended a document with ``failed:central.protocol``:
uvicorn closed a connection idle for ``KEEP_ALIVE_S`` (then 5 s) after sending its answer, the kiosk's pool then
kept a connection for 5 s after the answer *arrived*, so with latency the kiosk's next request (there: the
next document's ``GET .../content``) left on a connection whose close was still on its way. httpx raises
``RemoteProtocolError`` ("server disconnected without sending a response"), which the client reported as a
ProtocolError without a retry, even for a GET.

Two things keep it from happening, and each is pinned here on its own:

* the pool drops an idle connection after ``central.keepalive_s`` (30 s): expiry plus a round trip plus the
  transfer of a large document on a village link stays under the server's keep-alive (75 s), so no request,
  not even a login (which is never repeated), meets a closed connection;
* when a connection breaks anyway (a slower link, another server), an idempotent call (GET, a POST with an
  Idempotency-Key, a PIN request) goes again on a fresh connection; a call that is not idempotent is reported,
  never repeated.

The race runs on a short clock: the server keeps an idle connection 1 s, the link takes 0.25 s each way and
the pool keeps an idle connection 0.25 s. The timing: the
server sends its answer at ``t - 0.25 s`` (``t``: it arrives here) and closes at ``t + 0.75 s``; its close
arrives at ``t + 1 s``. A request that leaves at ``t + 0.75 s`` reaches the server after it closed, while the
pool cannot have seen the close yet: 0.25 s of margin on each side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from central.server import KEEP_ALIVE_S
from central.testing import RunningCentral
from kiosk import central_client as kc
from kiosk.config import DEFAULT_KEEPALIVE_S, CentralSection
from printjobs.backoff import Backoff
from tests.factories import running_world
from tests.robustness.netproxy import Fault, NetProxy
from tests.robustness.support import new_resident

#: The bench's slow link, each way: what the production values must allow for.
BENCH_ONE_WAY_S = 1.0
#: The race here, on a short clock (see the module docstring): the server's keep-alive, the link each way,
#: and the pool's expiry.
SERVER_KEEP_ALIVE_S = 1.0
ONE_WAY_S = 0.25
POOL_EXPIRY_S = 0.25
#: A pool that keeps idle connections longer than the server does (a slower link, another server): the
#: request then does leave on a connection the server has closed.
POOL_OUTLIVES_THE_SERVER_S = 60.0
#: When the next request leaves, after the previous answer arrived: in the middle of the window in which
#: the server has closed the connection and the pool cannot know it yet.
IDLE_S = SERVER_KEEP_ALIVE_S - ONE_WAY_S


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCentral]:
    """The reference server with the short keep-alive of this module."""
    with running_world(tmp_path_factory.mktemp("central"), keep_alive_s=SERVER_KEEP_ALIVE_S) as running:
        yield running


@pytest.fixture
def proxy(central: RunningCentral) -> Iterator[NetProxy]:
    """The slow link between the kiosk and the server."""
    proxy = NetProxy(("127.0.0.1", central.handle.port), lambda: Fault(latency_s=ONE_WAY_S))
    yield proxy
    proxy.close()


def client(central: RunningCentral, proxy: NetProxy, pool_expiry_s: float = POOL_EXPIRY_S) -> kc.CentralClient:
    section = CentralSection(**central.client_config(url=proxy.url, retries=2, read_timeout_s=10,
                                                     connect_timeout_s=10))
    return kc.CentralClient(section, "ADM-DEMO-01", backoff=Backoff(0.01, 0.02),
                            keepalive_expiry_s=pool_expiry_s)


def idle_past_the_servers_keep_alive(answered: float) -> None:
    time.sleep(max(0.0, answered + IDLE_S - time.monotonic()))


def a_verify_code(central: RunningCentral) -> str:
    return next(iter(central.summary["verify_codes"].values()))[0]


def retries(caplog: pytest.LogCaptureFixture) -> int:
    return [r.getMessage() for r in caplog.records].count("central.retry")


@contextmanager
def idle_connection(central: RunningCentral, proxy: NetProxy,
                    pool_expiry_s: float = POOL_EXPIRY_S) -> Iterator[kc.CentralClient]:
    """A client whose one connection answered a call and then sat idle past the server's keep-alive."""
    with client(central, proxy, pool_expiry_s) as kiosk:
        kiosk.verify_code(a_verify_code(central))
        idle_past_the_servers_keep_alive(time.monotonic())
        yield kiosk


#: The largest realistic document (a KK, 250 KB) on the village link (256 kbit/s): the server's keep-alive
#: clock runs while it travels.
VILLAGE_TRANSFER_S = 250_000 * 8 / 256_000


def test_the_pool_drops_an_idle_connection_a_round_trip_before_the_server_does():
    assert CentralSection.model_fields["keepalive_s"].default == DEFAULT_KEEPALIVE_S
    assert DEFAULT_KEEPALIVE_S + 2 * BENCH_ONE_WAY_S + VILLAGE_TRANSFER_S < KEEP_ALIVE_S
    # The faster clock keeps the same order, or the tests below would not race what production races.
    assert POOL_EXPIRY_S + 2 * ONE_WAY_S < SERVER_KEEP_ALIVE_S
    assert SERVER_KEEP_ALIVE_S - 2 * ONE_WAY_S < IDLE_S < SERVER_KEEP_ALIVE_S


@pytest.mark.timeout(60)
def test_a_get_after_the_server_closed_the_idle_connection_leaves_once_on_a_fresh_one(
        central: RunningCentral, proxy: NetProxy, caplog: pytest.LogCaptureFixture):
    """The pool's expiry alone keeps the GET off the closed connection: it is sent once, on one connection.

    A retry would save the GET too, so success is not enough: a request that first left on the closed
    connection shows at the proxy as a second connection written to.
    """
    with idle_connection(central, proxy) as kiosk:
        sent = time.monotonic()
        with caplog.at_level(logging.INFO, logger="kiosk.central_client"):
            kiosk.verify_code(a_verify_code(central))
    assert proxy.connections_written_since(sent) == 1
    assert retries(caplog) == 0


@pytest.mark.timeout(60)
def test_a_login_after_an_idle_pause_does_not_leave_on_a_closed_connection(central: RunningCentral,
                                                                           proxy: NetProxy):
    """A login is never repeated, so only the pool's expiry keeps it off a connection the server closed."""
    resident = new_resident(central)
    with idle_connection(central, proxy) as kiosk:
        session = kiosk.login(resident.nik, resident.pin)
    assert {d.id for d in session.documents} >= set(resident.document_ids)


@pytest.mark.timeout(90)
def test_a_document_fetch_on_a_connection_the_server_closed_goes_again(central: RunningCentral, proxy: NetProxy,
                                                                       caplog: pytest.LogCaptureFixture):
    """The call that failed in the bench: the next document's fetch, after the first one printed."""
    resident = new_resident(central)
    first, second = resident.document_ids[:2]
    with client(central, proxy, POOL_OUTLIVES_THE_SERVER_S) as kiosk:
        session = kiosk.login(resident.nik, resident.pin)
        kiosk.fetch_document(session, first, "job-keepalive-1")
        idle_past_the_servers_keep_alive(time.monotonic())
        with caplog.at_level(logging.INFO, logger="kiosk.central_client"):
            document = kiosk.fetch_document(session, second, "job-keepalive-2")
    assert document.document_id == second
    # It did meet the closed connection (else this test proves nothing) and went again on a new one.
    assert retries(caplog) == 1
    assert proxy.connections == 2


@pytest.mark.timeout(60)
def test_a_login_on_a_connection_the_server_closed_is_reported_not_repeated(central: RunningCentral,
                                                                            proxy: NetProxy):
    resident = new_resident(central)
    with idle_connection(central, proxy, POOL_OUTLIVES_THE_SERVER_S) as kiosk:
        with pytest.raises(kc.ProtocolError):
            kiosk.login(resident.nik, resident.pin)
    assert proxy.connections == 1  # no second attempt on a fresh connection


@pytest.mark.timeout(60)
def test_a_pin_request_on_a_connection_the_server_closed_goes_again_and_sends_one_pin(
        central: RunningCentral, proxy: NetProxy, caplog: pytest.LogCaptureFixture):
    """Repeating a PIN request is safe (the service sends no second PIN within its cooldown), so it goes again."""
    resident = new_resident(central)
    store = central.handle.store
    store.set_setting("pin_request_cooldown_s", "0")  # the resident's PIN was issued a moment ago
    try:
        with idle_connection(central, proxy, POOL_OUTLIVES_THE_SERVER_S) as kiosk:
            before = len(central.outbox())
            with caplog.at_level(logging.INFO, logger="kiosk.central_client"):
                kiosk.request_pin(resident.nik)
    finally:
        store.set_setting("pin_request_cooldown_s", "300")
    assert retries(caplog) == 1
    assert proxy.connections == 2
    assert len(central.outbox()) == before + 1
