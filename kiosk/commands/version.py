"""``adm-kiosk version``."""

from __future__ import annotations

import argparse
import platform

ORDER = 90


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("version", help="print the version of the kiosk software")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kiosk import __version__

    print(f"adm-kiosk {__version__} (Python {platform.python_version()})")
    return 0
