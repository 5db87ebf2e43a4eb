"""The reference central service: contract, store, server, seed and the ``adm-central`` command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One distribution ships both commands: adm-central reports the version adm-kiosk does.
    __version__ = version("adm-kiosk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
