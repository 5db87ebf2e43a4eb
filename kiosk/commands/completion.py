"""``adm-kiosk completion [bash|zsh|fish]``: the shell code that tab-completes adm-kiosk's commands and options.

The code is argcomplete's: on each TAB the shell asks ``adm-kiosk`` itself (with ``_ARGCOMPLETE`` set;
:func:`kiosk.cli.main` answers and exits before doing anything), so completion always matches the release
that is installed. ``deploy/install.sh`` puts the bash code where bash-completion finds it.
"""

from __future__ import annotations

import argparse
import sys

ORDER = 95
SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "completion",
        help="print the shell code for tab completion",
        description="Prints the code that makes SHELL complete adm-kiosk's commands and options. bash: "
        "deploy/install.sh puts it in /usr/share/bash-completion/completions/adm-kiosk; elsewhere add "
        "'eval \"$(adm-kiosk completion bash)\"' to ~/.bashrc.",
    )
    parser.add_argument("shell", nargs="?", default="bash", choices=SHELLS, metavar="SHELL",
                        help="bash (default), zsh or fish")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["adm-kiosk"], shell=args.shell))
    return 0
