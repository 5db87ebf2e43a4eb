"""``adm-kiosk devices [--config PATH] [--json]``: what is attached, and which configured device it matches."""

from __future__ import annotations

import argparse
import json
import os
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


def _configured(config: Any) -> list[tuple[str, Any]]:
    section = config.devices
    named = [("document_printer", section.document_printer), ("card_printer", section.card_printer),
             ("receipt_printer", section.receipt_printer)]
    return [(n, d) for n, d in named if d is not None] + [(r.name, r) for r in section.barcode_readers]


def _match(item: dict[str, Any], kind: str, configured: list[tuple[str, Any]]) -> str:
    for name, dev in configured:
        if kind == "cups" and getattr(dev, "queue", None) == item["queue"]:
            return name
        usb = getattr(dev, "usb", None) or dev
        if kind == "usb" and getattr(usb, "vendor_id", None) is not None \
                and f"0x{usb.vendor_id:04x}" == item["vendor_id"] and f"0x{usb.product_id:04x}" == item["product_id"]:
            return name
        port = getattr(dev, "port", None)
        if kind == "serial" and isinstance(port, str) and os.path.realpath(port) == os.path.realpath(item["port"]):
            return name
    return ""


def run(args: argparse.Namespace) -> int:
    from devices.discovery import cups_queues, serial_ports, usb_printers
    from kiosk.commands import config_path
    from kiosk.config import ConfigError, load_config

    configured: list[tuple[str, Any]] = []
    server = port = None
    path = config_path(args)
    if args.config or Path(path).exists():
        try:
            config = load_config(path)
        except ConfigError as exc:
            print(f"error: {exc}", flush=True)
            return 2
        configured = _configured(config)
        cups_dev = next((d for _, d in configured if getattr(d, "driver", "") == "cups"), None)
        server, port = (cups_dev.server, cups_dev.port) if cups_dev else (None, None)
    sections = {"cups": cups_queues(server, port), "usb": usb_printers(), "serial": serial_ports()}
    out: dict[str, Any] = {}
    for kind, found in sections.items():
        for item in found.items:
            item["matches"] = _match(item, kind, configured)
        out[kind] = {"items": found.items, "error": found.error}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for kind, section in out.items():
        print(f"{kind}:" + (f" ({section['error']})" if section["error"] else ""))
        for item in section["items"]:
            match = item.pop("matches")
            print("  " + " ".join(f"{k}={v}" for k, v in item.items() if v) + (f"  <- {match}" if match else ""))
        if not section["items"] and not section["error"]:
            print("  none found")
    return 0
