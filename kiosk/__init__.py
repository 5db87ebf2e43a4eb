"""The ADM kiosk application: configuration, resident flow, central client, diagnostics, CLI."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is read from the installed distribution only when asked: importlib.metadata costs about
    # 0.15 s, which every technician command would otherwise pay before it does anything.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from central.version import distribution_version

    globals()["__version__"] = value = distribution_version()
    return value
