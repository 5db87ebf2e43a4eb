"""The reference central service: contract, store, server, seed and the ``adm-central`` command line."""

from __future__ import annotations


def distribution_version() -> str:
    """The installed distribution's version (one distribution ships both commands, adm-kiosk and adm-central)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adm-kiosk")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


def __getattr__(name: str) -> str:
    # Read only when asked: the kiosk imports ``central.vocabulary`` and ``central.contract``, and need not pay
    # for importlib.metadata (about 0.15 s) at every start.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()["__version__"] = value = distribution_version()
    return value
