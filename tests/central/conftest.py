"""Fixtures: the reference server seeded and running on a free loopback port, over real mutual TLS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from central.testing import RunningCentral, clone_world
from kiosk.central_client import CentralClient
from kiosk.config import CentralSection
from printjobs.backoff import Backoff
from tests.factories import running_world, seeded

KIOSK_ID = "ADM-TEST-01"


@pytest.fixture(scope="session")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCentral]:
    """One server for the whole session; tests on it must not change what others rely on."""
    with running_world(tmp_path_factory.mktemp("central"), kiosk_id=KIOSK_ID) as running:
        yield running


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded data directory that is never served; fresh worlds are copies of it."""
    path = tmp_path_factory.mktemp("world-template")
    seeded(path, kiosk_id=KIOSK_ID)
    return path


@pytest.fixture
def fresh_central(world_template: Path, tmp_path: Path) -> Iterator[RunningCentral]:
    """A server on a private copy of the seeded world: for tests that lock NIKs or print documents."""
    running = clone_world(world_template, tmp_path / "central")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def make_client() -> Iterator[Callable[..., CentralClient]]:
    """Build kiosk clients for a running server: ``make_client(central, read_timeout_s=1)``."""
    clients: list[CentralClient] = []

    def build(running: RunningCentral, **overrides: Any) -> CentralClient:
        section = CentralSection(**running.client_config(**overrides))
        client = CentralClient(section, KIOSK_ID, backoff=Backoff(0.01, 0.05))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
