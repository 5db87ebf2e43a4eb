"""Subcommands of ``adm-kiosk``: one module each, with ``register(subparsers)`` and an ``ORDER``.

What several commands share lives here: where the config is, and loading it with every problem printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEFAULT_CONFIG = "/etc/adm-kiosk/config.yaml"
CONFIG_HELP = f"config file (default: $ADM_KIOSK_CONFIG or {DEFAULT_CONFIG})"


def config_path(args: argparse.Namespace | None = None) -> str:
    """--config, else $ADM_KIOSK_CONFIG, else /etc/adm-kiosk/config.yaml."""
    return getattr(args, "config", None) or os.environ.get("ADM_KIOSK_CONFIG") or DEFAULT_CONFIG


def load_config_or_report(args: argparse.Namespace) -> Any:
    """The validated config, or None after printing every problem to stderr (the caller exits 2)."""
    from kiosk.config import ConfigError, load_config

    try:
        return load_config(config_path(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return None
