"""``adm-kiosk devices [--config PATH] [--json]``: what is attached, and which configured device it matches."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ORDER = 31


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "devices",
        help="list CUPS queues, USB printers (IEEE 1284 ids) and serial ports",
        description="Discovers CUPS queues, USB printers with their IEEE 1284 ids and serial ports, and names "
        "the configured device each one matches (config: --config, $ADM_KIOSK_CONFIG or /etc/adm-kiosk).",
    )
    parser.add_argument("--config", default=None, help="config file whose devices to match")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devices.discovery import claim, discover
    from kiosk.commands import config_path
    from kiosk.config import ConfigError, load_config
    from kiosk.hardware import configured_devices

    configured: list[tuple[str, str, Any]] = []
    server = port = None
    path = config_path(args)
    if args.config or Path(path).exists():
        try:
            config = load_config(path)
        except ConfigError as exc:
            print(f"error: {exc}", flush=True)
            return 2
        configured = [(name, kind.name, item) for kind, name, item in configured_devices(config)]
        cups_dev = next((item for _, _, item in configured if item.driver == "cups"), None)
        server, port = (cups_dev.server, cups_dev.port) if cups_dev else (None, None)
    sections = discover(server, port)
    claim(sections, configured)
    out: dict[str, Any] = {source: {"items": found.items, "error": found.error} for source, found in sections.items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for source, section in out.items():
        print(f"{source}:" + (f" ({section['error']})" if section["error"] else ""))
        for item in section["items"]:
            match, driver, drivers = item.pop("matches"), item.pop("driver"), item.pop("drivers")
            owner = f"  <- {match} ({driver})" if match else f"  could be: {', '.join(drivers)}" if drivers else ""
            print("  " + " ".join(f"{k}={v}" for k, v in item.items() if v) + owner)
        if not section["items"] and not section["error"]:
            print("  none found")
    return 0
