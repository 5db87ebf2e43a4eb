"""The reference central service: contract, store, server, seed and the ``adm-central`` command line."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Read only when asked: the kiosk imports ``central.vocabulary`` and ``central.contract``, and need not pay
    # for importlib.metadata at every start.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from central.version import distribution_version

    globals()["__version__"] = value = distribution_version()
    return value
