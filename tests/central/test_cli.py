"""``adm-central`` seed and outbox from the command line."""

from __future__ import annotations

import json

from central.cli import main
from kiosk.nik import parse_nik


def test_seed_prints_a_world_and_refuses_to_overwrite_it(tmp_path, capsys):
    data = tmp_path / "demo"
    assert main(["seed", "--data", str(data)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert json.loads((data / "seed-summary.json").read_text()) == summary
    for name in ("ca.pem", "server.pem", "server.key", "kiosk.pem", "kiosk.key", "signing.pub", "central.db"):
        assert (data / name).is_file(), name
    assert (data / "kiosk.key").stat().st_mode & 0o077 == 0
    niks = [parse_nik(r["nik"]) for r in summary["residents"]]  # every NIK well-formed
    assert len(niks) >= 3 and any(n.female for n in niks)
    roles = {r["role"]: r for r in summary["residents"]}
    assert roles["waiting"]["submission"] and roles["waiting"]["pin"] is None
    assert all(len(r["pin"]) == 6 and r["pin"].isdigit() for r in summary["residents"] if r["role"] != "waiting")
    assert summary["verify_codes"]["superseded"] and summary["queue_bookings"]

    assert main(["seed", "--data", str(data)]) == 1
    assert "--force" in capsys.readouterr().err

    assert main(["outbox", "--data", str(data), "--json"]) == 0
    sent = json.loads(capsys.readouterr().out)
    # A resident without a phone: the PIN notice went to the officer who filed the request (issue 19).
    officers = {o["id"]: o["whatsapp"] for o in summary["officers"]}
    assert {m["number"] for m in sent} == {r["whatsapp"] or officers[r["filed_by"]]
                                           for r in summary["residents"] if r["pin"]}


def test_commands_on_a_missing_world_say_what_to_do(tmp_path, capsys):
    assert main(["verify", "--data", str(tmp_path), "SUB-1"]) == 1
    assert "adm-central seed" in capsys.readouterr().err


def test_openapi_check_passes_on_the_committed_file():
    assert main(["openapi", "--check"]) == 0
