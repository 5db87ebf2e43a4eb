"""``adm-kiosk``: the kiosk's command line.

Each subcommand lives in its own module under :mod:`kiosk.commands` and exposes
``register(subparsers)``; this module finds them, so adding a command touches one file. Command
modules import heavy things (Kivy, pycups) inside their handlers, so ``--help`` and tab completion
(``adm-kiosk completion``) stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

import argcomplete

from kiosk import commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Version(argparse.Action):
    """``--version``: reads the installed version only when asked (importlib.metadata is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from kiosk import __version__

        print(f"adm-kiosk {__version__}")
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors too; keep its text short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="adm-kiosk",
        description="Anjungan Dukcapil Mandiri: the self-service kiosk for civil registration documents.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = [importlib.import_module(f"kiosk.commands.{m.name}") for m in pkgutil.iter_modules(commands.__path__)]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argcomplete.autocomplete(parser)  # answers the shell's TAB and exits; does nothing otherwise
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
