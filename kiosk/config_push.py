"""A new config from the operator: checked like ``check-config``, applied by a restart, rolled back by itself.

An installed kiosk cannot write its config file: ``kiosk.service`` keeps ``/etc`` read-only
(``ProtectSystem=strict``) and the file is root's. So a pushed config lives in the kiosk's state directory
(the *base* config's ``storage.state_dir``, ``/var/lib/adm-kiosk``: the unit's ``StateDirectory``), in
``config-push/``: ``config.yaml`` (the pushed config), ``config.yaml.previous`` (the pushed config it
replaced, when there was one) and ``push.json`` (the marker naming the command). ``/etc``'s file stays as
the administrator wrote it: it is the base, and the fallback. Relative paths in a pushed config resolve
against the base file's directory, as they would in /etc's file.

:func:`stage` checks the pushed text with the same validation as ``adm-kiosk check-config`` (production
refusals included), keeps the pushed config in use as ``.previous``, puts the new one in place and writes
the marker. The kiosk then stops; systemd starts it again. At every start, :func:`begin_start`
(``adm-kiosk run``, before it reads the config) counts the attempt: a second start under the same pushed
config means the first never reached READY, so the previous pushed config comes back (or, when there was
none, the pushed file goes and /etc's file is used again), and the outcome is "rolled back".
:func:`reached_ready` (the first frame of the resident screens) marks it applied. :func:`take_outcome`
hands the finished outcome to the fleet agent, which audits it and acknowledges it in the next heartbeat.
:func:`in_use` says which file the kiosk runs on (``check-config`` and ``diagnose`` say it too). Nothing
here logs the config's content.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.logs import event as log_event

if TYPE_CHECKING:  # the contract (pydantic models) only where an outcome is acknowledged: the state commands
    from central import contract as c  # choose their config here and load no contract

log = logging.getLogger(__name__)
#: Starts under a pushed config without reaching READY before it is rolled back.
MAX_TRIES = 1
#: The folder of the state directory that holds a pushed config, its predecessor and the marker.
PUSH_DIR = "config-push"


@dataclass(frozen=True)
class PushFiles:
    """Where a kiosk keeps what the operator pushed: under ``root`` (the base config's state directory)."""

    root: Path

    @property
    def folder(self) -> Path:
        return Path(self.root) / PUSH_DIR

    @property
    def pushed(self) -> Path:
        return self.folder / "config.yaml"

    @property
    def previous(self) -> Path:
        return self.folder / "config.yaml.previous"

    @property
    def marker(self) -> Path:
        return self.folder / "push.json"


def in_use(base: Path, root: Path) -> Path:
    """The config file the kiosk runs on: the pushed one in the state directory when there is one, else
    ``base`` (/etc's file)."""
    pushed = PushFiles(root).pushed
    return pushed if pushed.is_file() else Path(base)


def base_root(base: Path) -> Path | None:
    """The state directory that ``base`` (/etc's file) names, where a pushed config would be; None when the
    file cannot be read as a config (then nothing pushed is looked for)."""
    from kiosk.config import ConfigError, load_config

    try:
        return Path(load_config(base).storage.state_dir)
    except (ConfigError, OSError):
        return None


def pushed_for(base: Path) -> Path | None:
    """The config the operator pushed, in the state directory ``base`` (/etc's file) names; None when there is
    none, or ``base`` cannot be read as a config."""
    root = base_root(base)
    pushed = PushFiles(root).pushed if root is not None else None
    return pushed if pushed is not None and pushed.is_file() else None


def load_effective(base: Path):
    """The config the kiosk runs on and its file: the pushed config (paths resolved as in ``base``) when
    there is one, else ``base``. Raises ConfigError as :func:`kiosk.config.load_config` does."""
    from kiosk.config import load_config

    base = Path(base)
    path = pushed_for(base) or base
    return load_config(path, base_dir=base.resolve().parent), path


def problems_of(text: str, base_dir: Path, *, demo: bool = False, scratch: Path | None = None) -> list[str]:
    """What ``check-config`` would refuse in ``text`` (its relative paths read against ``base_dir``): key
    paths and what is wrong, never the values. ``scratch`` is a writable folder for the check's file."""
    from kiosk.config import ConfigError, load_config
    from kiosk.production import production_problems

    with tempfile.NamedTemporaryFile("w", dir=scratch, suffix=".yaml", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    try:
        config = load_config(tmp.name, base_dir=base_dir)
        refused = [] if demo else production_problems(config)
    except ConfigError as exc:
        return [str(p).replace(tmp.name, "pushed config") for p in exc.problems]
    finally:
        os.unlink(tmp.name)
    return [str(p) for p in refused]


def stage(root: Path, base: Path, text: str, command_id: str, seq: int, *, demo: bool = False) -> str | None:
    """Check ``text`` and make it the pushed config (the one in use kept); the first problem when refused."""
    files = PushFiles(root)
    files.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    problems = problems_of(text, Path(base).resolve().parent, demo=demo, scratch=files.folder)
    if problems:
        log_event(log, "config_push.refused", logging.WARNING, command=command_id, problems=len(problems))
        return problems[0]
    had_pushed = files.pushed.is_file()
    if had_pushed:
        _write(files.previous, files.pushed.read_text(encoding="utf-8"))
    else:
        files.previous.unlink(missing_ok=True)
    _write(files.marker, json.dumps({"command_id": command_id, "seq": seq, "tries": 0, "state": "staged",
                                     "previous": "pushed" if had_pushed else "base"}))
    _write(files.pushed, text)
    log_event(log, "config_push.staged", command=command_id)
    return None


def begin_start(root: Path) -> str | None:
    """Call first thing at every start: rolls a pushed config back when it already had its chance; returns
    what happened ('trying', 'rolled_back') or None when no push is under way."""
    files = PushFiles(root)
    marker = _read(files)
    if marker is None or marker["state"] != "staged":
        return None
    if marker["tries"] >= MAX_TRIES:
        if marker.get("previous") == "pushed" and files.previous.is_file():
            os.replace(files.previous, files.pushed)
        else:  # there was no pushed config before: /etc's file again
            files.pushed.unlink(missing_ok=True)
        marker.update(state="rolled_back")
        _write(files.marker, json.dumps(marker))
        log_event(log, "config_push.rolled_back", logging.ERROR, command=marker["command_id"])
        return "rolled_back"
    marker["tries"] += 1
    _write(files.marker, json.dumps(marker))
    return "trying"


def reached_ready(root: Path) -> None:
    """The kiosk under the pushed config drew its resident screens: the push is applied."""
    files = PushFiles(root)
    marker = _read(files)
    if marker is not None and marker["state"] == "staged":
        marker.update(state="applied")
        _write(files.marker, json.dumps(marker))
        files.previous.unlink(missing_ok=True)
        log_event(log, "config_push.applied", command=marker["command_id"])


def take_outcome(root: Path) -> tuple[c.CommandAck, str] | None:
    """The finished push's acknowledgement (and the command's kind), once; None while none is finished."""
    from central import contract as c

    files = PushFiles(root)
    marker = _read(files)
    if marker is None or marker["state"] not in ("applied", "rolled_back"):
        return None
    files.marker.unlink()
    if marker["state"] == "applied":
        ack = c.CommandAck(id=marker["command_id"], seq=marker["seq"], outcome=c.CommandOutcome.DONE,
                           detail="applied after restart")
    else:
        ack = c.CommandAck(id=marker["command_id"], seq=marker["seq"], outcome=c.CommandOutcome.FAILED,
                           detail="did not reach READY; previous config restored")
    return ack, c.CommandKind.NEW_CONFIG.value


def _read(files: PushFiles) -> dict | None:
    try:
        return json.loads(files.marker.read_text(encoding="utf-8"))
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
