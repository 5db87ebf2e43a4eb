"""Fixtures of the print-jobs tests: a store in a temporary state directory, a sample card (see tests.factories)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from printjobs.store import PrintStore
from tests.factories import make_card_png


@pytest.fixture(scope="session")
def card_png() -> bytes:
    return make_card_png()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def store(state_dir: Path) -> Iterator[PrintStore]:
    store = PrintStore(state_dir, thresholds={"blanko": 2, "ribbon": 2, "paper": 3, "receipt": 5})
    yield store
    store.close()
