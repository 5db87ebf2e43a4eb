"""Where the kiosk finds what it ships: the locale catalogs, read as package data.

The catalogs live in the repository's top-level ``assets/`` and are installed as the package
``kiosk.assets`` (see ``[tool.setuptools.package-dir]`` in pyproject.toml), so the wheel and the editable
install read them the same way, from any working directory.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def assets() -> Traversable:
    """The shipped assets (``locale/<lang>/LC_MESSAGES/*.po``)."""
    return files("kiosk.assets")
