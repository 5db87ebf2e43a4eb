"""Subcommands of ``adm-kiosk``: one module each, with ``register(subparsers)`` and an ``ORDER``.

What several commands share lives here: where the config is, loading it with every problem printed, and
the logging options of the commands that read it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.config import Config, StateConfig

DEFAULT_CONFIG = "/etc/adm-kiosk/config.yaml"
CONFIG_HELP = f"config file (default: $ADM_KIOSK_CONFIG or {DEFAULT_CONFIG})"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")


def config_path(args: argparse.Namespace | None = None) -> str:
    """--config, else $ADM_KIOSK_CONFIG, else /etc/adm-kiosk/config.yaml."""
    return getattr(args, "config", None) or os.environ.get("ADM_KIOSK_CONFIG") or DEFAULT_CONFIG


def add_logging_arguments(parser: argparse.ArgumentParser) -> None:
    """``-v``, ``--log-level LEVEL`` and ``--log-format json|text``; the config's ``logging:`` is the default.

    Unset options leave no attribute (``SUPPRESS``), so a nested parser does not reset what was given
    before its action's name (``journal -v resolve ...``).
    """
    group = parser.add_argument_group("logging (to stderr; default: the config's logging section)")
    group.add_argument("-v", "--verbose", dest="log_level", action="store_const", const="DEBUG",
                       default=argparse.SUPPRESS, help="log at DEBUG (same as --log-level DEBUG)")
    group.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, metavar="LEVEL",
                       default=argparse.SUPPRESS, help=f"lowest level logged: {', '.join(LOG_LEVELS)}")
    group.add_argument("--log-format", choices=LOG_FORMATS, default=argparse.SUPPRESS,
                       help="one JSON object per line (as the kiosk logs) or text")


def setup_command_logging(args: argparse.Namespace, config: Config | StateConfig) -> None:
    """Log as ``adm-kiosk run`` does (:func:`kiosk.logs.setup_logging`: one redacted event per line on
    stderr), at the level and in the format the command line asks for, else the config's."""
    from kiosk.logs import setup_logging

    setup_logging(getattr(args, "log_level", None) or config.logging.level,
                  getattr(args, "log_format", None) or config.logging.format)


def load_config_or_report(args: argparse.Namespace) -> Config | None:
    """The validated config, or None after printing every problem to stderr (the caller exits 2).

    With the config read, logging is set up from it and the command line (:func:`setup_command_logging`).
    """
    from kiosk.config import ConfigError
    from kiosk.config_push import load_effective

    try:
        # The file the kiosk runs on: a config the operator pushed (in the state directory), else this one.
        config, args.config_in_use = load_effective(Path(config_path(args)))
    except ConfigError as exc:
        _report(exc)
        return None
    setup_command_logging(args, config)
    return config


def load_state_config_or_report(args: argparse.Namespace) -> StateConfig | None:
    """As :func:`load_config_or_report`, for a command that reads only the kiosk's state (journal, audit log):
    only the sections it uses are read, so it works, and starts fast, whatever the devices section says."""
    from kiosk.config import ConfigError, load_state_config

    try:
        config = load_state_config(config_path(args))
    except ConfigError as exc:
        _report(exc)
        return None
    setup_command_logging(args, config)
    return config


def _report(exc: Exception) -> None:
    for problem in getattr(exc, "problems", ()):
        print(f"error: {problem}", file=sys.stderr)


def month_argument(text: str) -> str:
    """An argparse ``type=`` for a month, YYYY-MM."""
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"must be YYYY-MM, got {text!r}")
    return text
