"""deploy/*.rules: udev's own checker where this systemd has one, and a strict syntax check everywhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy").glob("*.rules"))

# udev(7): match keys take == or !=; assignment keys take =, +=, -= or :=.
MATCH_KEYS = {
    "ACTION",
    "DEVPATH",
    "KERNEL",
    "KERNELS",
    "NAME",
    "SYMLINK",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "DRIVER",
    "DRIVERS",
    "ATTR",
    "ATTRS",
    "SYSCTL",
    "ENV",
    "CONST",
    "TAG",
    "TAGS",
    "TEST",
    "PROGRAM",
    "RESULT",
}
ASSIGN_KEYS = {
    "NAME",
    "SYMLINK",
    "OWNER",
    "GROUP",
    "MODE",
    "SECLABEL",
    "ATTR",
    "SYSCTL",
    "ENV",
    "TAG",
    "RUN",
    "LABEL",
    "GOTO",
    "IMPORT",
    "OPTIONS",
}
TOKEN = re.compile(r'\s*(?P<key>[A-Z_]+)(?:\{(?P<attr>[^}]+)\})?\s*(?P<op>==|!=|\+=|-=|:=|=)\s*"(?P<value>[^"]*)"\s*')


def rule_problems(text: str) -> list[str]:
    """Every line udev would reject or misread, as 'line N: why'."""
    problems: list[str] = []
    labels: set[str] = set()
    gotos: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            problems.append(f"line {number}: continuation lines are not used here")
            continue
        position, has_match = 0, False
        for part in line.split(","):
            token = TOKEN.fullmatch(part)
            if not token:
                problems.append(f"line {number}: cannot parse {part.strip()!r}")
                break
            key, op, value = token["key"], token["op"], token["value"]
            if op in ("==", "!="):
                has_match = True
                if key not in MATCH_KEYS:
                    problems.append(f"line {number}: {key} is not a match key")
            elif key not in ASSIGN_KEYS:
                problems.append(f"line {number}: {key} cannot be assigned")
            if key in ("ATTR", "ATTRS", "ENV") and not token["attr"]:
                problems.append(f"line {number}: {key} needs {{name}}")
            if key == "MODE" and not re.fullmatch(r"0[0-7]{3}", value):
                problems.append(f"line {number}: MODE {value!r} is not octal")
            if key == "LABEL":
                labels.add(value)
            if key == "GOTO":
                gotos.append((number, value))
            position += 1
        if position and not has_match and "LABEL" not in line:
            problems.append(f"line {number}: a rule without a match applies to every device")
    problems += [f"line {n}: GOTO {target!r} has no LABEL" for n, target in gotos if target not in labels]
    return problems


def test_there_are_rules():
    assert RULES


@pytest.mark.parametrize("rules", RULES, ids=lambda p: p.name)
def test_udevadm_verify(rules: Path):
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("udevadm is not installed")
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        version = subprocess.run([udevadm, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        pytest.skip(f"udevadm verify needs systemd 254 or newer; this is {version} (the syntax test still runs)")
    result = subprocess.run([udevadm, "verify", str(rules)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("rules", RULES, ids=lambda p: p.name)
def test_rules_parse(rules: Path):
    assert rule_problems(rules.read_text()) == []


def test_the_syntax_check_catches_mistakes():
    assert rule_problems('SUBSYSTEM="tty", GROUP="adm-kiosk"\n')  # = where == was meant: matches nothing
    assert rule_problems('KERNEL=="ttyACM*", MODE="660"\n')
    assert rule_problems("KERNEL=='ttyACM*', GROUP='adm-kiosk'\n")
    assert rule_problems('ATTRS=="0c2e", GROUP="adm-kiosk"\n')
    assert rule_problems('ACTION=="remove", GOTO="nowhere"\n')
    assert rule_problems('GROUP="adm-kiosk", MODE="0660"\n')


def test_every_device_class_goes_to_the_kiosk_group_and_no_further():
    text = "\n".join(path.read_text() for path in RULES)
    covered = {
        "USB printer class": 'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*"',
        "card printer probe (raw USB)": 'ENV{DEVTYPE}=="usb_device"',
        "serial readers (CDC-ACM)": 'KERNEL=="ttyACM[0-9]*"',
        "serial readers (USB-serial)": 'KERNEL=="ttyUSB[0-9]*"',
        "HID barcode readers": 'SUBSYSTEM=="input"',
        "fingerprint readers (raw USB, vendor-specific interface)": 'ENV{ID_USB_INTERFACES}=="*:ff????:*"',
    }
    assert [name for name, needle in covered.items() if needle not in text] == []
    for line in text.splitlines():
        if "GROUP=" in line:
            assert 'GROUP="adm-kiosk"' in line and 'MODE="0660"' in line, line
        assert 'MODE="0666"' not in line and "uaccess" not in line, line


def test_fingerprint_readers_libfprint_knows_are_given_to_the_kiosk_by_vendor():
    """Every vendor of a rule's fingerprint lines is one libfprint's own hwdb lists (where it is installed)."""
    hwdb = Path("/lib/udev/hwdb.d/60-autosuspend-libfprint-2.hwdb")
    text = (ROOT / "deploy" / "70-adm-kiosk.rules").read_text()
    vendors = set(re.findall(r'ATTR\{idVendor\}=="([0-9a-f]{4})", ENV\{ID_USB_INTERFACES\}=="\*:ff', text))
    assert {"27c6", "04f3", "08ff", "06cb", "138a"} <= vendors  # Goodix, Elan, AuthenTec, Synaptics, Validity
    if not hwdb.exists():
        pytest.skip("libfprint's hwdb is not installed here")
    known = {v.lower() for v in re.findall(r"^usb:v([0-9A-F]{4})p", hwdb.read_text(), re.M)}
    assert vendors <= known
