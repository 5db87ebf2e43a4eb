"""Commands from the operator in the heartbeat's answer, and the service notice they make of the kiosk.

Each command is checked before anything happens: signed by an operator key of ``central.operator_keys``
(Ed25519, not the TLS key), addressed to this kiosk, not expired, and with a ``seq`` above the last one run
(a replay is refused). The outcome is written to the audit log and acknowledged in the next heartbeat; the
policy it sets (out of service with a message, opening hours, a daily cap) is kept in the state directory, so
it holds across restarts. :meth:`FleetAgent.notice` turns the policy, the clock, today's counts and whether
the central service answers into the one :class:`~kiosk.flow_model.ServiceNotice` the flow shows.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import kiosk.central_client as cc
from central import contract as c
from kiosk.config import Config
from kiosk.flow_model import NoticeChanged
from kiosk.logs import event as log_event
from kiosk.service_model import NoticeKind, ServiceNotice
from printjobs.audit import AuditKind
from printjobs.store import PrintStore

log = logging.getLogger(__name__)
POLICY_FILE = "fleet-policy.json"
#: What an uploaded bundle may weigh, per file (the service takes 64 KiB a request).
UPLOAD_FILE_CHARS = 12 * 1024
COUNT_CACHE_S = 5.0
#: Ids of the last commands run, so that one a heartbeat answer repeats before its ack arrived is not refused.
RECENT_IDS = 64


class CommandRefused(Exception):
    """A command that is not run: ``detail`` says why in a few words (it goes back in the ack)."""


def load_operator_keys(config: Config) -> dict[str, Ed25519PublicKey]:
    """The trusted operator keys by id; a missing or unreadable file is left out (and logged)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in config.central.operator_keys:
        try:
            key = serialization.load_pem_public_key(entry.public_key.read_bytes())
        except (OSError, ValueError) as exc:
            log_event(log, "fleet.operator_key_unusable", logging.ERROR, key_id=entry.key_id, error=type(exc).__name__)
            continue
        if isinstance(key, Ed25519PublicKey):
            keys[entry.key_id] = key
    return keys


def verify_command(signed: c.SignedCommand, keys: dict[str, Ed25519PublicKey], kiosk_id: str) -> c.Command:
    """The command when its signature is an operator's and it is addressed here; else CommandRefused."""
    key = keys.get(signed.key_id)
    if key is None:
        raise CommandRefused("unknown operator key")
    try:
        key.verify(base64.b64decode(signed.signature, validate=True), c.command_payload(signed.command))
    except (InvalidSignature, binascii.Error, ValueError):
        raise CommandRefused("bad signature") from None
    if signed.command.kiosk_id != kiosk_id:
        raise CommandRefused("for another kiosk")
    return signed.command


