"""``adm-kiosk devices [--config PATH] [--json]``: what is attached, and which configured device it matches."""

from __future__ import annotations

import argparse
import functools
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
    parser.add_argument("--self-test", action="store_true",
                        help="also run the internal self-test of every configured device (the card and fingerprint "
                        "readers too: whether each is found and answers; nothing is printed or read)")
    parser.set_defaults(handler=run)


def self_tests(config: Any) -> list[dict[str, Any]]:
    """The internal self-test of every configured device, each bounded in time; what it says, never what a
    card or finger held (an internal test reads none)."""
    from devices.base import DeviceError, SelfTestLevel, call_with_timeout
    from kiosk.hardware import build_devices

    devices = build_devices(config)
    devices.open_all()
    results = []
    try:
        for device in devices.all():
            test = functools.partial(device.self_test, SelfTestLevel.INTERNAL)
            try:
                result = call_with_timeout(test, 15.0, f"{device.name} self-test")
                passed, detail = result.passed, result.detail
            except DeviceError as exc:
                passed, detail = False, str(exc)
            results.append({"name": device.name, "kind": device.kind, "driver": device.driver, "passed": passed,
                            "detail": detail})
    finally:
        devices.close_all()
    return results


def run(args: argparse.Namespace) -> int:
    from devices.discovery import claim, discover
    from kiosk.commands import config_path
    from kiosk.config import ConfigError, load_config
    from kiosk.hardware import configured_devices

    configured: list[tuple[str, str, Any]] = []
    server = port = None
    config = None
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
    tests = self_tests(config) if getattr(args, "self_test", False) and config is not None else None
    if args.json:
        if tests is not None:
            out["self_tests"] = tests
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
    if tests is not None:
        print("self-tests (internal):")
        for test in tests:
            verdict = "passed" if test["passed"] else "FAILED"
            print(f"  {test['name']} ({test['kind']}, {test['driver']}): {verdict}: {test['detail']}")
    return 0
