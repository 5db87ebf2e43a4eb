"""``python -m bench [--only NAME,...] [--quick]``: every benchmark, one table, ``bench/results.json``."""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
from collections.abc import Callable

from bench.common import RESULTS, Figure, compile_bytecode, table, write_results


def _suites(quick: bool) -> dict[str, Callable[[], list[Figure]]]:
    from bench import (
        aged,
        cardlogin,
        central_load,
        coldstart,
        crash,
        journal,
        sessions,
        speech,
        stall,
        ui_soak,
        village,
    )

    return {
        "coldstart": lambda: coldstart.run(starts=1 if quick else 3),
        "sessions": lambda: sessions.run(sessions=20 if quick else 100, soak=50 if quick else 500),
        "stall": lambda: stall.run(sessions=1 if quick else 2),
        "uisoak": lambda: ui_soak.run(sessions=20 if quick else 500),
        "journal": lambda: journal.run(jobs=100 if quick else 300),
        "crash": lambda: crash.run(runs=50 if quick else 1000),
        "village": lambda: village.run(sessions=1 if quick else 3),
        "speech": lambda: speech.run(sessions=2 if quick else 5),
        # Nine starts a side: one start varies by about 8%, as much as the 10% budget.
        "aged": lambda: aged.run(jobs=30_000 if quick else 300_000, starts=1 if quick else 9,
                                cold_starts=1 if quick else 5),
        "central": lambda: central_load.run(pins=20_000 if quick else 1_000_000, seconds=2 if quick else 5),
        "cardlogin": lambda: cardlogin.run(rounds=10 if quick else 50),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="",
                        help="comma-separated: coldstart,sessions,stall,uisoak,journal,crash,village,speech,aged,"
                             "central,cardlogin")
    parser.add_argument("--quick", action="store_true", help="fewer sessions and runs (a smoke test of the bench)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    suites = _suites(args.quick)
    chosen = [name for name in args.only.split(",") if name] or list(suites)
    unknown = set(chosen) - set(suites)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    compile_bytecode()  # every child process starts as an installed kiosk does, from bytecode
    figures: list[Figure] = []
    seconds: dict[str, float] = {}
    for name in chosen:
        started = time.monotonic()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        figures += suites[name]()
        seconds[name] = round(time.monotonic() - started, 1)
    print(table(figures))
    meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
            "machine": platform.machine(), "cpus": __import__("os").cpu_count(), "quick": args.quick,
            "seconds": seconds}
    write_results(figures, meta)
    print(f"bench: wrote {RESULTS}", file=sys.stderr)
    return 0 if all(f.ok is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