class FleetAgent:
    """Runs the operator's commands and answers what residents may do now (see the module's doc)."""

    def __init__(self, config: Config, store: PrintStore | None, central: cc.CentralClient,
                 post: Callable[[Any], None], *, bundle: Callable[[], dict[str, str]] | None = None,
                 restart: Callable[[], None] | None = None, config_path: Path | None = None,
                 push_root: Path | None = None, clock: Callable[[], float] = time.time):
        self.config = config
        self.store = store
        self.central = central
        self.post = post
        self.bundle = bundle
        self.restart = restart
        #: /etc's file (the base); a pushed config goes to ``push_root``/config-push (the base's state directory).
        self.config_path = config_path
        self.push_root = Path(push_root) if push_root is not None else Path(config.storage.state_dir)
        self.clock = clock
        self.keys = load_operator_keys(config)
        self.path = Path(config.storage.state_dir) / POLICY_FILE
        self._lock = threading.RLock()
        self.policy: dict[str, Any] = self._load()
        self.reachable: bool | None = None  # unknown until the first heartbeat
        self.shown: ServiceNotice | None = None
        self._today: tuple[float, float, tuple[int, int]] | None = None
        self.collect_config_push()

    # ------------------------------------------------------------------ the heartbeat's two halves
    def heartbeat_fields(self) -> dict[str, Any]:
        """What the next heartbeat says of commands and service (acks stay until a beat is accepted)."""
        with self._lock:
            notice = self.notice()
            return {"acks": [c.CommandAck(**ack) for ack in self.policy["acks"]],
                    "in_service": notice is None or notice.kind is NoticeKind.UNREACHABLE,
                    "notice": notice.kind.value if notice is not None else None}

    def answered(self, sent: list[c.CommandAck], answer: c.HeartbeatAck) -> None:
        """A heartbeat was accepted: its acks are delivered; run the commands in its answer, oldest first."""
        with self._lock:
            delivered = {ack.id for ack in sent}
            self.policy["acks"] = [ack for ack in self.policy["acks"] if ack["id"] not in delivered]
            self._save()
        self.set_reachable(True)
        for signed in sorted(answer.commands, key=lambda s: s.command.seq):
            self.run(signed)

    def set_reachable(self, reachable: bool) -> None:
        """Whether the last heartbeat reached the central service; the attract screen says so when not."""
        if reachable != self.reachable:
            self.reachable = reachable
            log_event(log, "fleet.central_reachable" if reachable else "fleet.central_unreachable",
                      logging.INFO if reachable else logging.WARNING)
        self.refresh()

    # ------------------------------------------------------------------ commands
    def run(self, signed: c.SignedCommand) -> c.CommandAck:
        """Check, run, audit and queue the ack of one command."""
        command_id, seq = signed.command.id, signed.command.seq
        try:
            command = verify_command(signed, self.keys, self.config.kiosk.id)
            with self._lock:
                if seq <= self.policy["last_seq"]:
                    if command_id in self.policy["recent"]:  # ours, its ack on the way: nothing to do again
                        return c.CommandAck(id=command_id, seq=seq, outcome=c.CommandOutcome.DONE)
                    raise CommandRefused("replayed")
                self.policy["last_seq"] = seq  # a signed command of ours: never run at this seq again
                self.policy["recent"] = [*self.policy["recent"], command_id][-RECENT_IDS:]
                self._save()
            if command.expires_at.timestamp() <= self.clock():
                raise CommandRefused("expired")
            outcome, detail = self._apply(command)
        except CommandRefused as exc:
            outcome, detail = c.CommandOutcome.REFUSED, str(exc)
        if outcome is None:  # under way (a config push): audited now, acknowledged when it is over
            if self.store is not None:
                self.store.audit.append(AuditKind.FLEET_COMMAND, command_id=command_id, seq=seq,
                                        action=signed.command.kind.value, outcome="staged", detail=detail)
            return c.CommandAck(id=command_id, seq=seq, outcome=c.CommandOutcome.DONE, detail=detail)
        ack = c.CommandAck(id=command_id, seq=seq, outcome=outcome, detail=detail)
        self.record(ack, signed.command.kind.value)
        self.refresh()
        return ack

    def collect_config_push(self) -> None:
        """A pushed config that was applied or rolled back: audit it, acknowledge it in the next heartbeat."""
        if self.config_path is None:
            return
        from kiosk import config_push

        finished = config_push.take_outcome(self.push_root)
        if finished is not None:
            self.record(*finished)

    def record(self, ack: c.CommandAck, kind: str) -> None:
        """Audit the outcome and keep the ack for the next heartbeat."""
        with self._lock:
            self.policy["acks"].append(ack.model_dump(mode="json"))
            self._save()
        if self.store is not None:
            self.store.audit.append(AuditKind.FLEET_COMMAND, command_id=ack.id, seq=ack.seq, action=kind,
                                    outcome=ack.outcome.value, detail=ack.detail)
        log_event(log, "fleet.command", logging.INFO if ack.outcome is c.CommandOutcome.DONE else logging.WARNING,
                  command=ack.id, seq=ack.seq, kind=kind, outcome=ack.outcome.value, detail=ack.detail)

    def _apply(self, command: c.Command) -> tuple[c.CommandOutcome | None, str | None]:
        kind, args = command.kind, command.args
        if kind is c.CommandKind.UPLOAD_DIAGNOSTICS:
            return self._upload(command.id)
        if kind is c.CommandKind.NEW_CONFIG:
            from kiosk import config_push

            if self.config_path is None or self.restart is None:
                raise CommandRefused("this kiosk cannot take a config")
            from kiosk.production import production_problems

            # A kiosk run with --demo takes demo configs (its own is one); a production kiosk refuses them.
            demo = bool(production_problems(self.config))
            try:
                problem = config_push.stage(self.push_root, self.config_path, args.config_yaml or "", command.id,
                                            command.seq, demo=demo)
            except OSError as exc:  # the state directory cannot be written: say so, never retry it silently
                raise CommandRefused(f"cannot keep the pushed config: {type(exc).__name__}") from None
            if problem is not None:
                raise CommandRefused(problem[:200])
            self.restart()  # the outcome is acknowledged after the restart (applied, or rolled back)
            return None, "staged; restarting"
        with self._lock:
            if kind is c.CommandKind.OUT_OF_SERVICE:
                assert args.message is not None
                self.policy["out_of_service"] = {"id": args.message.id, "en": args.message.en}
            elif kind is c.CommandKind.IN_SERVICE:
                self.policy["out_of_service"] = None
            elif kind is c.CommandKind.OPENING_HOURS:  # no hours: open around the clock
                self.policy["hours"] = None if args.hours is None else {
                    day: (h.model_dump() if h else None) for day, h in args.hours.items()}
            elif kind is c.CommandKind.DAILY_CAP:
                self.policy["cap"] = {"documents": args.documents_per_day or None,
                                      "residents": args.residents_per_day or None}
            self._save()
        return c.CommandOutcome.DONE, None

    def _upload(self, command_id: str) -> tuple[c.CommandOutcome, str | None]:
        if self.bundle is None:
            raise CommandRefused("no diagnostics here")
        files = {name: text if len(text) <= UPLOAD_FILE_CHARS else text[:UPLOAD_FILE_CHARS] + "\n[truncated]\n"
                 for name, text in self.bundle().items()}
        try:
            receipt = self.central.upload_diagnostics(c.DiagnosticsUpload(command_id=command_id, files=files))
        except cc.CentralError as exc:
            return c.CommandOutcome.FAILED, f"upload failed: {type(exc).__name__}"
        return c.CommandOutcome.DONE, f"{receipt.files} files sent"

    # ------------------------------------------------------------------ what residents may do
    def notice(self, now: float | None = None) -> ServiceNotice | None:
        """Why residents cannot start now (out of service, closed, capped, no central service), or None."""
        now = self.clock() if now is None else now
        with self._lock:
            policy = dict(self.policy)
        stop = policy.get("out_of_service")
        if stop:
            return ServiceNotice(NoticeKind.OUT_OF_SERVICE, message_id=stop["id"], message_en=stop["en"])
        hours = policy.get("hours")
        if hours is not None:
            closed, reopen = closed_now(hours, datetime.fromtimestamp(now).astimezone())
            if closed:
                return ServiceNotice(NoticeKind.CLOSED, reopen_day=reopen[0] if reopen else None,
                                     reopen_at=reopen[1] if reopen else "")
        cap = policy.get("cap") or {}
        if (cap.get("documents") or cap.get("residents")) and self.store is not None:
            documents, residents = self._printed_today(now)
            if (cap.get("documents") and documents >= cap["documents"]) or \
                    (cap.get("residents") and residents >= cap["residents"]):
                return ServiceNotice(NoticeKind.CAPPED)
        if self.reachable is False:
            return ServiceNotice(NoticeKind.UNREACHABLE)
        return None

    def _printed_today(self, now: float) -> tuple[int, int]:
        # A scan of the day's transitions; kept for a few seconds, the monitor asks every 2 s.
        midnight = _local_midnight(now)
        cached = self._today
        if cached is None or cached[0] != midnight or now - cached[1] > COUNT_CACHE_S:
            cached = self._today = (midnight, now, self.store.journal.printed_today(midnight))  # type: ignore[union-attr]
        return cached[2]

    def forget_counts(self) -> None:
        """Count again at the next look (a print just ended)."""
        self._today = None

    def refresh(self) -> None:
        """Tell the flow when the notice changed (from the heartbeat's and the device monitor's threads)."""
        with self._lock:
            current = self.notice()
            if current == self.shown:
                return
            self.shown = current
        log_event(log, "fleet.notice", notice=current.kind.value if current else "none")
        self.post(NoticeChanged(now=time.monotonic(), notice=current))

    # ------------------------------------------------------------------ persistence
    def _load(self) -> dict[str, Any]:
        empty = {"last_seq": 0, "recent": [], "out_of_service": None, "hours": None, "cap": None, "acks": []}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:  # never silently: the last seq guards against replays
            log_event(log, "fleet.policy_unreadable", logging.ERROR, error=type(exc).__name__)
            return empty
        return {**empty, **data}

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.policy, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def closed_now(hours: dict[str, Any], local: datetime) -> tuple[bool, tuple[int, str] | None]:
    """Whether ``local`` (an aware local time) is outside ``hours``, and the next opening (weekday 0-6, HH:MM)."""
    today = c.WEEKDAYS[local.weekday()]
    span = hours.get(today)
    hhmm = local.strftime("%H:%M")
    if span and span["opens"] <= hhmm < span["closes"]:
        return False, None
    for ahead in range(8):
        day = local + timedelta(days=ahead)
        span = hours.get(c.WEEKDAYS[day.weekday()])
        if span and (ahead > 0 or hhmm < span["opens"]):
            return True, (day.weekday(), span["opens"])
    return True, None


def _local_midnight(now: float) -> float:
    local = datetime.fromtimestamp(now).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

