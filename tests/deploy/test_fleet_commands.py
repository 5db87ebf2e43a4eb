"""The two-way heartbeat against the reference central service over mutual TLS: the operator queues a
command with ``adm-central command``, a running kiosk gets it in its heartbeat's answer, checks its signature,
kiosk, expiry and sequence, carries it out, audits it and acknowledges it in the next heartbeat, which
``adm-central fleet`` then shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from central import contract as c
from central.cli import main as adm_central
from central.fleet import operator_key, sign
from kiosk import config_push
from kiosk.config import load_config
from kiosk.fleet import closed_now
from kiosk.flow_model import NoticeChanged
from kiosk.runtime import KioskRuntime
from kiosk.service_model import NoticeKind
from printjobs.audit import AuditKind
from tests.deploy.conftest import LiveKiosk
from tests.factories import running_world

NIK = "3273010101900001"


@pytest.fixture
def central(tmp_path_factory):
    """A service of its own per test: commands queued for the kiosk id must not reach the next test's kiosk."""
    with running_world(tmp_path_factory.mktemp("central")) as running:
        yield running


@pytest.fixture
def live(live):
    """The running kiosk with its heartbeat loop stopped once its first beat is done: these tests send each
    heartbeat themselves, so no beat of the loop's takes a command between two steps."""

    def start(**kwargs):
        kiosk = live(**kwargs)
        kiosk.runtime.heartbeat.stop()
        return kiosk

    return start


def command(central, kiosk_id: str, *args: str, capsys) -> dict:
    assert adm_central(["command", "--data", str(central.data_dir), kiosk_id, *args]) == 0
    return json.loads(capsys.readouterr().out)


def notices(kiosk) -> list:
    return [event.notice for event in kiosk.posted if isinstance(event, NoticeChanged)]


def audited(kiosk) -> list[dict]:
    return [entry.body for entry in kiosk.runtime.store.audit.entries() if entry.kind == AuditKind.FLEET_COMMAND]


def test_out_of_service_from_adm_central_reaches_the_kiosk_is_acknowledged_and_audited(live, central, capsys):
    kiosk = live()
    kiosk_id = kiosk.config.kiosk.id
    queued = command(central, kiosk_id, "out-of-service", "--message-id", "Printer sedang diperbaiki.",
                     "--message-en", "The printer is being repaired.", capsys=capsys)
    kiosk.runtime.send_heartbeat()  # the answer carries the command
    stop = notices(kiosk)[-1]
    assert stop.kind is NoticeKind.OUT_OF_SERVICE and stop.message_id == "Printer sedang diperbaiki."
    assert audited(kiosk) == [{"command_id": queued["id"], "seq": queued["seq"], "action": "out_of_service",
                               "outcome": "done"}]
    assert kiosk.scrape().value("adm_kiosk_in_service") == 0
    kiosk.runtime.send_heartbeat()  # carries the ack; the service sends the command no more
    assert adm_central(["fleet", "--data", str(central.data_dir), "--json"]) == 0
    fleet = {k["kiosk_id"]: k for k in json.loads(capsys.readouterr().out)}[kiosk_id]
    assert fleet["in_service"] is False and fleet["notice"] == "out_of_service"
    assert [(cmd["id"], cmd["status"]) for cmd in fleet["commands"]][-1] == (queued["id"], "done")
    assert fleet["pending_commands"] == 0
    # Back in service, with the same path.
    command(central, kiosk_id, "in-service", capsys=capsys)
    kiosk.runtime.send_heartbeat()
    assert notices(kiosk)[-1] is None
    assert adm_central(["fleet", "--data", str(central.data_dir)]) == 0
    table = capsys.readouterr().out
    assert "KIOSK" in table.splitlines()[0] and kiosk_id in table


