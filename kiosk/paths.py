"""Where the kiosk finds its shipped assets (locale catalogs, images, demo data)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def assets_dir() -> Path:
    """$ADM_KIOSK_ASSETS, else the source tree's assets/, else <prefix>/share/adm-kiosk/assets."""
    override = os.environ.get("ADM_KIOSK_ASSETS")
    if override:
        return Path(override)
    source = Path(__file__).resolve().parent.parent / "assets"
    if source.is_dir():
        return source
    return Path(sys.prefix) / "share" / "adm-kiosk" / "assets"
