"""``adm-central command KIOSK ...`` (queue a signed command) and ``adm-central fleet [--json]`` (the fleet)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from central import contract as c

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ACTIONS = {"out-of-service": c.CommandKind.OUT_OF_SERVICE, "in-service": c.CommandKind.IN_SERVICE,
           "hours": c.CommandKind.OPENING_HOURS, "cap": c.CommandKind.DAILY_CAP,
           "upload-diagnostics": c.CommandKind.UPLOAD_DIAGNOSTICS, "config": c.CommandKind.NEW_CONFIG}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("command", help="queue a command for a kiosk, signed with the operator's key",
                       description="The command goes out in the kiosk's next heartbeat answers until the kiosk "
                       "acknowledges it or it expires. Prints the command (id, seq) as JSON.")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--ttl", type=float, default=24 * 3600, metavar="SECONDS", help="expiry (default one day)")
    p.add_argument("kiosk", help="the kiosk id, e.g. ADM-DEMO-01")
    p.add_argument("action", choices=sorted(ACTIONS), help="what to tell the kiosk")
    p.add_argument("--message-id", help="out-of-service: what residents read, in Bahasa Indonesia")
    p.add_argument("--message-en", help="out-of-service: the same in English")
    p.add_argument("--day", action="append", default=[], metavar="DAY=HH:MM-HH:MM",
                   help="hours: e.g. mon=08:00-15:00 (repeat; days not named are closed)")
    p.add_argument("--always-open", action="store_true", help="hours: no opening hours (open around the clock)")
    p.add_argument("--documents", type=int, help="cap: documents per day (0 lifts the cap)")
    p.add_argument("--residents", type=int, help="cap: residents per day (0 lifts the cap)")
    p.add_argument("--file", type=Path, help="config: the new config.yaml")
    p.set_defaults(handler=run_command)

    p = sub.add_parser("fleet", help="each kiosk's last heartbeat, state, consumables and commands")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    p.set_defaults(handler=run_fleet)


def command_args(args: argparse.Namespace) -> c.CommandArgs:
    """The command's arguments from the options; raises ValueError (or ValidationError) when they do not fit."""
    kind = ACTIONS[args.action]
    if kind is c.CommandKind.OUT_OF_SERVICE:
        if not (args.message_id and args.message_en):
            raise ValueError("out-of-service needs --message-id and --message-en")
        return c.CommandArgs(message=c.ResidentMessage(id=args.message_id, en=args.message_en))
    if kind is c.CommandKind.OPENING_HOURS:
        if args.always_open:
            return c.CommandArgs()
        if not args.day:
            raise ValueError("hours needs --day DAY=HH:MM-HH:MM (repeat) or --always-open")
        hours: dict[str, dict | None] = dict.fromkeys(c.WEEKDAYS)
        for item in args.day:
            day, _, span = item.partition("=")
            opens, _, closes = span.partition("-")
            if day not in c.WEEKDAYS:
                raise ValueError(f"--day {item!r}: the day is one of {', '.join(c.WEEKDAYS)}")
            hours[day] = {"opens": opens, "closes": closes}
        return c.CommandArgs.model_validate({"hours": hours})
    if kind is c.CommandKind.DAILY_CAP:
        if args.documents is None and args.residents is None:
            raise ValueError("cap needs --documents N and/or --residents N")
        return c.CommandArgs(documents_per_day=args.documents, residents_per_day=args.residents)
    if kind is c.CommandKind.NEW_CONFIG:
        if args.file is None:
            raise ValueError("config needs --file PATH")
        return c.CommandArgs(config_yaml=args.file.read_text(encoding="utf-8"))
    return c.CommandArgs()


def run_command(args: argparse.Namespace) -> int:
    from central.store import Store

    if not (args.data / "central.db").exists():
        print(f"error: {args.data} holds no central database", file=sys.stderr)
        return EXIT_FAILED
    try:
        command_arguments = command_args(args)
    except (ValueError, ValidationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = Store(args.data)
    try:
        signed = store.queue_command(args.kiosk, ACTIONS[args.action], command_arguments, ttl_s=args.ttl)
    finally:
        store.close()
    command = signed.command
    print(json.dumps({"id": command.id, "kiosk_id": command.kiosk_id, "seq": command.seq,
                      "kind": command.kind.value, "expires_at": command.expires_at.isoformat()}))
    return EXIT_OK


def run_fleet(args: argparse.Namespace) -> int:
    from central.store import Store

    if not (args.data / "central.db").exists():
        print(f"error: {args.data} holds no central database", file=sys.stderr)
        return EXIT_FAILED
    store = Store(args.data)
    try:
        kiosks = store.fleet()
    finally:
        store.close()
    if args.json:
        print(json.dumps(kiosks, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(table(kiosks))
    return EXIT_OK


def _commands(kiosk: dict) -> str:
    """Pending and acknowledged commands, and how many of those did not work (a push rolled back, a refusal)."""
    text = f"{kiosk['pending_commands']} pending, {kiosk['acknowledged_commands']} acked"
    failed = sum(1 for cmd in kiosk.get("commands", []) if cmd["status"] in ("failed", "refused"))
    return f"{text} ({failed} failed or refused)" if failed else text


def _help(kiosk: dict) -> str:
    """The kiosk's help calls: how many, and the latest one's time and screen."""
    count, calls = kiosk.get("help_requests", 0), kiosk.get("help_calls") or []
    if not calls:
        return str(count)
    return f"{count} (last {calls[0]['received_at']} on {calls[0]['screen']})"


def table(kiosks: list[dict]) -> str:
    """One line per kiosk, for a terminal."""
    head = ("KIOSK", "LAST HEARTBEAT", "VERSION", "SERVICE", "DEVICES", "CONSUMABLES", "OUTBOX", "UNCERTAIN",
            "COMMANDS", "HELP")
    rows = [head]
    for k in kiosks:
        service = "-" if k.get("in_service") is None else ("yes" if k["in_service"] else k.get("notice") or "no")
        devices = ",".join(f"{name}={state}" for name, state in sorted((k.get("devices") or {}).items())) or "-"
        consumables = ",".join(f"{name}={n}" for name, n in sorted((k.get("consumables") or {}).items())) or "-"
        rows.append((k["kiosk_id"], k.get("last_heartbeat") or "never", k.get("version") or "-", service,
                     devices, consumables, str(k.get("outbox_backlog", 0)), str(k.get("uncertain_jobs", 0)),
                     _commands(k),
                     _help(k)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
