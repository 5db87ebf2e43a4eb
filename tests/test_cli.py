"""``adm-kiosk`` as an administrator runs it: exit codes and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.factories import adm_kiosk

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / "kiosk" / "demo" / "config.yaml"


def adm(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The entry point as a new process; ``adm_kiosk`` runs the same ``main`` in this one (for the config checks)."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_help_lists_the_subcommands():
    result = adm("--help")
    assert result.returncode == 0
    for name in ("check-config", "hash-pin", "version"):
        assert name in result.stdout


def test_version():
    result = adm("version")
    assert result.returncode == 0
    assert result.stdout.startswith("adm-kiosk ")


def test_no_subcommand_prints_help_and_exits_2():
    result = adm()
    assert result.returncode == 2
    assert "check-config" in result.stdout


def test_unknown_subcommand_exits_2_without_traceback():
    result = adm("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_demo_config_checks_ok_with_demo_and_says_it_is_not_for_production():
    result = adm("check-config", "--demo", str(DEMO_CONFIG))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr
    assert "warning: not for production (--demo): devices.card_printer.driver:" in result.stderr


def test_unknown_key_wrong_type_and_missing_field_are_all_named(tmp_path: Path):
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    data["kiosk"]["idle_warnig_s"] = 10
    data["central"]["read_timeout_s"] = "slow"
    del data["storage"]["state_dir"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    result = adm_kiosk("check-config", "--demo", str(path))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    text = "\n".join(errors)
    assert "kiosk.idle_warnig_s: unknown key (did you mean 'idle_warning_s'?)" in text
    assert "central.read_timeout_s:" in text
    assert "storage.state_dir: required key is missing" in text
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content,words",
    [(None, "no such file"), ("", "empty"), ("kiosk: [\n", "not valid YAML"), ("just text", "mapping")],
)
def test_unreadable_config_gives_one_line_and_exit_2(tmp_path: Path, content: str | None, words: str):
    path = tmp_path / "config.yaml"
    if content is not None:
        path.write_text(content)
    result = adm_kiosk("check-config", str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_show_masks_the_technician_hash():
    result = adm_kiosk("check-config", "--demo", "--show", str(DEMO_CONFIG))
    assert result.returncode == 0
    shown = yaml.safe_load(result.stdout)
    assert shown["technician"]["technicians"][0]["pin_hash"] == "***"
    assert "scrypt$" not in result.stdout
    assert shown["devices"]["card_printer"]["driver"] == "simulated"


def test_missing_certificate_files_are_warnings_not_errors(tmp_path: Path):
    (tmp_path / "config.yaml").write_text(DEMO_CONFIG.read_text())
    result = adm_kiosk("check-config", "--demo", str(tmp_path / "config.yaml"))
    assert result.returncode == 0
    assert "warning: central.ca_file: file not found" in result.stderr


def test_hash_pin_makes_a_hash_that_verifies_and_the_config_accepts():
    from kiosk.pinhash import verify_pin

    result = adm("hash-pin", stdin="135790\n")
    assert result.returncode == 0
    digest = result.stdout.strip()
    assert verify_pin("135790", digest)
    assert not verify_pin("135791", digest)
    assert "135790" not in digest


@pytest.mark.parametrize("pin", ["98", "abcd", "9876543210987"])
def test_hash_pin_refuses_a_bad_pin(pin: str):
    result = adm("hash-pin", stdin=pin + "\n")
    assert result.returncode == 2
    assert pin not in result.stderr


def test_adm_central_reports_the_version_adm_kiosk_does():
    kiosk = adm("--version")
    central = subprocess.run([sys.executable, "-m", "central.cli", "--version"], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert kiosk.returncode == central.returncode == 0, central.stderr
    assert kiosk.stdout.split() == ["adm-kiosk", kiosk.stdout.split()[1]]
    assert central.stdout.split() == ["adm-central", kiosk.stdout.split()[1]]


#: What bash does on TAB, with the code ``COMMAND completion bash`` prints: $1 the command, $2 the line so far.
_TAB = r"""
source <("$1" completion bash)
COMP_LINE=$2 COMP_POINT=${#2} COMP_TYPE=9
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_python_argcomplete "$1"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.mark.parametrize("line,offered", [
    ("adm-kiosk jou", {"journal"}),
    ("adm-kiosk diagnose --", {"--config", "--json", "--no-central", "--verbose", "--log-level", "--log-format"}),
    ("adm-kiosk journal resolve x printed --log-format ", {"json", "text"}),
    ("adm-kiosk run --", {"--config", "--demo", "--verbose", "--log-level", "--log-format"}),
    ("adm-kiosk completion ", {"bash", "zsh", "fish"}),
    ("adm-central se", {"seed", "serve"}),
    ("adm-central --ver", {"--version"}),
])
def test_tab_completes_commands_options_and_choices(line: str, offered: set[str]):
    command = Path(sys.executable).parent / line.split()[0]  # the installed command, as a shell finds it
    result = subprocess.run(["bash", "-c", _TAB, "bash", str(command), line], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert {word.strip() for word in result.stdout.splitlines()} >= offered
