"""Subcommands of ``adm-kiosk``: one module each, with ``register(subparsers)`` and an ``ORDER``."""
