"""The reference central service: contract, store, server, seed and the ``adm-central`` command line."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Read only when asked: the kiosk imports ``central.vocabulary`` and ``central.contract``, and need not pay
    # for importlib.metadata at every start.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        # One distribution ships both commands: adm-central reports the version adm-kiosk does.
        value = version("adm-kiosk")
    except PackageNotFoundError:  # running from a source tree that was never installed
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
