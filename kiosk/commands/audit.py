"""``adm-kiosk audit verify`` and ``adm-kiosk audit report --month YYYY-MM --csv``.

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

from kiosk.commands import add_logging_arguments
from kiosk.commands.journal import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_config_argument, load, open_store

ORDER = 41


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


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def run_verify(args: argparse.Namespace) -> int:
    from printjobs.errors import AuditError, JournalError

    config = load(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = open_store(config)
        if store is None:
            print(json.dumps({"ok": True, "entries": 0, "problems": []}) if args.json else "audit log: empty")
            return EXIT_OK
        try:
            result = store.audit.verify(full=args.full)
        finally:
            store.close()
    except (AuditError, JournalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
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


def run_report(args: argparse.Namespace) -> int:
    from printjobs.errors import AuditError, JournalError

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print(f"error: --month must be YYYY-MM, got {args.month!r}", file=sys.stderr)
        return EXIT_USAGE
    config = load(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = open_store(config)
        if store is None:
            return EXIT_FAILED
        try:
            if args.output:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    rows = store.audit.report_csv(args.month, out)
            else:
                rows = store.audit.report_csv(args.month, sys.stdout)
            summary = store.audit.summary(args.month)
        finally:
            store.close()
    except (AuditError, JournalError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    totals = ", ".join(f"{k} {v}" for k, v in sorted(summary.items())) or "nothing"
    print(f"{args.month}: {rows} entries ({totals})", file=sys.stderr)
    return EXIT_OK
