"""The demo's fleet operator: commands sent with ``adm-central command`` and the kiosk's answers on screen.

Out of service with the operator's message, closed outside the opening hours, a capped day, and a pushed
config that never reaches READY and is rolled back (the two starts systemd would make are played here: the
first fails on the new config, the second restores the previous file).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from central import contract as c
from central.cli import main as adm_central
from kiosk import config_push
from kiosk.central_client import CentralError
from kiosk.config import load_config
from kiosk.demo.robot import wait_until
from kiosk.flow import Screen
from kiosk.service_model import NoticeKind

#: The demo's :class:`kiosk.demo.script.Script` (not imported: the script imports this module).
Script = Any

MAINTENANCE_ID = "Anjungan sedang dalam perawatan. Silakan ke loket Disdukcapil di lantai 1."
MAINTENANCE_EN = "This kiosk is under maintenance. Please go to the Disdukcapil counter on the 1st floor."


def operator(script: Script, *args: str) -> dict:
    """``adm-central command --data DIR KIOSK ...``, as the operator types it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = adm_central(["command", "--data", str(script.central.data_dir), script.runtime.config.kiosk.id,
                            *args])
    if code != 0:
        raise LookupError(f"adm-central command {args[0]} exited {code}")
    return json.loads(out.getvalue())


def heartbeat(script: Script, *, wait: bool = False) -> None:
    """The next heartbeat now (off the UI thread, as the heartbeat loop sends it)."""

    def beat() -> None:
        with contextlib.suppress(CentralError):
            script.runtime.send_heartbeat()

    thread = threading.Thread(target=beat, name="demo-heartbeat", daemon=True)
    thread.start()
    if wait:
        thread.join(30)


def fleet_table(script: Script) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        adm_central(["fleet", "--data", str(script.central.data_dir)])
    return out.getvalue()


def run_fleet_steps(script: Script, out: Path) -> None:
    checks = script.report["checks"]
    operator(script, "out-of-service", "--message-id", MAINTENANCE_ID, "--message-en", MAINTENANCE_EN)
    heartbeat(script)
    script.wait_screen(Screen.OUT_OF_SERVICE)
    script.shot("out-of-service-by-operator")
    operator(script, "in-service")
    heartbeat(script)
    script.wait_screen(Screen.ATTRACT)

    tomorrow = c.WEEKDAYS[(datetime.now().astimezone() + timedelta(days=1)).weekday()]
    operator(script, "hours", "--day", f"{tomorrow}=08:00-15:00")
    heartbeat(script)
    script.wait_screen(Screen.CLOSED)
    checks["closed_reopens"] = [script.state.notice.reopen_day, script.state.notice.reopen_at]
    script.shot("closed-opening-hours")
    operator(script, "hours", "--always-open")
    heartbeat(script)
    script.wait_screen(Screen.ATTRACT)

    midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    printed, _residents = script.runtime.store.journal.printed_today(midnight)
    operator(script, "cap", "--documents", str(max(printed, 1)))
    script.runtime.fleet.forget_counts()
    heartbeat(script)
    script.wait_screen(Screen.CLOSED)
    checks["capped_after_documents"] = printed
    script.shot("closed-daily-cap")
    operator(script, "cap", "--documents", "0")
    heartbeat(script)
    script.wait_screen(Screen.ATTRACT)
    checks["config_push"] = config_push_rolled_back(script, out)
    (script.dir / "fleet.txt").write_text(fleet_table(script), encoding="utf-8")


def central_gone(script: Script) -> None:
    """The central service stops answering: the next heartbeat fails and the attract screen says so."""
    script.central.stop()
    heartbeat(script)
    wait_until(lambda: script.state.notice is not None and script.state.notice.kind is NoticeKind.UNREACHABLE,
               30, "the unreachable notice")
    script.shot("attract-central-unreachable")


def config_push_rolled_back(script: Script, out: Path) -> str:
    """Push a config that passes check-config but cannot start (its state directory cannot be written).

    As on an installed kiosk, the base config file is never written: the push goes to the state directory."""
    fleet = script.runtime.fleet
    path = out / "kiosk-config.yaml"
    path.write_text(yaml.safe_dump(script.runtime.config.model_dump(mode="json")), encoding="utf-8")
    before = path.read_bytes()
    restarts: list[str] = []
    fleet.config_path, fleet.restart = path, lambda: restarts.append("restart")
    root = fleet.push_root
    broken = yaml.safe_load(before)
    broken["storage"]["state_dir"] = "/proc/adm-kiosk-state"
    pushed = out / "pushed-config.yaml"
    pushed.write_text(yaml.safe_dump(broken), encoding="utf-8")
    queued = operator(script, "config", "--file", str(pushed))
    heartbeat(script, wait=True)
    if restarts != ["restart"] or config_push.in_use(path, root) == path:
        raise LookupError("the pushed config was not staged")
    # The restart systemd makes: the new config is tried and the kiosk does not come up...
    config_push.begin_start(root)
    from kiosk.runtime import KioskRuntime

    try:
        KioskRuntime(load_config(config_push.in_use(path, root), base_dir=out), post=lambda event: None).stop()
        raise LookupError("the broken config started")
    except OSError:
        pass
    # ...so the next start goes back to the base file, and the outcome goes back in the heartbeat.
    outcome = config_push.begin_start(root)
    if outcome != "rolled_back" or config_push.in_use(path, root) != path or path.read_bytes() != before:
        raise LookupError("the broken config was not rolled back")
    fleet.collect_config_push()
    heartbeat(script, wait=True)
    statuses = {cmd["id"]: cmd["status"] for k in json.loads(_fleet_json(script)) for cmd in k["commands"]}
    return statuses[queued["id"]]


def _fleet_json(script: Script) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        adm_central(["fleet", "--data", str(script.central.data_dir), "--json"])
    return out.getvalue()
