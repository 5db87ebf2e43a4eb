"""``adm-kiosk check-config PATH [--show]`` and ``adm-kiosk hash-pin``."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path

import yaml

ORDER = 10
DEMO_HELP = ("not production: accept demo credentials, simulated devices and a central service on this machine "
             "(demo, tests, benchmarks)")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-config",
        help="validate config.yaml: every error at once, exit 2 if any",
        description="Validate a config file. Prints every problem, one per line, with its key path; exit 2 "
        "when there is any. Files the config names but that are not there yet are warnings. A production "
        "config may not hold a published demo technician PIN, simulated devices or the demo's central URL.",
    )
    parser.add_argument("path", help="the config file, e.g. /etc/adm-kiosk/config.yaml")
    parser.add_argument("--show", action="store_true", help="print the effective config, secrets masked")
    parser.add_argument("--demo", action="store_true", help=DEMO_HELP)
    parser.add_argument("--pushed", action="store_true",
                        help="check the config the operator pushed to this kiosk (which it runs on instead of PATH; "
                        "its relative paths read as PATH's); exit 0 when there is none")
    parser.set_defaults(handler=run)

    pin = sub.add_parser(
        "hash-pin",
        help="make a technician pin_hash for config.yaml",
        description="Reads a technician PIN (4 to 12 digits) from the terminal, or one line of standard "
        "input, and prints the hash to put under technician.technicians[].pin_hash.",
    )
    pin.set_defaults(handler=run_hash_pin)


def run(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, certificate_problems, load_config, masked_dump, missing_files
    from kiosk.production import production_problems

    path, base_dir = Path(args.path), None
    if args.pushed:
        from kiosk.config_push import pushed_for

        pushed = pushed_for(path)
        if pushed is None:
            print(f"{args.path}: no config pushed by the operator", file=sys.stderr)
            return 0
        path, base_dir = pushed, Path(args.path).resolve().parent
    try:
        config = load_config(path, base_dir=base_dir)
        refused = production_problems(config)
        if refused and not args.demo:
            raise ConfigError(str(path), refused)
        certificate_errors, certificate_warnings = certificate_problems(config)
        if certificate_errors:
            raise ConfigError(str(path), certificate_errors)
    except ConfigError as exc:
        if len(exc.problems) == 1 and not exc.problems[0].path:  # the file itself: one line is enough
            print(f"error: {exc.problems[0]}", file=sys.stderr)
            return 2
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = len(exc.problems)
        print(f"{path}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 2
    for problem in missing_files(config) + certificate_warnings:
        print(f"warning: {problem}", file=sys.stderr)
    for problem in refused:
        print(f"warning: not for production (--demo): {problem}", file=sys.stderr)
    if args.show:
        print(yaml.safe_dump(masked_dump(config), sort_keys=False, allow_unicode=True), end="")
    print(f"{path}: OK", file=sys.stderr)
    if not args.pushed:
        _say_which_file_runs(path, config)
    return 0


def _say_which_file_runs(path: Path, config) -> None:
    """When the operator pushed a config, the kiosk runs on it (in the state directory), not on ``path``."""
    from kiosk.config_push import in_use

    running = in_use(path, config.storage.state_dir)
    if running != path:
        print(f"note: the kiosk runs on the config the operator pushed, {running}; {path} is its fallback "
              "(used again when a push is rolled back, or once that file is removed)", file=sys.stderr)


def run_hash_pin(args: argparse.Namespace) -> int:
    from kiosk.pinhash import hash_pin

    if sys.stdin.isatty():
        pin = getpass.getpass("PIN teknisi / technician PIN: ")
        again = getpass.getpass("Ulangi / repeat: ")
        if pin != again:
            print("error: the two PINs differ", file=sys.stderr)
            return 2
    else:
        pin = sys.stdin.readline().strip()
    if not re.fullmatch(r"\d{4,12}", pin):
        print("error: a technician PIN is 4 to 12 digits", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0
