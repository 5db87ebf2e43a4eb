"""Which config ``adm-kiosk run`` starts on when the operator pushed one (kept in the state directory):
the pushed one, the one before it after a start that never reached READY, and /etc's file whenever this
release cannot use the pushed file. /etc's file is never written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kiosk import config_push
from kiosk.commands.run import choose_config
from kiosk.config_push import PushFiles
from kiosk.demo import demo_config_text
from tests.factories import seeded


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("world")
    seeded(path, kiosk_id="ADM-DEMO-01")
    return path


@pytest.fixture
def base(tmp_path: Path, world: Path) -> Path:
    """The demo's config as /etc's file, its certificates beside it, its state directory elsewhere."""
    etc = tmp_path / "etc"
    shutil.copytree(world, etc / "demo-data")
    data = yaml.safe_load(demo_config_text())
    data["storage"] = {"state_dir": str(tmp_path / "state")}
    path = etc / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def push(base: Path, change, seq: int = 1) -> Path:
    data = yaml.safe_load(base.read_text())
    change(data)
    root = Path(data["storage"]["state_dir"])
    assert config_push.stage(root, base, yaml.safe_dump(data), f"CMD-{seq}", seq, demo=True) is None
    return root


def test_without_a_push_the_kiosk_runs_on_etcs_file(base):
    config, path, problems, root = choose_config(base, demo=True)
    assert (path, problems, root) == (base, [], base.parent.parent / "state")


def test_a_pushed_config_runs_with_its_paths_read_as_etcs_file_would(base):
    before = base.read_bytes()
    root = push(base, lambda d: d["kiosk"].update(idle_warning_s=90))
    config, path, problems, _ = choose_config(base, demo=True)
    assert path == PushFiles(root).pushed and problems == []
    assert config.kiosk.idle_warning_s == 90
    assert config.central.ca_file == base.parent / "demo-data" / "ca.pem"  # not under the state directory
    assert base.read_bytes() == before and sorted(p.name for p in base.parent.iterdir()) == ["config.yaml",
                                                                                              "demo-data"]


def test_a_pushed_config_that_cannot_be_used_goes_back_at_once(base):
    root = push(base, lambda d: d["central"].update(ca_file="demo-data/nowhere.pem"))  # valid, but no such file
    config, path, problems, _ = choose_config(base, demo=True)
    assert (path, problems) == (base, [])
    assert not PushFiles(root).pushed.exists()
    ack, _kind = config_push.take_outcome(root)
    assert ack.outcome.value == "failed"


def test_a_pushed_config_this_release_refuses_later_falls_back_to_etcs_file(base, capsys):
    root = push(base, lambda d: d["kiosk"].update(idle_warning_s=90))
    config_push.begin_start(root)
    config_push.reached_ready(root)  # applied, then an upgrade that no longer takes it:
    pushed = PushFiles(root).pushed
    pushed.write_text(pushed.read_text().replace("idle_warning_s:", "idel_warning_s:"), encoding="utf-8")
    config, path, problems, _ = choose_config(base, demo=True)
    assert (path, problems) == (base, [])
    assert "cannot be used; running on" in capsys.readouterr().err
    assert pushed.exists()  # kept for the operator to see; the next push replaces it


def test_check_config_pushed_checks_the_pushed_file_with_etcs_paths(base):
    """What install.sh asks the new release before it switches: does it take the config the operator pushed?"""
    from tests.factories import adm_kiosk

    none = adm_kiosk("check-config", "--demo", "--pushed", str(base))
    assert none.returncode == 0 and "no config pushed by the operator" in none.stderr
    root = push(base, lambda d: d["kiosk"].update(idle_warning_s=90))
    taken = adm_kiosk("check-config", "--demo", "--pushed", str(base))
    assert taken.returncode == 0, taken.stderr
    assert f"{PushFiles(root).pushed}: OK" in taken.stderr  # its certificates found beside /etc's file
    pushed = PushFiles(root).pushed
    pushed.write_text(pushed.read_text().replace("idle_warning_s:", "idel_warning_s:"), encoding="utf-8")
    refused = adm_kiosk("check-config", "--demo", "--pushed", str(base))
    assert refused.returncode == 2
    assert "kiosk.idel_warning_s: unknown key" in refused.stderr and str(pushed) in refused.stderr
