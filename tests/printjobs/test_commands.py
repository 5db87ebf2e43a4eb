"""``adm-kiosk journal`` and ``adm-kiosk audit`` as a technician and an administrator use them."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from kiosk.cli import main
from printjobs.journal import JobState
from printjobs.store import PrintStore, store_dir
from tests.factories import NAME, NIK


@pytest.fixture
def config(demo_config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = demo_config_dir / "config.yaml"
    monkeypatch.setenv("ADM_KIOSK_CONFIG", str(path))
    return path


@pytest.fixture
def kiosk_state(config: Path) -> dict[str, str]:
    """A journal with one job of each ending, as the kiosk would leave it."""
    store = PrintStore(store_dir(config.parent / "state"))
    ids = {}
    for name, kind in [("printed", "card"), ("failed", "a4"), ("uncertain", "card")]:
        job = store.create_job(f"doc-{name}", "KTP-el" if kind == "card" else "KK", kind,
                               "card_printer" if kind == "card" else "document_printer", NIK).job_id
        store.fetched(job, [b"x"] if kind == "a4" else [b"f", b"b"])
        store.sending(job)
        ids[name] = job
    store.printed(ids["printed"], {"blanko": 1}, {"cards": 1})
    store.failed(ids["failed"], "media-jam")
    store.uncertain(ids["uncertain"], "timed-out")
    store.reload("card_printer", "blanko", 40, "teknisi-demo")
    store.close()
    return ids


def test_journal_json_shows_jobs_and_backlog_without_personal_data(kiosk_state, capsys):
    assert main(["journal", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert {job["job_id"]: job["state"] for job in data["jobs"]} == {
        kiosk_state["printed"]: "PRINTED", kiosk_state["failed"]: "FAILED", kiosk_state["uncertain"]: "UNCERTAIN"}
    assert data["outbox"]["pending"] == 3
    assert sorted(item["outcome"] for item in data["outbox"]["backlog"]) == ["failed", "printed", "uncertain"]
    assert data["consumables"][0]["level"] == 40
    assert NIK not in out and NAME not in out and "nik" not in out.lower()


def test_journal_text_listing(kiosk_state, capsys):
    assert main(["journal"]) == 0
    out = capsys.readouterr().out
    assert kiosk_state["uncertain"] in out and "UNCERTAIN" in out
    assert "outbox: 3 pending, 0 rejected" in out


def test_resolve_an_uncertain_job_by_prefix_and_it_is_audited(kiosk_state, config: Path, capsys):
    job = kiosk_state["uncertain"]
    assert main(["journal", "resolve", job[:13], "printed", "--technician", "teknisi-demo"]) == 0
    store = PrintStore(store_dir(config.parent / "state"))
    record = store.journal.get(job)
    assert (record.state, record.resolution.value, record.technician) == (JobState.RESOLVED, "printed", "teknisi-demo")
    actions = [e.body for e in store.audit.entries() if e.kind == "technician" and e.body["action"] != "reload"]
    assert actions == [{"action": "resolve_uncertain", "technician": "teknisi-demo", "job_id": job,
                        "document_id": "doc-uncertain", "printer": "card_printer", "resolution": "printed"}]
    assert {e.key: e.outcome for e in store.outbox.events()}[job] == "printed"  # rewritten before it left
    assert [e.body["job_id"] for e in store.audit.entries() if e.kind == "card_issued"][-1] == job
    assert store.consumables.get("card_printer", "blanko").level == 39  # the card did come out
    store.close()


@pytest.mark.parametrize("before,after,level,shown", [
    ([], [], "INFO", "json"),  # the config's logging section: INFO, one JSON object per line
    (["--log-format", "text"], [], "INFO", "text"),  # given before the action's name: still applies
    ([], ["--log-format", "text", "--log-level", "info"], "INFO", "text"),
    ([], ["--log-level", "WARNING"], "WARNING", None),
    (["-v"], [], "DEBUG", "json"),
])
def test_journal_logs_as_the_kiosk_does_at_the_level_and_in_the_format_asked(kiosk_state, capsys, before, after,
                                                                              level, shown):
    job = kiosk_state["uncertain"]
    assert main(["journal", *before, "resolve", job, "printed", "--technician", "teknisi-demo", *after]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "job.resolved" in line]
    if shown is None:
        assert lines == []
    elif shown == "json":
        (line,) = lines
        assert json.loads(line) | {"ts": "-"} == {"ts": "-", "level": "INFO", "logger": "printjobs.store",
                                                  "event": "job.resolved", "job": job, "resolution": "printed",
                                                  "technician": "teknisi-demo"}
    else:
        assert lines == [f"INFO    printjobs.store job.resolved job={job} resolution=printed technician=teknisi-demo"]
    assert logging.getLevelName(logging.getLogger().level) == level


@pytest.mark.parametrize("which,technician,code,message", [
    ("printed", "teknisi-demo", 1, "only an UNCERTAIN job can be resolved"),
    ("uncertain", "somebody", 2, "unknown technician"),
    (None, "teknisi-demo", 1, "no job matches"),
])
def test_resolve_refuses_what_it_cannot_do(kiosk_state, capsys, which, technician, code, message):
    job = kiosk_state[which] if which else "ffffffff-ffff"
    assert main(["journal", "resolve", job, "not-printed", "--technician", technician]) == code
    assert message in capsys.readouterr().err


def test_audit_verify_passes_then_catches_an_edit(kiosk_state, config: Path, capsys):
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    conn = sqlite3.connect(store_dir(config.parent / "state") / "journal.sqlite")
    conn.execute("UPDATE audit SET body = replace(body, 'card_printer', 'document_printer') WHERE seq = 1")
    conn.commit()
    conn.close()
    assert main(["audit", "verify", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result["ok"] and any("entry 1" in p for p in result["problems"])


def test_audit_report_csv_for_a_month(kiosk_state, config: Path, capsys, tmp_path: Path):
    month = json.loads(_journal_json(capsys))["jobs"][0]["created_at"][:7]
    assert main(["audit", "report", "--month", month, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows] == ["card_issued", "card_uncertain", "technician"]
    out = tmp_path / "report.csv"
    assert main(["audit", "report", "--month", month, "--csv", "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0].startswith("seq,time_utc,kind,cause")
    assert main(["audit", "report", "--month", "2026-13", "--csv"]) == 2


def test_no_journal_yet_is_not_an_error(config: Path, capsys):
    assert main(["journal", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["jobs"] == []
    assert not (store_dir(config.parent / "state") / "journal.sqlite").exists()  # listing creates nothing


def test_a_broken_config_exits_2(tmp_path: Path, capsys):
    bad = tmp_path / "config.yaml"
    bad.write_text("kiosk: [\n")
    assert main(["journal", "--config", str(bad)]) == 2
    assert main(["audit", "verify", "--config", str(bad)]) == 2


def _journal_json(capsys) -> str:
    assert main(["journal", "--json"]) == 0
    return capsys.readouterr().out


def test_a_spoiled_card_found_outside_a_job_is_recorded_and_counted_in_the_month(kiosk_state, config: Path,
                                                                                  capsys):
    month = json.loads(_journal_json(capsys))["jobs"][0]["created_at"][:7]
    for cause in ("damaged", "damaged", "data_changed", "failed_encode"):
        assert main(["audit", "spoiled", "--cause", cause, "--technician", "teknisi-demo"]) == 0
    assert "blanko counted: 36" in capsys.readouterr().out  # 40 after the reload, four spent
    with pytest.raises(SystemExit) as refused:  # not one of the four causes: argparse's usage error
        main(["audit", "spoiled", "--cause", "lost", "--technician", "teknisi-demo"])
    assert refused.value.code == 2
    assert main(["audit", "spoiled", "--cause", "damaged", "--technician", "Budi Santoso 3273"]) == 2
    capsys.readouterr()
    assert main(["audit", "report", "--month", month, "--csv"]) == 0
    captured = capsys.readouterr()
    rows = [r for r in csv.DictReader(io.StringIO(captured.out)) if r["kind"] == "card_spoiled"]
    assert [(r["cause"], r["technician"], r["printer"]) for r in rows] == [
        ("damaged", "teknisi-demo", "card_printer"), ("damaged", "teknisi-demo", "card_printer"),
        ("data_changed", "teknisi-demo", "card_printer"), ("failed_encode", "teknisi-demo", "card_printer")]
    assert "spoiled blanko by cause: failed_encode 1, damaged 2, failed_print 0, data_changed 1" in captured.err
    assert main(["audit", "verify"]) == 0  # still one intact, signed chain
