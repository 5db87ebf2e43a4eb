"""A new config from the operator: checked like ``check-config``, applied by a restart, rolled back by itself.

:func:`stage` checks the pushed text with the same validation as ``adm-kiosk check-config`` (production
refusals included), keeps the running file as ``<config>.previous``, puts the new one in place and writes
a marker (``<config>.push.json``) that names the command. The kiosk then stops; systemd starts it again.
At every start, :func:`begin_start` (``adm-kiosk run``, before it reads the config) counts the attempt: a
second start under the same pushed config means the first never reached READY, so the previous file comes
back and the outcome is "rolled back". :func:`reached_ready` (the first frame of the resident screens) marks
it applied. :func:`take_outcome` hands the finished outcome to the fleet agent, which audits it and
acknowledges it in the next heartbeat. Nothing here logs the config's content.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from central import contract as c
from kiosk.logs import event as log_event

log = logging.getLogger(__name__)
#: Starts under a pushed config without reaching READY before it is rolled back.
MAX_TRIES = 1


def marker_path(config_path: Path) -> Path:
    return config_path.with_name(config_path.name + ".push.json")


def previous_path(config_path: Path) -> Path:
    return config_path.with_name(config_path.name + ".previous")


def problems_of(text: str, directory: Path, *, demo: bool = False) -> list[str]:
    """What ``check-config`` would refuse in ``text`` (read as a file in ``directory``): key paths and what is
    wrong, never the values."""
    from kiosk.config import ConfigError, load_config
    from kiosk.production import production_problems

    with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".yaml", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    try:
        config = load_config(tmp.name)
        refused = [] if demo else production_problems(config)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    finally:
        os.unlink(tmp.name)
    return [str(p) for p in refused]


def stage(config_path: Path, text: str, command_id: str, seq: int, *, demo: bool = False) -> str | None:
    """Check ``text`` and put it in place of ``config_path`` (the old file kept); the first problem when refused."""
    config_path = Path(config_path)
    problems = problems_of(text, config_path.parent, demo=demo)
    if problems:
        log_event(log, "config_push.refused", logging.WARNING, command=command_id, problems=len(problems))
        return problems[0]
    shutil.copy2(config_path, previous_path(config_path))
    _write(marker_path(config_path), json.dumps({"command_id": command_id, "seq": seq, "tries": 0,
                                                 "state": "staged"}))
    _write(config_path, text)
    log_event(log, "config_push.staged", command=command_id)
    return None


def begin_start(config_path: Path) -> str | None:
    """Call first thing at every start: rolls a pushed config back when it already had its chance; returns
    what happened ('trying', 'rolled_back') or None when no push is under way."""
    marker = _read(config_path)
    if marker is None or marker["state"] != "staged":
        return None
    if marker["tries"] >= MAX_TRIES:
        os.replace(previous_path(config_path), config_path)
        marker.update(state="rolled_back")
        _write(marker_path(config_path), json.dumps(marker))
        log_event(log, "config_push.rolled_back", logging.ERROR, command=marker["command_id"])
        return "rolled_back"
    marker["tries"] += 1
    _write(marker_path(config_path), json.dumps(marker))
    return "trying"


def reached_ready(config_path: Path) -> None:
    """The kiosk under the pushed config drew its resident screens: the push is applied."""
    marker = _read(config_path)
    if marker is not None and marker["state"] == "staged":
        marker.update(state="applied")
        _write(marker_path(config_path), json.dumps(marker))
        log_event(log, "config_push.applied", command=marker["command_id"])


def take_outcome(config_path: Path) -> tuple[c.CommandAck, str] | None:
    """The finished push's acknowledgement (and the command's kind), once; None while none is finished."""
    marker = _read(config_path)
    if marker is None or marker["state"] not in ("applied", "rolled_back"):
        return None
    marker_path(config_path).unlink()
    if marker["state"] == "applied":
        ack = c.CommandAck(id=marker["command_id"], seq=marker["seq"], outcome=c.CommandOutcome.DONE,
                           detail="applied after restart")
    else:
        ack = c.CommandAck(id=marker["command_id"], seq=marker["seq"], outcome=c.CommandOutcome.FAILED,
                           detail="did not reach READY; previous config restored")
    return ack, c.CommandKind.NEW_CONFIG.value


def _read(config_path: Path) -> dict | None:
    try:
        return json.loads(marker_path(Path(config_path)).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log_event(log, "config_push.marker_unreadable", logging.ERROR, error=type(exc).__name__)
        return None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)
