"""Waiting for a device to get somewhere, with the time it took (device tests report detection times)."""

from __future__ import annotations

import time
from collections.abc import Callable


def seconds_until(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> float | None:
    """Seconds until ``predicate()`` was true, or None when it was not within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None
