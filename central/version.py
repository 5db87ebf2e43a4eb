"""The installed distribution's version: one distribution ships both commands, adm-kiosk and adm-central."""

from __future__ import annotations


def distribution_version() -> str:
    """The version pip installed (importlib.metadata costs about 0.15 s: callers ask only when they need it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adm-kiosk")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"
