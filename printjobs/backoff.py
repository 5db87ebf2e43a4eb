"""The kiosk's one retry policy: exponential backoff with jitter.

The central client's retries within one call and the outbox's retries of print events both wait
:meth:`Backoff.delay`; only their numbers differ (a resident waits for the first, nobody for the second), and
both are set in the config (``central.retry_backoff``, ``central.outbox_backoff``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Attempt ``n`` (1 for the first retry) waits up to ``first_s * 2**(n-1)``, capped at ``max_s``.

    ``jitter`` is the random share of each wait: 1.0 waits anywhere from 0 to the ceiling ("full jitter", what
    spreads kiosks that lost the network together best), 0.5 anywhere in its upper half (a floor between
    attempts). Without jitter a province's kiosks would come back in step after an outage."""

    first_s: float
    max_s: float
    jitter: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.first_s:
            raise ValueError("first_s must be greater than 0")
        if self.first_s > self.max_s:
            raise ValueError("first_s must not be larger than max_s")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def ceiling(self, attempt: int) -> float:
        """The longest wait before retry number ``attempt`` (1-based)."""
        return min(self.max_s, self.first_s * 2 ** min(max(attempt, 1) - 1, 62))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        ceiling = self.ceiling(attempt)
        return ceiling * (1 - self.jitter) + (rng or random).uniform(0, ceiling * self.jitter)


#: Within one call to the central service: a resident may be waiting.
CALL_BACKOFF = Backoff(first_s=0.5, max_s=8.0, jitter=1.0)
#: Print events waiting in the outbox for the central service: nobody waits, the link may be down for days.
OUTBOX_BACKOFF = Backoff(first_s=2.0, max_s=300.0, jitter=0.5)