def test_replayed_stale_forged_and_misaddressed_commands_are_refused(live, central, capsys):
    kiosk = live()
    agent = kiosk.runtime.fleet
    kiosk_id = kiosk.config.kiosk.id
    command(central, kiosk_id, "cap", "--documents", "50", capsys=capsys)
    answer = kiosk.runtime.central.heartbeat(c.Heartbeat())
    signed = answer.commands[-1]
    assert agent.run(signed).outcome is c.CommandOutcome.DONE
    assert agent.run(signed).outcome is c.CommandOutcome.DONE  # repeated before its ack arrived: not rerun
    agent.answered([c.CommandAck(**a) for a in agent.policy["acks"]], c.HeartbeatAck(received_at=datetime.now(UTC)))
    agent.run(signed)  # replayed after its ack: still not run again, nor audited again
    assert len(audited(kiosk)) == 1

    key = operator_key(central.data_dir)
    now = datetime.now(UTC)

    def made(seq: int, *, kiosk: str = kiosk_id, expires: datetime | None = None) -> c.Command:
        return c.Command(id=f"CMD-T{seq}", kiosk_id=kiosk, seq=seq, kind=c.CommandKind.OUT_OF_SERVICE,
                         issued_at=now, expires_at=expires or now + timedelta(hours=1),
                         args=c.CommandArgs(message=c.ResidentMessage(id="Tutup", en="Closed")))

    old = agent.run(sign(made(signed.command.seq), key).model_copy(
        update={"command": made(signed.command.seq).model_copy(update={"id": "CMD-OLD"})}))
    assert old.detail == "bad signature"  # an id cannot be changed under a signature...
    replay = agent.run(sign(made(signed.command.seq).model_copy(update={"id": "CMD-OLD"}), key))
    assert (replay.outcome, replay.detail) == (c.CommandOutcome.REFUSED, "replayed")  # ...an old seq is refused
    stale = agent.run(sign(made(100, expires=now - timedelta(seconds=1)), key))
    assert (stale.outcome, stale.detail) == (c.CommandOutcome.REFUSED, "expired")
    forged = sign(made(101), key).model_copy(update={"command": made(101).model_copy(update={"seq": 102})})
    assert agent.run(forged).detail == "bad signature"
    assert agent.run(sign(made(103, kiosk="ADM-OTHER-01"), key)).detail == "for another kiosk"
    assert agent.run(sign(made(104), key).model_copy(update={"key_id": "someone"})).detail == "unknown operator key"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    assert agent.run(sign(made(105), Ed25519PrivateKey.generate())).detail == "bad signature"
    assert agent.notice() is None  # none of them took the kiosk out of service
    assert [body["outcome"] for body in audited(kiosk)] == ["done"] + ["refused"] * 7


def test_opening_hours_close_the_kiosk_and_name_the_next_opening(live, central, capsys):
    kiosk = live()
    now = datetime.now().astimezone()
    tomorrow = c.WEEKDAYS[(now.weekday() + 1) % 7]
    # Open tomorrow only: closed now, whatever the hour.
    command(central, kiosk.config.kiosk.id, "hours", "--day", f"{tomorrow}=07:30-15:00", capsys=capsys)
    kiosk.runtime.send_heartbeat()
    closed = notices(kiosk)[-1]
    assert closed.kind is NoticeKind.CLOSED
    assert (closed.reopen_day, closed.reopen_at) == ((now.weekday() + 1) % 7, "07:30")


def test_closed_now_follows_the_week():
    hours = {"mon": {"opens": "08:00", "closes": "15:00"}, "sat": {"opens": "09:00", "closes": "12:00"}}
    at = datetime(2026, 12, 7, 7, 59).astimezone()  # a Monday
    assert closed_now(hours, at) == (True, (0, "08:00"))
    assert closed_now(hours, at.replace(hour=8, minute=0)) == (False, None)
    assert closed_now(hours, at.replace(hour=15, minute=0)) == (True, (5, "09:00"))
    assert closed_now(hours, datetime(2026, 12, 13, 10, 0).astimezone()) == (True, (0, "08:00"))  # Sunday
    assert closed_now({}, at) == (True, None)


