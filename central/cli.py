"""``adm-central``: the reference central service's command line.

    adm-central seed --data DIR [--force]          a demo world; prints residents, documents and PINs as JSON
    adm-central serve --data DIR [--host H] [--port N]
    adm-central verify --data DIR SUBMISSION       the operator approves; a PIN goes out over "WhatsApp"
    adm-central outbox --data DIR [--json]         what the simulated WhatsApp gateway sent
    adm-central command --data DIR KIOSK ACTION   queue a signed command (out-of-service, hours, cap, ...)
    adm-central fleet --data DIR [--json]          each kiosk's last heartbeat, state and commands
    adm-central officers --data DIR add|list|disable|records   officer (OPSI) accounts and their records
    adm-central openapi [--write | --check]        the contract as OpenAPI (central/openapi.json)
    adm-central completion [bash|zsh|fish]         the shell code for tab completion
    adm-central --version
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import argcomplete

from central import __version__, fleet_cli, officers_cli

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adm-central", description="Reference central Disdukcapil service.")
    parser.add_argument("--version", action="version", version=f"adm-central {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("seed", help="create a demo world (keys, residents, documents, PINs) in a data dir")
    p.add_argument("--data", required=True, type=Path, help="data directory")
    p.add_argument("--force", action="store_true", help="replace an existing world")
    p.add_argument("--key-id", default="demo-2026", help="id of the document-signing key")
    p.add_argument("--kiosk-id", default="ADM-DEMO-01", help="common name of the kiosk certificate")
    p.add_argument("--pin-ttl-days", type=float, default=None, help="PIN validity in days (default 7)")
    p.add_argument("--realistic-sizes", action="store_true",
                   help="documents as heavy as real ones (KK 250 KB, akta 150 KB, card 191 KB), for benchmarks")
    p.set_defaults(handler=_seed)

    p = sub.add_parser("serve", help="serve HTTPS with required client certificates")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8443)
    p.set_defaults(handler=_serve)

    p = sub.add_parser("verify", help="operator: approve a submission; its documents become ready, a PIN goes out")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("submission", help="submission id, e.g. SUB-2026-0002")
    p.set_defaults(handler=_verify)

    p = sub.add_parser("outbox", help="messages the simulated WhatsApp gateway sent")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    p.set_defaults(handler=_outbox)

    fleet_cli.register(sub)
    officers_cli.register(sub)

    p = sub.add_parser("openapi", help="print the contract as OpenAPI JSON")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write it to {OPENAPI_FILE.name}")
    mode.add_argument("--check", action="store_true", help=f"exit 1 when {OPENAPI_FILE.name} is out of date")
    p.set_defaults(handler=_openapi)

    p = sub.add_parser("completion", help="print the shell code for tab completion",
                       description="Prints the code that makes SHELL complete adm-central's commands and options "
                       "(bash: add 'eval \"$(adm-central completion bash)\"' to ~/.bashrc).")
    p.add_argument("shell", nargs="?", default="bash", choices=("bash", "zsh", "fish"), metavar="SHELL",
                   help="bash (default), zsh or fish")
    p.set_defaults(handler=_completion)
    return parser


def _need_world(data: Path) -> bool:
    if not (data / "central.db").exists():
        print(f"error: {data} holds no central database; run: adm-central seed --data {data}", file=sys.stderr)
        return False
    return True


def _seed(args: argparse.Namespace) -> int:
    from central.seed import SeedError, seed

    ttl = None if args.pin_ttl_days is None else int(args.pin_ttl_days * 86400)
    try:
        summary = seed(args.data, key_id=args.key_id, kiosk_id=args.kiosk_id, pin_ttl_s=ttl, force=args.force,
                       realistic_sizes=args.realistic_sizes)
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from central.server import serve

    if not _need_world(args.data):
        return EXIT_FAILED
    print(f"adm-central: https://{args.host}:{args.port} (client certificate required)", file=sys.stderr)
    serve(args.data, args.host, args.port)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from central.store import Store, StoreError

    if not _need_world(args.data):
        return EXIT_FAILED
    store = Store(args.data)
    try:
        issued = store.verify_submission(args.submission)
        filed_by = store.submission_filed_by(args.submission)
    except StoreError as exc:
        print(f"error: {args.submission}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    filer = f"filed by officer {filed_by}" if filed_by else "filed by the resident"
    print(f"{args.submission}: verified ({filer}); {len(issued.document_ids)} document(s) ready; PIN sent over "
          "WhatsApp (see: adm-central outbox)")
    return EXIT_OK


def _outbox(args: argparse.Namespace) -> int:
    from central.whatsapp import WhatsAppGateway

    messages = WhatsAppGateway(args.data).messages()
    if args.json:
        print(json.dumps([asdict(m) for m in messages], indent=2, ensure_ascii=False))
        return EXIT_OK
    for m in messages:
        print(f"to {m.number}: {m.text}")
    if not messages:
        print("(no messages)", file=sys.stderr)
    return EXIT_OK


def openapi_text() -> str:
    """The OpenAPI document as committed: sorted keys, two-space indent, final newline."""
    from central.server import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    if args.write:
        OPENAPI_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {OPENAPI_FILE}", file=sys.stderr)
    elif args.check:
        current = OPENAPI_FILE.read_text(encoding="utf-8") if OPENAPI_FILE.exists() else ""
        if current != text:
            print(f"{OPENAPI_FILE} is out of date; run: adm-central openapi --write", file=sys.stderr)
            return EXIT_FAILED
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _completion(args: argparse.Namespace) -> int:
    sys.stdout.write(argcomplete.shellcode(["adm-central"], shell=args.shell))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argcomplete.autocomplete(parser)  # answers the shell's TAB and exits; does nothing otherwise
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    # Whatever these write holds personal data or keys: owner-only (restored for in-process callers).
    umask = os.umask(0o077) if args.command in ("seed", "serve", "verify", "command", "officers") else None
    try:
        return int(args.handler(args) or 0)
    finally:
        if umask is not None:
            os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
