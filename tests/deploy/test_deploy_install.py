"""deploy/install.sh into a temporary root: files, modes, owners, upgrades, a bad config, rollback, uninstall.

A dry run (--prefix) writes every file and mode and records what it would do to the system (users,
owners, apt, systemctl, udevadm) in adm-kiosk-install.plan. The release's virtualenv is a fresh one with
this tree's built wheel installed (--use-venv; the `wheel_venv` fixture), so config checks run the real
`adm-kiosk check-config` of the release; one test builds the offline wheelhouse and lets install.sh build
the release from it, as on a kiosk without a network.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install.sh"
AS_ROOT = os.geteuid() == 0
PLACEHOLDER_URL = "https://central-service.invalid"
VENV = Path("/nonexistent")  # set by _release_venv


@pytest.fixture(autouse=True, scope="module")
def _release_venv(wheel_venv: Path):
    """Every release these tests install runs the built wheel, not the editable tree."""
    global VENV
    VENV = wheel_venv


def configure(root: Path) -> str:
    """What an administrator does after the first install: set the central URL. Returns the new text."""
    config = root / "etc/adm-kiosk/config.yaml"
    text = config.read_text().replace(PLACEHOLDER_URL, "https://adm.dukcapil.example.go.id")
    config.write_text(text)
    return text


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
    # Tab completion for a technician's shell, where bash-completion looks for it.
    completion = root / "usr/share/bash-completion/completions/adm-kiosk"
    assert mode(completion) == 0o644
    assert "complete -o nospace -o default -o bashdefault -F _python_argcomplete adm-kiosk" in completion.read_text()
    # The production example, with its state where systemd's StateDirectory= puts it.
    assert config.read_text() == (ROOT / "config.yaml").read_text()
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
    edited = configure(root).replace("location:", "location: Kantor Kecamatan Coblong  #", 1)
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
    good = configure(root)
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


def test_an_upgrade_says_when_the_new_release_refuses_the_config_the_operator_pushed(root: Path, tmp_path: Path):
    """The kiosk runs on a pushed config (fleet), not /etc's; a release that refuses it falls back to /etc's."""
    installed(root, "--release", "1.0")
    config = root / "etc/adm-kiosk/config.yaml"
    state = root / "var/lib/adm-kiosk"
    config.write_text(re.sub(r"^  state_dir: .*$", f"  state_dir: {state}", configure(root), flags=re.M))
    pushed = state / "config-push" / "config.yaml"
    pushed.parent.mkdir(parents=True)
    pushed.write_text(config.read_text().replace("idle_warning_s", "idel_warning_s", 1))

    result = installed(root, "--release", "1.1")
    assert "refuses the config the operator pushed" in result.stdout
    assert "kiosk.idel_warning_s: unknown key" in result.stderr and str(pushed) in result.stderr
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.1"  # switched: /etc's file is taken

    pushed.write_text(config.read_text())
    result = installed(root, "--release", "1.2")
    assert "refuses the config the operator pushed" not in result.stdout
    assert f"{pushed}: OK" in result.stderr


def test_uninstall_keeps_journal_and_audit_data_unless_purged(root: Path):
    installed(root)
    (root / "var/lib/adm-kiosk/audit.log").write_text("hash-chained audit entries")
    result = installed(root, "--uninstall")
    assert not (root / "opt/adm-kiosk").exists()
    assert not (root / "etc/systemd/system/adm-kiosk.service").exists()
    assert not (root / "etc/udev/rules.d/70-adm-kiosk.rules").exists()
    assert not (root / "usr/share/bash-completion/completions/adm-kiosk").exists()
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


def test_the_first_install_is_the_production_example_and_says_what_to_set(root: Path):
    result = installed(root)
    assert "error: central.url: is the example's placeholder" in result.stderr
    assert "/etc/adm-kiosk/config.yaml is the shipped example: set what check-config named above" in result.stdout
    config = yaml.safe_load((root / "etc/adm-kiosk/config.yaml").read_text())
    assert config["technician"]["technicians"] == []
    drivers = {config["devices"][name]["driver"] for name in ("document_printer", "card_printer")}
    assert drivers == {"cups"}
    # CUPS retries instead of stopping a queue on a fault, for the configured queues and those added later.
    steps = plan(root)
    assert "cupsctl ErrorPolicy=retry-job" in steps
    for name in ("document_printer", "card_printer"):
        assert f"lpadmin -p {config['devices'][name]['queue']} -o printer-error-policy=retry-job" in steps


def test_the_demo_config_is_refused_as_a_production_config(root: Path):
    installed(root, "--release", "1.0")
    configure(root)
    result = run_install(root, "--release", "1.1", "--config", str(ROOT / "kiosk" / "demo" / "config.yaml"))
    assert result.returncode == 3
    assert "technician.technicians.0.pin_hash: is the hash of a published demo PIN" in result.stderr
    assert "devices.card_printer.driver: 'simulated' is not a real device" in result.stderr
    assert "release 1.0 keeps running" in result.stderr
    assert os.readlink(root / "opt/adm-kiosk/current") == "releases/1.0"


RELEASE_FILES = ("pyproject.toml", "README.md", "LICENSE", "config.yaml", "kiosk.service", "deploy", "kiosk", "devices",
                 "printjobs", "central", "assets")


def test_a_changed_tree_under_an_unchanged_version_is_refused_not_skipped(root: Path, tmp_path: Path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in RELEASE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tree / name)

    def install_tree(*args: str) -> subprocess.CompletedProcess:
        # No --use-venv: the release is built from the tree (recorded in a dry run), as a source install is.
        env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
        return subprocess.run(["bash", str(tree / "deploy/install.sh"), "--prefix", str(root), "--no-apt", *args],
                              capture_output=True, text=True, timeout=120, env=env)

    assert install_tree().returncode == 0
    release = root / "opt/adm-kiosk/releases/0.1.0"
    built_from = (release / ".source").read_text()
    again = install_tree()
    assert again.returncode == 0 and "release 0.1.0 is already built" in again.stdout

    (tree / "kiosk" / "flow.py").write_text((tree / "kiosk" / "flow.py").read_text() + "\n# a fix\n")
    changed = install_tree()
    assert changed.returncode == 4, changed.stdout + changed.stderr
    assert "release 0.1.0 is already installed, built from different code" in changed.stderr
    assert "raise the version in pyproject.toml" in changed.stderr and "--force" in changed.stderr
    assert (release / ".source").read_text() == built_from
    assert "systemctl restart adm-kiosk.service" not in plan(root)

    forced = install_tree("--force")
    assert forced.returncode == 0, forced.stderr
    assert "built release 0.1.0" in forced.stdout
    assert (release / ".source").read_text() != built_from
    assert "systemctl restart adm-kiosk.service" in plan(root)


@pytest.mark.heavy
def test_an_offline_install_from_the_wheelhouse_builds_a_working_release(root: Path, tmp_path: Path):
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run(["bash", str(ROOT / "deploy" / "build-wheelhouse.sh"), str(wheelhouse)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = {p.name.split("-")[0].lower() for p in wheelhouse.glob("*.whl")}
    # the card login's libraries (built here: no wheels on PyPI) and the evdev reader's, for the extras
    assert {"adm_kiosk", "pycups", "kivy", "pydantic", "fpdf2", "pypdf", "pyscard", "pygobject", "evdev"} <= wheels
    assert not wheels & {"fastapi", "uvicorn", "segno"}

    # A kiosk with the KTP-el + finger login: its release gets the cardlogin extra, from the wheelhouse too.
    config = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text().replace("https://central-service.invalid", "https://adm-central.example.id")
    text = re.sub(r"^  card_reader: null", "  card_reader: {driver: pcsc}", text, flags=re.M)
    text = re.sub(r"^  fingerprint_reader: null", "  fingerprint_reader: {driver: libfprint}", text, flags=re.M)
    config.write_text(text)
    # Offline: no index at all, only the wheelhouse (pip's configured indexes and find-links are ignored).
    env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull)
    install = ["bash", str(SCRIPT), "--prefix", str(root), "--wheelhouse", str(wheelhouse), "--no-apt",
               "--config", str(config)]
    result = subprocess.run(install, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    release = root / "opt/adm-kiosk/current/venv"
    adm = release / "bin" / "adm-kiosk"
    check = subprocess.run([str(adm), "check-config", str(root / "etc/adm-kiosk/config.yaml")],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert check.returncode == 0, check.stderr  # the config given, checked by the release itself
    assert "driver: pcsc" in (root / "etc/adm-kiosk/config.yaml").read_text()
    probe = subprocess.run([str(release / "bin" / "python"), "-c",
                            "import importlib.util as u; from kiosk.i18n import Translator; "
                            "print(Translator('id')('attract.start'), u.find_spec('fastapi') is None, "
                            "u.find_spec('smartcard') is not None and u.find_spec('gi') is not None)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert probe.stdout.split()[-2:] == ["True", "True"] and probe.stdout.startswith("Sentuh di sini"), probe.stderr
    assert "with the cardlogin extra" in result.stdout

    # A wheelhouse that does not match its SHA256SUMS is refused before anything is built.
    (wheelhouse / "requirements.lock").write_text("tampered\n")
    tampered = subprocess.run([*install, "--release", "9.9"], capture_output=True, text=True, timeout=120, env=env)
    assert tampered.returncode == 1
    assert "does not match its SHA256SUMS" in tampered.stderr
    assert not (root / "opt/adm-kiosk/releases/9.9").exists()
