"""The ADM kiosk application: configuration, resident flow, central client, diagnostics, CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("adm-kiosk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
