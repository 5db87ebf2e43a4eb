"""A kiosk that is actually running, for the fleet tests: its runtime started on the demo's simulated devices,
its journal, the reference central service over mutual TLS and its metrics endpoint on a free port."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.testprint import make_test_page
from kiosk.config import Config, MetricsSection
from kiosk.demo import demo_config
from kiosk.metrics import KioskMetrics
from kiosk.runtime import KioskRuntime
from printjobs.pipeline import FetchedDocument
from tests.deploy.promtool_support import Scrape, scrape
from tests.factories import running_world


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


def kiosk_config(out: Path, central, *, reachable: bool = True) -> Config:
    section = central.client_config(retries=0, connect_timeout_s=2, read_timeout_s=5)
    if not reachable:  # a central URL where nothing listens: the village link is down
        section["url"] = f"https://127.0.0.1:{free_port()}"
    config = demo_config(out, section, headless=True)
    return config.model_copy(update={"metrics": MetricsSection(port=free_port())})


class LiveKiosk:
    """A started runtime (devices, journal, outbox, monitor, heartbeat, metrics endpoint) without its screens."""

    def __init__(self, config: Config):
        self.config = config
        self.posted: list = []  # the events the runtime posted to the flow
        self.runtime = KioskRuntime(config, post=self.posted.append, monitor_interval_s=0.1, metrics=KioskMetrics())
        self.runtime.start()
        self.url = self.runtime.metrics_server.url

    def settle(self) -> None:
        """Let the device monitor poll once more (it polls every 0.1 s here, every 2 s in production)."""
        time.sleep(0.4)

    def scrape(self) -> Scrape:
        self.settle()
        return scrape(self.url)

    def print_a4(self) -> None:
        """One A4 job through the real pipeline and the simulated printer (its event goes to the outbox)."""
        page = make_test_page(self.config.kiosk.id, "document_printer")
        outcome = self.runtime.pipeline.run(document_id="DOC-TEST-1", document_type="KK", kind="a4",
                                            printer="document_printer", nik="3273010101900001",
                                            fetch=lambda job_id: FetchedDocument([page]))
        assert outcome.job.state.value in ("PRINTED", "REPORTED")


@pytest.fixture
def live(tmp_path: Path, central) -> Iterator[Callable[..., LiveKiosk]]:
    started: list[LiveKiosk] = []

    def start(*, reachable: bool = True) -> LiveKiosk:
        kiosk = LiveKiosk(kiosk_config(tmp_path / f"kiosk{len(started)}", central, reachable=reachable))
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.runtime.stop()


