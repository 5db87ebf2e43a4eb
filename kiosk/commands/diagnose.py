"""``adm-kiosk diagnose [--config PATH] [--json] [--no-central] [-v]``: what the technician screen shows.

Devices, consumables, UNCERTAIN jobs, recent faults and the central service (reachable, latency,
certificate expiry, outbox backlog), from the same :class:`kiosk.diagnostics.Diagnostics` model as the
screen. Exit 0 when every device is READY or WARNING, 1 otherwise, 2 when the config cannot be read.
"""

from __future__ import annotations

import argparse
import json

from kiosk.commands import CONFIG_HELP, add_logging_arguments, config_path, load_config_or_report

ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diagnose",
        help="state of every configured device; exit 1 if any needs attention",
        description="Asks every configured device for its state, reasons, consumables and counters. Exit 0 "
        "when all are READY or WARNING, 1 otherwise, 2 when the config cannot be read.",
    )
    parser.add_argument("--config", default=None, help=CONFIG_HELP)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--no-central", action="store_true", help="do not contact the central service")
    add_logging_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.config import missing_files
    from kiosk.diagnostics import Diagnostics
    from kiosk.hardware import build_devices
    from printjobs.store import PrintStore, store_dir

    config = load_config_or_report(args)
    if config is None:
        return 2
    devices = build_devices(config)
    devices.open_all()
    # Read the journal only where the kiosk made one; diagnose never creates state of its own.
    store = PrintStore(store_dir(config.storage.state_dir)) if store_dir(config.storage.state_dir).is_dir() else None
    central = None
    if not args.no_central and not missing_files(config):
        from kiosk.central_client import CentralClient

        central = CentralClient(config.central, config.kiosk.id)
    try:
        report = Diagnostics(config, devices, store, central).report(check_central=not args.no_central)
    finally:
        devices.close_all()
        if store is not None:
            store.close()
        if central is not None:
            central.close()
    in_use = str(args.config_in_use)
    pushed = in_use != config_path(args)
    if args.json:
        print(json.dumps({"config": {"file": in_use, "pushed": pushed}, **report.to_dict()}, ensure_ascii=False,
                         indent=2))
    else:
        print(f"config: {in_use}" + (f" (pushed by the operator; {config_path(args)} is the fallback)"
                                      if pushed else ""))
        print(report.to_text())
    return 0 if all(d.ok for d in report.devices) else 1
