"""Shared fixtures. Hypothesis is seeded and bounded so the test command is repeatable."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
#: The demo's config (simulated devices, the demo technician, the demo central service): what tests run.
DEMO_CONFIG = ROOT / "kiosk" / "demo" / "config.yaml"
#: The production example that deploy/install.sh installs.
PRODUCTION_CONFIG = ROOT / "config.yaml"

#: Fixtures that cost seconds to tens of seconds (building the wheel, installing it into a fresh virtualenv, a
#: running kiosk with its central service and metrics endpoint: tests/deploy/conftest.py's ``live``): a test that
#: needs one, even through an autouse fixture, is heavy and left out of ``./dev test --fast``.
HEAVY_FIXTURES = frozenset({"built_wheel", "wheel_venv", "live"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.heavy)


settings.register_profile(
    "ci", derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
# ./dev test --fast: a fifth of CI's examples (tests.factories.examples scales each test's own count).
settings.register_profile("fast", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """A command run in-process (``main([...])``) sets up logging for the whole process, as it should in its
    own; here the next test gets the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if getattr(handler, "_adm_kiosk", False) and handler not in handlers:  # kiosk.logs.setup_logging's
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def demo_config_dir(tmp_path: Path) -> Path:
    """A copy of the demo's config as config.yaml in a temporary directory (its relative paths land there)."""
    shutil.copy(DEMO_CONFIG, tmp_path / "config.yaml")
    return tmp_path


#: What a release's wheel is built from: the tree less what development leaves in it.
_NOT_IN_A_RELEASE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "demo-out",
                                           "demo-data", "state", ".pytest_cache", ".hypothesis", ".ruff_cache",
                                           ".mypy_cache")


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This tree's wheel, built as a release is (``pip wheel``, from a clean copy), and the build's output."""
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, work / "src", ignore=_NOT_IN_A_RELEASE)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(work / "dist"),
                             str(work / "src")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (work / "dist").glob("adm_kiosk-*.whl")
    return wheel, result.stdout + result.stderr


@pytest.fixture(scope="session")
def wheel_venv(built_wheel: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the tree with the built wheel and its 'central' extra installed (no
    editable install, no source tree on its path)."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", f"{built_wheel[0]}[central]"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv
