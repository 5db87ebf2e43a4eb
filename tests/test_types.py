"""The shipped packages type-check: mypy, with the settings in pyproject.toml, finds no error.

CI runs only ``./dev test``; this is how the type check of ``./dev lint`` holds there too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.heavy  # about 20 s without mypy's cache (a fresh clone, CI); ./dev lint runs the same check
def test_kiosk_devices_printjobs_and_central_type_check():
    # The packages and every setting come from [tool.mypy] in pyproject.toml, as for ./dev lint; the two share
    # mypy's cache (.mypy_cache), so after either the other checks only what changed.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, f"mypy found type errors:\n{result.stdout}{result.stderr}"