def test_a_daily_cap_is_said_before_the_next_resident_starts(live, central, capsys):
    kiosk = live()
    command(central, kiosk.config.kiosk.id, "cap", "--documents", "1", capsys=capsys)
    kiosk.runtime.send_heartbeat()
    assert kiosk.runtime.fleet.notice() is None
    kiosk.print_a4()
    kiosk.runtime.fleet.forget_counts()
    assert kiosk.runtime.fleet.notice().kind is NoticeKind.CAPPED
    command(central, kiosk.config.kiosk.id, "cap", "--documents", "0", capsys=capsys)  # lifted
    kiosk.runtime.send_heartbeat()
    assert kiosk.runtime.fleet.notice() is None


def test_diagnostics_are_uploaded_on_command_without_personal_data(live, central, capsys):
    kiosk = live()
    kiosk.print_a4()  # the journal now holds a job for NIK
    queued = command(central, kiosk.config.kiosk.id, "upload-diagnostics", capsys=capsys)
    kiosk.runtime.send_heartbeat()
    uploads = central.handle.store.commands.diagnostics(kiosk.config.kiosk.id)
    assert [u["command_id"] for u in uploads] == [queued["id"]]
    files = uploads[0]["files"]
    assert {"diagnostics.json", "journal.json", "audit-verify.json"} <= set(files)
    everything = json.dumps(files)
    assert NIK not in everything and "DOC-TEST-1" in everything
    assert audited(kiosk)[-1]["outcome"] == "done"


@pytest.mark.parametrize("args", [["out-of-service"], ["cap"], ["hours", "--day", "mon=15:00-08:00"],
                                  ["hours", "--day", "someday=08:00-15:00"]])
def test_adm_central_refuses_a_command_it_cannot_make(central, args, capsys):
    assert adm_central(["command", "--data", str(central.data_dir), "ADM-DEMO-01", *args]) == 2
    assert "error:" in capsys.readouterr().err


def test_the_attract_screen_hears_when_the_central_service_is_gone(live):
    kiosk = live(reachable=False)
    with pytest.raises(Exception):  # noqa: B017  (the heartbeat loop counts it; the notice is what matters)
        kiosk.runtime.send_heartbeat()
    assert notices(kiosk)[-1].kind is NoticeKind.UNREACHABLE
    assert kiosk.runtime.fleet.heartbeat_fields()["in_service"] is True  # said on screen, not an outage


def pushed_config_kiosk(live, tmp_path):
    """A kiosk started from a config file (as `adm-kiosk run --config` starts it): the base a push goes beside."""
    from kiosk.demo import demo_config_text

    kiosk = live()
    path = tmp_path / "etc" / "config.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(kiosk.config.model_dump(mode="json")), encoding="utf-8")
    restarts: list[str] = []
    kiosk.runtime.fleet.config_path = path
    kiosk.runtime.fleet.restart = lambda: restarts.append("restart")
    return kiosk, path, restarts, demo_config_text


def test_a_pushed_config_that_check_config_refuses_is_never_applied(live, central, tmp_path, capsys):
    kiosk, path, restarts, _ = pushed_config_kiosk(live, tmp_path)
    before = path.read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text(before.decode().replace("idle_warning_s:", "idel_warning_s:"), encoding="utf-8")
    command(central, kiosk.config.kiosk.id, "config", "--file", str(bad), capsys=capsys)
    kiosk.runtime.send_heartbeat()
    root = kiosk.runtime.fleet.push_root
    assert restarts == [] and path.read_bytes() == before and config_push.in_use(path, root) == path
    body = audited(kiosk)[-1]
    assert body["outcome"] == "refused" and body["detail"].startswith("kiosk.idel_warning_s: unknown key")


