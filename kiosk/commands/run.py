"""``adm-kiosk run``: the kiosk, fullscreen, as :mod:`kiosk.assembly` builds it (``adm-kiosk demo``: :mod:`.demo`)."""

from __future__ import annotations

import argparse
import logging
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
    base = Path(config_path(args))
    config, path, problems, root = choose_config(base, args.demo)
    if problems:
        # On the screen, not only in a log: a technician at the cabinet sees what to fix (no secrets in
        # these lines: key paths, file names, what is wrong).
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        from kiosk.assembly import show_config_problems

        return show_config_problems(problems)
    setup_command_logging(args, config)
    if path != base:
        from kiosk.logs import event as log_event

        log_event(logging.getLogger(__name__), "config.pushed_in_use", path=str(path), base=str(base))
    from kiosk.assembly import run

    return run(config, config_path=base, push_root=root)


def choose_config(base: Path, demo: bool):
    """The config to run on, its file, its problems and the state directory a push lives in.

    A config the operator pushed lives in the state directory that /etc's file (``base``) names (/etc is
    read-only under the unit); ``base`` is the fallback: after a roll-back, and whenever this release
    cannot use the pushed file."""
    from kiosk import config_push

    root = config_push.base_root(base)
    if root is None:  # /etc's file itself cannot be read: its problems go on the screen
        config, problems = _load(base, base, demo)
        return config, base, problems, None
    pushed = config_push.begin_start(root)  # rolls back a push that never reached READY
    path = config_push.in_use(base, root)
    config, problems = _load(path, base, demo)
    if problems and pushed == "trying":  # the operator's new config cannot even be used: the one before, now
        config_push.begin_start(root)
        path = config_push.in_use(base, root)
        config, problems = _load(path, base, demo)
    if problems and path != base:
        # A pushed config this release cannot use (an upgrade that refuses it): /etc's file, not a dead kiosk.
        print(f"warning: the pushed config {path} cannot be used; running on {base}", file=sys.stderr)
        for problem in problems:
            print(f"warning: {problem}", file=sys.stderr)
        path = base
        config, problems = _load(path, base, demo)
    return config, path, problems, root


def _load(path: Path, base: Path, demo: bool):
    from kiosk.config import ConfigError, certificate_problems, load_config, missing_files
    from kiosk.production import production_problems

    try:
        config = load_config(path, base_dir=base.resolve().parent)
        problems = [str(p) for p in missing_files(config) + certificate_problems(config)[0]]
        if not demo:
            problems += [str(p) for p in production_problems(config)]
    except ConfigError as exc:
        return None, [str(p) for p in exc.problems]
    return config, problems

