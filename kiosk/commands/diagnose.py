"""``adm-kiosk diagnose [--config PATH] [--json]``: the health of every configured device.

Exit 0 when every device is READY or WARNING, 1 otherwise, 2 when the config cannot be read. The output is
built from :class:`DiagnoseReport`; later sections (central service, journal) join it as fields.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

ORDER = 30
DEFAULT_CONFIG = "/etc/adm-kiosk/config.yaml"


@dataclass
class DiagnoseReport:
    """Everything ``diagnose`` found. ``devices`` holds :class:`kiosk.hardware.DeviceReport` items."""

    devices: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing needs a technician."""
        return all(d.ok for d in self.devices)

    def to_dict(self) -> dict[str, Any]:
        return {"devices": [d.to_dict() for d in self.devices]}

    def to_text(self) -> str:
        rows = []
        for d in self.devices:
            reasons = ",".join(d.reasons) or "-"
            extra = " ".join(f"{k}={v}" for k, v in {**d.consumables, **d.counters}.items())
            rows.append(f"{d.name:<17} {d.kind:<16} {d.driver:<10} {d.state:<16} {reasons:<24} {extra}".rstrip())
            if d.message:
                rows.append(f"{'':<17} {d.message}")
        if not rows:
            rows.append("no devices configured")
        return "\n".join(rows)


def default_config_path() -> str:
    """$ADM_KIOSK_CONFIG, else /etc/adm-kiosk/config.yaml."""
    return os.environ.get("ADM_KIOSK_CONFIG") or DEFAULT_CONFIG


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diagnose",
        help="state of every configured device; exit 1 if any needs attention",
        description="Asks every configured device for its state, reasons, consumables and counters. Exit 0 "
        "when all are READY or WARNING, 1 otherwise, 2 when the config cannot be read.",
    )
    parser.add_argument("--config", default=None, help=f"config file (default: $ADM_KIOSK_CONFIG or {DEFAULT_CONFIG})")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config
    from kiosk.hardware import build_devices, device_reports

    path = args.config or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    devices = build_devices(config)
    devices.open_all()
    try:
        report = DiagnoseReport(devices=device_reports(devices))
    finally:
        devices.close_all()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.to_text())
    return 0 if report.ok else 1
