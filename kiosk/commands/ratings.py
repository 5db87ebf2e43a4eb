"""``adm-kiosk ratings [--month YYYY-MM] [--json] [--config PATH]``: the satisfaction ratings (SKM) per month.

Counts the anonymous ratings residents gave after printing (1 tidak puas, 2 kurang puas, 3 puas, 4 sangat
puas), as this kiosk's outbox keeps them, sent to the central service or still waiting. No personal data:
a rating carries a month and a score only. Exit 0, or 1 when the journal is unusable, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.commands import add_logging_arguments, month_argument
from kiosk.commands import load_state_config_or_report as load
from kiosk.commands.journal import add_config_argument, open_store

ORDER = 42
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SCORES = {1: "tidak puas", 2: "kurang puas", 3: "puas", 4: "sangat puas"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ratings",
        help="satisfaction ratings (SKM) per month",
        description="The anonymous satisfaction ratings residents gave after printing, counted per month and "
        "score (1 tidak puas .. 4 sangat puas), with the index (average score x 25, the SKM scale of 25-100).",
    )
    add_config_argument(parser)
    parser.add_argument("--month", metavar="YYYY-MM", type=month_argument, help="one month only")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    add_logging_arguments(parser)
    parser.set_defaults(handler=run)


def monthly(counts: dict[str, dict[int, int]]) -> list[dict]:
    """Per month: the count of each score, the total, and the index (average score x 25)."""
    rows = []
    for month, by_score in sorted(counts.items()):
        total = sum(by_score.values())
        average = sum(score * n for score, n in by_score.items()) / total if total else 0.0
        rows.append({"month": month, "total": total, "index": round(average * 25, 1),
                     "scores": {str(s): by_score.get(s, 0) for s in SCORES}})
    return rows


def run(args: argparse.Namespace) -> int:
    from printjobs.errors import JournalError

    config = load(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = open_store(config)
        counts = {}
        if store is not None:
            try:
                counts = store.outbox.ratings_by_month()
            finally:
                store.close()
    except JournalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = [r for r in monthly(counts) if args.month in (None, r["month"])]
    if args.json:
        print(json.dumps({"months": rows}, indent=2))
        return EXIT_OK
    if not rows:
        print("no ratings")
    for row in rows:
        scores = ", ".join(f"{SCORES[int(s)]} {n}" for s, n in row["scores"].items())
        print(f"{row['month']}: {row['total']} ratings, index {row['index']} ({scores})")
    return EXIT_OK