def test_a_pushed_config_that_never_reaches_ready_is_rolled_back_and_reported(live, central, tmp_path, capsys):
    kiosk, path, restarts, _ = pushed_config_kiosk(live, tmp_path)
    root = kiosk.runtime.fleet.push_root
    before = path.read_bytes()
    broken = yaml.safe_load(before)
    broken["storage"]["state_dir"] = "/proc/adm-kiosk-state"  # valid to check-config; no kiosk can start on it
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(broken), encoding="utf-8")
    queued = command(central, kiosk.config.kiosk.id, "config", "--file", str(new), capsys=capsys)
    kiosk.runtime.send_heartbeat()
    # Staged in the state directory; the base file (read-only /etc on a kiosk) is never written.
    assert restarts == ["restart"] and path.read_bytes() == before and sorted(path.parent.iterdir()) == [path]
    assert config_push.in_use(path, root) == root / "config-push" / "config.yaml"
    kiosk.runtime.stop()
    # systemd starts it again: the new config is tried, the start fails before READY, systemd tries again.
    assert config_push.begin_start(root) == "trying"
    with pytest.raises(OSError):
        KioskRuntime(load_config(config_push.in_use(path, root), base_dir=path.parent), post=lambda event: None)
    assert config_push.begin_start(root) == "rolled_back"
    assert config_push.in_use(path, root) == path and path.read_bytes() == before
    again = LiveKiosk(load_config(path))
    again.runtime.fleet.config_path = path
    again.runtime.fleet.collect_config_push()
    try:
        body = audited(again)[-1]
        assert (body["command_id"], body["outcome"]) == (queued["id"], "failed")
        again.runtime.send_heartbeat()  # the ack reaches the service
    finally:
        again.runtime.stop()
    assert adm_central(["fleet", "--data", str(central.data_dir), "--json"]) == 0
    status = {cmd["id"]: cmd["status"] for cmd in json.loads(capsys.readouterr().out)[0]["commands"]}
    assert status[queued["id"]] == "failed"


def test_a_pushed_config_that_reaches_ready_is_kept_and_a_later_failed_push_goes_back_to_it(
        live, central, tmp_path, capsys):
    kiosk, path, restarts, _ = pushed_config_kiosk(live, tmp_path)
    root = kiosk.runtime.fleet.push_root
    changed = yaml.safe_load(path.read_bytes())
    changed["kiosk"]["idle_warning_s"] = 90
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(changed), encoding="utf-8")
    queued = command(central, kiosk.config.kiosk.id, "config", "--file", str(new), capsys=capsys)
    kiosk.runtime.send_heartbeat()
    assert config_push.begin_start(root) == "trying"
    config_push.reached_ready(root)
    assert config_push.begin_start(root) is None  # applied: a later restart keeps it
    kiosk.runtime.fleet.collect_config_push()
    running = config_push.in_use(path, root)
    assert running != path and load_config(running, base_dir=path.parent).kiosk.idle_warning_s == 90
    assert load_config(path).kiosk.idle_warning_s != 90  # the base stays as the administrator wrote it
    assert (audited(kiosk)[-1]["command_id"], audited(kiosk)[-1]["outcome"]) == (queued["id"], "done")
    # A second push that never comes up goes back to the first pushed config, not to the base.
    changed["kiosk"]["idle_warning_s"] = 100
    new.write_text(yaml.safe_dump(changed), encoding="utf-8")
    command(central, kiosk.config.kiosk.id, "config", "--file", str(new), capsys=capsys)
    kiosk.runtime.send_heartbeat()
    assert config_push.begin_start(root) == "trying" and config_push.begin_start(root) == "rolled_back"
    assert load_config(config_push.in_use(path, root), base_dir=path.parent).kiosk.idle_warning_s == 90


def test_the_fleet_table_shows_a_kiosk_whose_printers_are_all_down(live, central, capsys):
    kiosk = live()
    kiosk.runtime.devices.document_printer.set_fault("media-empty")
    kiosk.runtime.devices.card_printer.set_fault("ribbon-empty")
    kiosk.settle()
    kiosk.runtime.send_heartbeat()
    assert adm_central(["fleet", "--data", str(central.data_dir), "--json"]) == 0
    fleet = json.loads(capsys.readouterr().out)[0]
    assert (fleet["in_service"], fleet["notice"]) == (False, "no_printer")
    assert fleet["devices"]["document_printer"] != "READY"
