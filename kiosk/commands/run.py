"""``adm-kiosk run``: the kiosk, fullscreen, as :mod:`kiosk.assembly` builds it (``adm-kiosk demo``: :mod:`.demo`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands import CONFIG_HELP, add_logging_arguments, config_path, setup_command_logging
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
    add_logging_arguments(run)
    run.set_defaults(handler=run_kiosk)


def run_kiosk(args: argparse.Namespace) -> int:
    from kiosk import config_push

    path = Path(config_path(args))
    pushed = config_push.begin_start(path)  # a pushed config that never reached READY is rolled back here
    config, problems = _load(path, args.demo)
    if problems and pushed == "trying":  # the operator's new config cannot even be read: the old one, now
        config_push.begin_start(path)
        config, problems = _load(path, args.demo)
    if problems:
        # On the screen, not only in a log: a technician at the cabinet sees what to fix (no secrets in
        # these lines: key paths, file names, what is wrong).
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        from kiosk.assembly import show_config_problems

        return show_config_problems(problems)
    setup_command_logging(args, config)
    from kiosk.assembly import run

    return run(config, config_path=path)


def _load(path: Path, demo: bool):
    from kiosk.config import ConfigError, certificate_problems, load_config, missing_files
    from kiosk.production import production_problems

    try:
        config = load_config(path)
        problems = [str(p) for p in missing_files(config) + certificate_problems(config)[0]]
        if not demo:
            problems += [str(p) for p in production_problems(config)]
    except ConfigError as exc:
        return None, [str(p) for p in exc.problems]
    return config, problems

