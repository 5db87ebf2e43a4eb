"""The structured-event convention of ``kiosk.logs`` without importing ``kiosk``."""

from __future__ import annotations

import logging
from typing import Any


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event; the kiosk's handler formats ``fields`` and redacts as a second line of defence."""
    logger.log(level, name, extra={"fields": fields})
