"""``adm-kiosk journal [--config PATH] [--json]`` and ``adm-kiosk journal resolve JOB printed|not-printed``.

The listing shows jobs (ids, document types, printers, states, causes, times: never personal data), the
outbox backlog and the consumables. ``resolve`` is a technician's answer for an UNCERTAIN job; it is
written to the audit log with the technician's id and reported to the central service by the kiosk's
outbox. Run these as the kiosk's own user: the journal's files must stay owned by it.

Exit codes: 0 done, 1 the job cannot be resolved (unknown, not UNCERTAIN) or the journal is unusable,
2 usage or config errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from kiosk.commands import CONFIG_HELP, add_logging_arguments
from kiosk.commands import load_state_config_or_report as load

if TYPE_CHECKING:
    from kiosk.config import StateConfig
    from printjobs.store import PrintStore

ORDER = 40
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "journal",
        help="print jobs, the outbox backlog and consumables; resolve an UNCERTAIN job",
        description="Lists print jobs (no personal data), the events still waiting for the central service, "
        "and consumable levels. 'journal resolve' records a technician's answer for an UNCERTAIN job.",
    )
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--limit", type=int, default=50, help="newest jobs to show (default 50)")
    add_logging_arguments(parser)
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="journal_action", metavar="ACTION", parser_class=type(parser))
    resolve = actions.add_parser(
        "resolve",
        help="answer for an UNCERTAIN job: was it printed?",
        description="Record what came out of the printer for an UNCERTAIN job (after a crash or a timeout). "
        "JOB is the job id or a unique prefix of at least 8 characters.",
    )
    resolve.add_argument("job", metavar="JOB", help="job id (or a unique prefix of 8+ characters)")
    resolve.add_argument("answer", choices=["printed", "not-printed"], help="what the technician found")
    resolve.add_argument("--technician", required=True, metavar="ID", help="technician id from config.yaml")
    add_config_argument(resolve, suppress=True)
    add_logging_arguments(resolve)
    resolve.set_defaults(handler=run_resolve)


def add_config_argument(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """``--config PATH``; on a nested parser it must not reset a value given before the action's name."""
    parser.add_argument(
        "--config",
        default=argparse.SUPPRESS if suppress else None,
        help=CONFIG_HELP,
    )


def thresholds(config: StateConfig) -> dict[str, int]:
    """config.consumables as the plain numbers printjobs takes."""
    c = config.consumables
    return {"blanko": c.blanko_low, "ribbon": c.ribbon_low, "paper": c.paper_low, "receipt": c.receipt_low}


def open_store(config: StateConfig) -> PrintStore | None:
    """The print store of the state directory, or None (message printed) when there is no journal yet.

    Never runs recovery: the kiosk may be printing right now, and only it may decide a job was interrupted.
    """
    from printjobs.store import PrintStore, store_dir

    directory = store_dir(config.storage.state_dir)
    if not (directory / "journal.sqlite").is_file():
        print(f"no journal yet in {directory} (the kiosk has not printed anything)", file=sys.stderr)
        return None
    return PrintStore(directory, thresholds=thresholds(config))


def run_list(args: argparse.Namespace) -> int:
    from printjobs.errors import JournalError

    config = load(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = open_store(config)
        if store is None:
            print(json.dumps(_empty()) if args.json else "no jobs")
            return EXIT_OK
        try:
            summary = store.summary(limit=max(1, args.limit))
        finally:
            store.close()
    except JournalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(summary, indent=2) if args.json else _text(summary))
    return EXIT_OK


def run_resolve(args: argparse.Namespace) -> int:
    from printjobs.errors import IllegalTransition, JournalError, UnknownJob

    config = load(args)
    if config is None:
        return EXIT_USAGE
    known = {t.id for t in config.technician.technicians}
    if args.technician not in known:
        print(f"error: unknown technician id {args.technician!r} (not in technician.technicians)", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = open_store(config)
        if store is None:
            return EXIT_FAILED
        try:
            job_id = _find_job(store, args.job)
            if job_id is None:
                return EXIT_FAILED
            record = store.resolve(job_id, args.answer, args.technician)
        finally:
            store.close()
    except UnknownJob as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except IllegalTransition as exc:
        print(f"error: job {exc.job_id} is {exc.current}; only an UNCERTAIN job can be resolved", file=sys.stderr)
        return EXIT_FAILED
    except JournalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{record.job_id}: resolved as {args.answer} by {args.technician}; the kiosk reports it to the central "
          "service")
    return EXIT_OK


def _find_job(store: PrintStore, text: str) -> str | None:
    if len(text) < 8:
        print("error: give at least 8 characters of the job id", file=sys.stderr)
        return None
    matches = [job.job_id for job in store.journal.find(text, limit=2)]
    if len(matches) != 1:
        print(f"error: {'no job matches' if not matches else 'more than one job matches'} {text!r}", file=sys.stderr)
        return None
    return matches[0]


def _empty() -> dict:
    return {"jobs": [], "counts": {}, "outbox": {"pending": 0, "backlog": []}, "consumables": []}


def _text(summary: dict) -> str:
    lines = [f"{'JOB':<36}  {'STATE':<9}  {'TYPE':<16}  {'PRINTER':<16}  {'CAUSE':<26}  UPDATED"]
    for job in summary["jobs"]:
        cause = job["cause"] or "-"
        if job["resolution"]:
            cause = f"{job['resolution']} ({job['technician']})"
        lines.append(f"{job['job_id']:<36}  {job['state']:<9}  {job['document_type']:<16}  {job['printer']:<16}  "
                     f"{cause:<26}  {job['updated_at']}")
    if not summary["jobs"]:
        lines.append("(no jobs)")
    counts = ", ".join(f"{state} {n}" for state, n in sorted(summary["counts"].items())) or "none"
    lines.append(f"jobs by state: {counts}")
    outbox = summary["outbox"]
    rejected = sum(1 for item in outbox["backlog"] if item["status"] == "rejected")
    lines.append(f"outbox: {outbox['pending']} pending, {rejected} rejected")
    for item in outbox["backlog"]:
        what = item.get("outcome") or item.get("kind", "")  # a print event's outcome, or 'rating'
        lines.append(f"  {item['key']}  {what:<9}  {item['status']:<8}  attempts {item['attempts']}  "
                     f"next {item['next_attempt_at']}  {item['last_error'] or ''}".rstrip())
    for c in summary["consumables"]:
        lines.append(f"consumable {c['printer']}.{c['kind']}: {c['level']} ({c['state']}, warns at {c['threshold']})")
    return "\n".join(lines)
