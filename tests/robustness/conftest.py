"""Fixtures of the robustness tests: one seeded reference server for the module that needs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from central.testing import RunningCentral
from tests.factories import running_world


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCentral]:
    """The reference server over mutual TLS on a free loopback port, seeded once per module."""
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running
