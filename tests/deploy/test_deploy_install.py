"""deploy/install.sh into a temporary root: files, modes, owners, upgrades, a bad config, rollback, uninstall.

A dry run (--prefix) writes every file and mode and records what it would do to the system (users,
owners, apt, systemctl, udevadm) in adm-kiosk-install.plan. The release's virtualenv is this checkout's
.venv (--use-venv), so config checks run the real `adm-kiosk check-config`.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install.sh"
VENV = ROOT / ".venv"
AS_ROOT = os.geteuid() == 0


def run_install(root: Path, *args: str, user: str | None = None, venv: bool = True) -> subprocess.CompletedProcess:
    command = ["bash", str(SCRIPT), "--prefix", str(root), *(["--use-venv", str(VENV)] if venv else []), *args]
    if AS_ROOT and user is None:
        command += ["--user", "nobody", "--group", "nogroup"]  # real accounts, so owners can be checked
    if user is not None:
        command = [
            "setpriv",
            f"--reuid={user}",
            f"--regid={user if user != 'nobody' else 'nogroup'}",
            "--clear-groups",
            *command,
        ]
    env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def installed(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_install(root, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def plan(root: Path) -> list[str]:
    return (root / "adm-kiosk-install.plan").read_text().splitlines()


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path's type, mode, owner, link target and content digest (not the plan or the lock)."""
    seen = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if relative in ("adm-kiosk-install.plan", "run/adm-kiosk-install.lock"):
            continue
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
        target = os.readlink(path) if path.is_symlink() else ""
        seen[relative] = (stat.S_IFMT(info.st_mode), mode(path), info.st_uid, info.st_gid, target, digest)
    return seen


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


def test_a_fresh_install_lays_out_files_and_modes(root: Path):
    installed(root)
    config = root / "etc/adm-kiosk/config.yaml"
    assert mode(config) == 0o640
    assert mode(root / "etc/adm-kiosk") == 0o750
    assert mode(root / "var/lib/adm-kiosk") == 0o750
    assert mode(root / "var/log/adm-kiosk") == 0o750
    assert (root / "media/adm-kiosk-usb").is_dir()  # ReadWritePaths= of the unit
    for path in (
        "etc/systemd/system/adm-kiosk.service",
        "etc/udev/rules.d/70-adm-kiosk.rules",
        "etc/modules-load.d/adm-kiosk.conf",
        "etc/systemd/logind.conf.d/adm-kiosk.conf",
        "etc/sysctl.d/60-adm-kiosk.conf",
    ):
        assert mode(root / path) == 0o644, path
    assert (root / "etc/systemd/system/adm-kiosk.service").read_text() == (ROOT / "kiosk.service").read_text()
    assert (root / "etc/udev/rules.d/70-adm-kiosk.rules").read_bytes() == (
        ROOT / "deploy/70-adm-kiosk.rules"
    ).read_bytes()
    # The unit runs /opt/adm-kiosk/current/venv/bin/adm-kiosk: it must resolve inside the root.
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/0.1.0"
    assert os.access(root / "opt/adm-kiosk/current/venv/bin/adm-kiosk", os.X_OK)
    # The shipped example, with its state where systemd's StateDirectory= puts it.
    assert yaml.safe_load(config.read_text())["storage"]["state_dir"] == "/var/lib/adm-kiosk"
    steps = plan(root)
    assert any(s.startswith("useradd --system --gid adm-kiosk") and s.endswith(" adm-kiosk") for s in steps)
    assert "chown root:adm-kiosk /etc/adm-kiosk/config.yaml" in steps
    assert "chown adm-kiosk:adm-kiosk /var/lib/adm-kiosk" in steps
    assert "systemctl enable seatd.service adm-kiosk.service" in steps
    assert "udevadm control --reload" in steps
    assert "systemctl restart adm-kiosk.service" in steps
    assert not (root / "etc/adm-kiosk/.config.yaml.new").exists()


@pytest.mark.skipif(not AS_ROOT, reason="owners can only be set by root; the plan records them instead")
def test_owners_when_run_as_root(root: Path):
    installed(root)  # with --user nobody --group nogroup standing in for adm-kiosk
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    config = (root / "etc/adm-kiosk/config.yaml").stat()
    assert (config.st_uid, config.st_gid) == (0, gid)  # root:adm-kiosk: the kiosk reads, cannot write
    for directory in ("var/lib/adm-kiosk", "var/log/adm-kiosk", "var/cache/adm-kiosk"):
        info = (root / directory).stat()
        assert (info.st_uid, info.st_gid) == (uid, gid), directory
    for path in ("etc/systemd/system/adm-kiosk.service", "etc/udev/rules.d/70-adm-kiosk.rules", "opt/adm-kiosk"):
        assert (root / path).stat().st_uid == 0, path


def test_running_it_again_changes_nothing(root: Path):
    installed(root)
    before = snapshot(root)
    again = installed(root)
    assert "nothing changed" in again.stdout
    assert snapshot(root) == before
    assert "systemctl restart adm-kiosk.service" not in plan(root)


