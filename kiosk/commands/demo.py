"""``adm-kiosk demo``: the reference central service, simulated devices and the kiosk (:mod:`kiosk.demo`).

The one module outside the demo package that imports it (tests/test_import_direction.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ORDER = 2


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser(
        "demo",
        help="demo: reference central service, simulated devices, the kiosk in a window",
        description="Starts the reference central service on loopback with a freshly seeded world, simulated "
        "devices and the kiosk in a 1280x800 window. Without a display, or with --headless, it drives a "
        "scripted session through every screen and writes OUT/screens/*.png, OUT/printed/ and OUT/demo.log.",
    )
    demo.add_argument("--headless", action="store_true", help="scripted session, screenshots, no window")
    demo.add_argument("--out", default="demo-out", help="output directory, emptied first (default: demo-out)")
    demo.add_argument("--write-config", metavar="PATH", help="only write the demo's kiosk config to PATH (for "
                      "'adm-kiosk run --demo --config PATH' against 'adm-central serve' in the same directory)")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import write_demo_config

    if args.write_config:
        write_demo_config(Path(args.write_config))
        print(f"demo: wrote {args.write_config} (not for production: run it with --demo)", file=sys.stderr)
        return 0
    from kiosk.demo.run import DemoUnavailable, is_headless
    from kiosk.demo.run import run_demo as demo

    headless = args.headless or is_headless()
    out = Path(args.out).resolve()
    try:
        code = demo(out, headless)
    except DemoUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if headless:
        shots = sorted((out / "screens").glob("*.png"))
        print(f"demo: {len(shots)} screenshots in {out / 'screens'}, printed output in {out / 'printed'}, "
              f"log in {out / 'demo.log'}" + ("" if code == 0 else " (a step failed: see screens/report.json)"))
    return code
