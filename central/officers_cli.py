"""``adm-central officers add|list|disable|records``: the officer accounts.

``add`` prints the new officer's PIN and the text of their card's QR once (the store keeps only hashes): print
the card from it and hand both over in person.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from central.vocabulary import OFFICER_ID_PATTERN

EXIT_OK, EXIT_FAILED = 0, 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("officers", help="officer (OPSI) accounts: add, list, disable, records",
                       description="Officers print at a kiosk for residents without a phone, with their card and PIN.")
    p.add_argument("--data", required=True, type=Path)
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    a = verbs.add_parser("add", help="a new officer; prints their PIN and card QR once")
    a.add_argument("officer_id", help="e.g. OPSI-003 (capital letters, digits, '-')")
    a.add_argument("--name", required=True, help="the officer's name (for the records)")
    a.add_argument("--kecamatan", required=True, help="the kecamatan they serve")
    a.add_argument("--whatsapp", required=True, help="their WhatsApp number, e.g. +62813...")
    a.add_argument("--json", action="store_true")
    ls = verbs.add_parser("list", help="every officer, active or not")
    ls.add_argument("--json", action="store_true")
    d = verbs.add_parser("disable", help="card and PIN stop working at once")
    d.add_argument("officer_id")
    r = verbs.add_parser("records", help="what officers did at kiosks (sessions, checks, documents printed)")
    r.add_argument("officer_id", nargs="?", help="one officer only")
    r.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from central.officers import records_iter
    from central.store import Store, StoreError

    if not (args.data / "central.db").exists():
        print(f"error: {args.data} holds no central database; run: adm-central seed --data {args.data}",
              file=sys.stderr)
        return EXIT_FAILED
    if args.verb in ("add", "disable") and not re.fullmatch(OFFICER_ID_PATTERN, args.officer_id):
        print(f"error: officer id {args.officer_id!r}: capital letters, digits and '-', 3 to 32", file=sys.stderr)
        return EXIT_FAILED
    store = Store(args.data)
    try:
        if args.verb == "add":
            new = store.add_officer(args.officer_id, args.name, args.kecamatan, args.whatsapp)
            shown = {"officer_id": new.officer_id, "pin": new.pin, "card_qr": new.card_qr}
            if args.json:
                print(json.dumps(shown, indent=2))
            else:
                print(f"{new.officer_id}: added. PIN {new.pin}; card QR: {new.card_qr}\n"
                      "(shown once: print the card and hand both over in person)")
        elif args.verb == "list":
            officers = store.officers()
            if args.json:
                print(json.dumps(officers, indent=2, ensure_ascii=False))
            for o in [] if args.json else officers:
                state = "active" if o["active"] else "disabled"
                print(f"{o['id']:<12} {state:<9} {o['kecamatan']:<16} {o['requests_filed']:>3} requests  {o['name']}")
        elif args.verb == "disable":
            store.disable_officer(args.officer_id)
            print(f"{args.officer_id}: disabled; its card and PIN no longer open a session")
        else:
            rows = store.officer_records(args.officer_id)
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                for line in records_iter(rows):
                    print(line)
    except StoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    return EXIT_OK
