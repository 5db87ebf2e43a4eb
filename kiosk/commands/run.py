"""``adm-kiosk run`` (the kiosk, fullscreen) and ``adm-kiosk demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands import CONFIG_HELP, config_path
from kiosk.commands.check_config import DEMO_HELP

ORDER = 1


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="run the kiosk (production entry point)",
        description="Runs the kiosk fullscreen. A config that cannot be used, or that holds a published demo "
        "technician PIN, simulated devices or the demo's central URL, is shown on the screen instead.",
    )
    run.add_argument("--config", default=None, help=CONFIG_HELP)
    run.add_argument("--demo", action="store_true", help=DEMO_HELP)
    run.set_defaults(handler=run_kiosk)

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


def run_kiosk(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config, missing_files
    from kiosk.logs import setup_logging
    from kiosk.production import production_problems

    try:
        config = load_config(config_path(args))
        problems = [str(p) for p in missing_files(config)]
        if not args.demo:
            problems += [str(p) for p in production_problems(config)]
    except ConfigError as exc:
        problems = [str(p) for p in exc.problems]
    if problems:
        # On the screen, not only in a log: a technician at the cabinet sees what to fix (no secrets in
        # these lines: key paths, file names, what is wrong).
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        from kiosk.ui.config_error import show_config_error

        return show_config_error(problems)
    setup_logging(config.logging.level, config.logging.format)
    from kiosk.ui.launch import launch

    return launch(config)


def run_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import DemoUnavailable, is_headless, write_demo_config
    from kiosk.demo import run_demo as demo

    if args.write_config:
        write_demo_config(Path(args.write_config))
        print(f"demo: wrote {args.write_config} (not for production: run it with --demo)", file=sys.stderr)
        return 0
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
