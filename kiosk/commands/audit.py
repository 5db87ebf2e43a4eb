"""``adm-kiosk audit verify``, ``adm-kiosk audit report --month YYYY-MM --csv`` and ``adm-kiosk audit spoiled``.

``verify`` checks the hash chain, every signature and the signed head of the audit log: exit 0 when it is
intact, 1 with one line per problem (an edited, removed or reordered entry) otherwise. It checks what was
added since the last verified month (a signed checkpoint) and then moves that checkpoint on; ``--full``
checks every entry from the first. ``report`` writes
the month's card issuance, spoiled cards and technician actions as CSV (stdout, or ``--output FILE``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from typing import Any

from kiosk.commands import add_logging_arguments
from kiosk.commands.journal import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_config_argument, load, open_store
from printjobs.audit import SpoilCause

ORDER = 41
SPOIL_CAUSES = tuple(SpoilCause)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit",
        help="verify the signed audit log; export the monthly report",
        description="The audit log of card issuance, spoiled cards and technician actions.",
    )
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", parser_class=type(parser))
    parser.set_defaults(handler=lambda args: _usage(parser))

    verify = actions.add_parser(
        "verify",
        help="check chain, signatures and head; exit 1 on any problem",
        description="Checks that no entry was edited, removed or reordered. Exit 0 intact, 1 otherwise.",
    )
    add_config_argument(verify)
    verify.add_argument("--json", action="store_true", help="one JSON object on stdout")
    verify.add_argument("--full", action="store_true",
                        help="check every entry from the first, not only those after the last verified month")
    add_logging_arguments(verify)
    verify.set_defaults(handler=run_verify)

    report = actions.add_parser(
        "report",
        help="the month's card issuance and spoiled cards as CSV",
        description="Writes one CSV row per audit entry of the month (UTC): seq, time, kind, cause, action, "
        "printer, job and document ids, document type, technician, detail.",
    )
    add_config_argument(report)
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="the month, e.g. 2026-11")
    report.add_argument("--csv", action="store_true", required=True, help="CSV output (the report's format)")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    add_logging_arguments(report)
    report.set_defaults(handler=run_report)

    spoiled = actions.add_parser(
        "spoiled",
        help="record a spoiled blank card found outside a job, with its cause",
        description="Records one spoiled blanko (one of the four causes Dukcapil reports) in the signed audit "
        "log, with the technician's id, and lowers the counted blanko by one. The monthly report counts it.",
    )
    add_config_argument(spoiled)
    spoiled.add_argument("--cause", required=True, choices=[c.value for c in SPOIL_CAUSES],
                         help="failed_encode, damaged, failed_print or data_changed")
    spoiled.add_argument("--technician", required=True, metavar="ID", help="the technician's id, e.g. teknisi-01")
    spoiled.add_argument("--printer", default="card_printer", help="the card printer's name (default card_printer)")
    spoiled.add_argument("--job", metavar="JOB", help="the print job it belonged to, when known")
    add_logging_arguments(spoiled)
    spoiled.set_defaults(handler=run_spoiled)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _on_store(args: argparse.Namespace, work: Callable[[Any], int], missing: Callable[[], int]) -> int:
    """Load the config, open the journal, run ``work(store)`` and close it; ``missing()`` when there is no
    journal yet. A damaged journal or audit log, or a file that cannot be written, exits 1 with the reason."""
    from printjobs.errors import AuditError, JournalError

    config = load(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = open_store(config)
        if store is None:
            return missing()
        try:
            return work(store)
        finally:
            store.close()
    except (AuditError, JournalError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def run_verify(args: argparse.Namespace) -> int:
    def empty() -> int:
        print(json.dumps({"ok": True, "entries": 0, "problems": []}) if args.json else "audit log: empty")
        return EXIT_OK

    def verify(store: Any) -> int:
        result = store.audit.verify(full=args.full)
        if args.json:
            print(json.dumps({"ok": result.ok, "entries": result.entries, "checked": result.checked,
                              "verified_month": result.verified_month, "problems": result.problems}))
        else:
            for problem in result.problems:
                print(f"problem: {problem}")
            month = result.verified_month
            since = f" ({result.checked} checked; verified through {month})" if month else ""
            print(f"audit log: {result.entries} entries{since}, {'intact' if result.ok else 'NOT intact'}")
        return EXIT_OK if result.ok else EXIT_FAILED

    return _on_store(args, verify, empty)


def run_report(args: argparse.Namespace) -> int:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print(f"error: --month must be YYYY-MM, got {args.month!r}", file=sys.stderr)
        return EXIT_USAGE

    def report(store: Any) -> int:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                rows = store.audit.report_csv(args.month, out)
        else:
            rows = store.audit.report_csv(args.month, sys.stdout)
        summary = store.audit.summary(args.month)
        totals = ", ".join(f"{k} {v}" for k, v in sorted(summary.items())) or "nothing"
        print(f"{args.month}: {rows} entries ({totals})", file=sys.stderr)
        causes = ", ".join(f"{c.value} {summary.get(f'card_spoiled.{c.value}', 0)}" for c in SPOIL_CAUSES)
        print(f"{args.month}: spoiled blanko by cause: {causes}", file=sys.stderr)
        return EXIT_OK

    return _on_store(args, report, lambda: EXIT_FAILED)


def run_spoiled(args: argparse.Namespace) -> int:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", args.technician):
        print("error: --technician is an id such as teknisi-01", file=sys.stderr)
        return EXIT_USAGE

    def no_journal() -> int:
        print("error: no journal yet: the kiosk has never run with this config", file=sys.stderr)
        return EXIT_FAILED

    def record(store: Any) -> int:
        store.record_spoiled_card(args.printer, args.cause, args.technician, job_id=args.job)
        level = store.consumables.get(args.printer, "blanko").level
        print(f"recorded: 1 spoiled blanko ({args.cause}) on {args.printer} by {args.technician}; "
              f"blanko counted: {'unknown' if level is None else level}")
        return EXIT_OK

    return _on_store(args, record, no_journal)
