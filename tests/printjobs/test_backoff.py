"""The kiosk's one retry policy, and that the config sets it for both the central client and the outbox."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kiosk.demo import demo_config
from kiosk.runtime import KioskRuntime
from printjobs.backoff import CALL_BACKOFF, OUTBOX_BACKOFF, Backoff
from tests.factories import running_world


@pytest.mark.parametrize("jitter,floor", [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)])
def test_each_wait_lies_between_its_floor_and_its_doubling_ceiling(jitter: float, floor: float):
    policy, rng = Backoff(first_s=2, max_s=60, jitter=jitter), random.Random(3)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 60), (200, 60)]:
        waits = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling * floor <= w <= ceiling for w in waits), (attempt, min(waits), max(waits))
        if jitter:  # spread out: kiosks that lost the network together do not come back in step
            assert max(waits) - min(waits) > ceiling * jitter * 0.8
        else:
            assert set(waits) == {ceiling}


@pytest.mark.parametrize("first,most,jitter", [(0, 1, 1.0), (5, 1, 1.0), (1, 5, 1.5), (1, 5, -0.1)])
def test_a_policy_that_makes_no_sense_is_refused(first: float, most: float, jitter: float):
    with pytest.raises(ValueError):
        Backoff(first, most, jitter)


def test_the_config_sets_the_waits_of_the_central_client_and_of_the_outbox(tmp_path: Path):
    with running_world(tmp_path / "central") as central:
        section = {**central.client_config(), "retry_backoff": {"first_s": 0.2, "max_s": 1.5, "jitter": 0.25},
                   "outbox_backoff": {"first_s": 7, "max_s": 70}}
        runtime = KioskRuntime(demo_config(tmp_path / "kiosk", section, headless=True), post=lambda event: None)
        try:
            assert runtime.central.backoff == Backoff(0.2, 1.5, 0.25)
            assert runtime.store is not None and runtime.store.outbox.backoff_policy == Backoff(7, 70, 1.0)
        finally:
            runtime.stop()


def test_without_a_config_the_defaults_hold(tmp_path: Path):
    with running_world(tmp_path / "central") as central:
        runtime = KioskRuntime(demo_config(tmp_path / "kiosk", central.client_config(), headless=True),
                               post=lambda event: None)
        try:
            assert runtime.central.backoff == CALL_BACKOFF
            assert runtime.store is not None and runtime.store.outbox.backoff_policy == OUTBOX_BACKOFF
        finally:
            runtime.stop()
