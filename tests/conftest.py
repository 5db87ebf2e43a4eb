"""Shared fixtures. Hypothesis is seeded and bounded so the test command is repeatable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
#: The demo's config (simulated devices, the demo technician, the demo central service): what tests run.
DEMO_CONFIG = ROOT / "kiosk" / "demo-config.yaml"
#: The production example that deploy/install.sh installs.
PRODUCTION_CONFIG = ROOT / "config.yaml"

settings.register_profile(
    "ci", derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def demo_config_dir(tmp_path: Path) -> Path:
    """A copy of the demo's config as config.yaml in a temporary directory (its relative paths land there)."""
    shutil.copy(DEMO_CONFIG, tmp_path / "config.yaml")
    return tmp_path