def test_an_upgrade_keeps_the_config_and_can_be_rolled_back(root: Path):
    installed(root, "--release", "1.0")
    config = root / "etc/adm-kiosk/config.yaml"
    edited = config.read_text().replace("location:", "location: Kantor Kecamatan Coblong  #", 1)
    config.write_text(edited)
    state = root / "var/lib/adm-kiosk/journal.sqlite"
    state.write_bytes(b"print journal")

    upgrade = installed(root, "--release", "1.1")
    assert config.read_text() == edited
    assert state.read_bytes() == b"print journal"
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.1"
    assert os.readlink(root / "opt/adm-kiosk/previous") == "releases/1.0"
    assert "systemctl restart adm-kiosk.service" in plan(root), upgrade.stdout

    rollback = installed(root, "--rollback")
    assert "rolled back to 1.0" in rollback.stdout
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.0"
    assert os.readlink(root / "opt/adm-kiosk/previous") == "releases/1.1"
    assert plan(root) == ["systemctl restart adm-kiosk.service"]


def test_a_bad_config_keeps_the_old_release_running(root: Path, tmp_path: Path):
    installed(root, "--release", "1.0")
    config = root / "etc/adm-kiosk/config.yaml"
    good = config.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.replace("idle_warning_s", "idel_warning_s", 1))

    result = run_install(root, "--release", "1.1", "--config", str(bad))
    assert result.returncode == 3
    assert "kiosk.idel_warning_s: unknown key (did you mean 'idle_warning_s'?)" in result.stderr
    assert "release 1.0 keeps running" in result.stderr
    assert config.read_text() == good
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.0"
    assert not any(step.startswith("systemctl") for step in plan(root))
    assert not (root / "etc/adm-kiosk/.config.yaml.new").exists()

    # Fixed, the same upgrade goes through and installs the new file.
    bad.write_text(good.replace("location:", "location: Mal Pelayanan Publik  #", 1))
    installed(root, "--release", "1.1", "--config", str(bad))
    assert "Mal Pelayanan Publik" in config.read_text()
    assert mode(config) == 0o640
    assert list((root / "etc/adm-kiosk").glob("config.yaml.*.bak"))  # the old one is kept beside it
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.1"


def test_uninstall_keeps_journal_and_audit_data_unless_purged(root: Path):
    installed(root)
    (root / "var/lib/adm-kiosk/audit.log").write_text("hash-chained audit entries")
    result = installed(root, "--uninstall")
    assert not (root / "opt/adm-kiosk").exists()
    assert not (root / "etc/systemd/system/adm-kiosk.service").exists()
    assert not (root / "etc/udev/rules.d/70-adm-kiosk.rules").exists()
    assert (root / "var/lib/adm-kiosk/audit.log").read_text() == "hash-chained audit entries"
    assert (root / "etc/adm-kiosk/config.yaml").exists()
    assert "systemctl disable --now adm-kiosk.service" in plan(root)
    assert "userdel adm-kiosk" not in plan(root)
    assert "--purge" in result.stdout

    installed(root, "--uninstall", "--purge")
    assert not (root / "var/lib/adm-kiosk").exists()
    assert not (root / "etc/adm-kiosk").exists()
    assert "userdel adm-kiosk" in plan(root)


@pytest.mark.skipif(not AS_ROOT or shutil.which("setpriv") is None, reason="needs root to become another user")
def test_a_dry_run_needs_no_root_and_a_real_install_does():
    # pytest's tmp_path is private to root; nobody needs a directory of its own.
    home = Path(tempfile.mkdtemp(prefix="adm-kiosk-install-"))
    try:
        shutil.chown(home, "nobody", "nogroup")
        # No --use-venv (this checkout's .venv may sit under root's home): building the release and
        # checking the config are then recorded too.
        result = run_install(home / "root", user="nobody", venv=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert mode(home / "root/etc/adm-kiosk/config.yaml") == 0o640
        assert (home / "root/etc/adm-kiosk/config.yaml").stat().st_uid == pwd.getpwnam("nobody").pw_uid
        steps = plan(home / "root")
        assert "chown root:adm-kiosk /etc/adm-kiosk/config.yaml" in steps
        assert "python3 -m venv /opt/adm-kiosk/releases/0.1.0/venv" in steps
        assert "/opt/adm-kiosk/releases/0.1.0/venv/bin/adm-kiosk check-config /etc/adm-kiosk/.config.yaml.new" in steps
    finally:
        shutil.rmtree(home)

    real = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "bash", str(SCRIPT), "--no-apt"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DESTDIR"},
    )
    assert real.returncode == 2
    assert "run as root" in real.stderr


def test_usage_errors_exit_2(tmp_path: Path):
    for args in (["--bogus"], ["--prefix", str(tmp_path / "r"), "--purge"], ["--prefix", "/"]):
        result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
