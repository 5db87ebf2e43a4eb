"""The release as an administrator gets it: the built wheel, installed into a fresh virtualenv outside the tree.

Everything the kiosk reads at run time is package data (catalogs, .kv files, the demo's config, the
contract), so the installed kiosk speaks Indonesian from any directory; the build is free of warnings;
a production kiosk's dependencies hold no web server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("kiosk", "devices", "printjobs", "central")


def shipped_in_tree() -> set[str]:
    """Every file of the tree that the kiosk or the reference server reads or imports at run time."""
    names = {str(p.relative_to(ROOT)) for top in SOURCES for p in (ROOT / top).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.name != "README.md"}
    names |= {"kiosk/" + str(p.relative_to(ROOT)) for p in (ROOT / "assets").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    return names


def test_the_wheel_holds_every_module_catalog_kv_file_and_the_demo_config(built_wheel):
    wheel, _log = built_wheel
    with zipfile.ZipFile(wheel) as archive:
        inside = {n for n in archive.namelist() if ".dist-info/" not in n}
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        licenses = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    missing = shipped_in_tree() - inside
    assert not missing, sorted(missing)
    assert "kiosk/assets/locale/id/LC_MESSAGES/adm-kiosk.po" in inside
    assert "kiosk/demo/config.yaml" in inside
    assert "config.yaml" not in inside  # the production example is install.sh's, not the package's
    assert "License-Expression: Apache-2.0" in metadata and licenses


def test_the_build_gives_no_warnings(built_wheel):
    _wheel, log = built_wheel
    warnings = [line for line in log.splitlines() if re.search(r"[a-z]Warning\b|^\s*warning:", line)]
    assert warnings == []


def test_a_production_install_needs_no_web_server(built_wheel):
    wheel, _log = built_wheel
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    central = [r for r in requires if "extra == \"central\"" in r]
    for server_only in ("fastapi", "uvicorn", "segno"):
        assert not any(r.lower().startswith(server_only) for r in core), core
        assert any(r.lower().startswith(server_only) for r in central), central
    lock = (ROOT / "deploy" / "requirements.lock").read_text()
    assert not re.search(r"^(fastapi|uvicorn|segno)==", lock, re.MULTILINE)
    assert re.search(r"^pycups==.*\n\s+--hash=sha256:[0-9a-f]{64}", lock, re.MULTILINE)


@pytest.mark.heavy
def test_the_installed_wheel_runs_the_demo_in_indonesian_from_an_empty_directory(wheel_venv: Path, tmp_path: Path):
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items()
           if k not in ("SDL_VIDEODRIVER", "KIVY_WINDOW", "DISPLAY", "PYTHONPATH", "ADM_KIOSK_CONFIG")}
    python = str(wheel_venv / "bin" / "python")
    probe = subprocess.run(
        [python, "-c", "import kiosk; from kiosk.i18n import Translator; "
                       "print(kiosk.__file__); print(Translator('id')('attract.start')); "
                       "print(Translator('en')('attract.start'))"],
        capture_output=True, text=True, timeout=60, cwd=elsewhere, env=env,
    )
    assert probe.returncode == 0, probe.stderr
    location, indonesian, english = probe.stdout.splitlines()
    assert Path(location).is_relative_to(wheel_venv)  # the installed copy, not this tree
    assert indonesian == "Sentuh di sini untuk mulai"
    assert english != "attract.start" and english != indonesian

    result = subprocess.run([str(wheel_venv / "bin" / "adm-kiosk"), "demo", "--headless", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, cwd=elsewhere, env=env)
    report_file = out / "screens" / "report.json"
    assert result.returncode == 0, (result.stderr[-3000:], report_file.read_text() if report_file.exists() else "")
    report = json.loads(report_file.read_text())
    assert len(report["screens"]) > 20
    for entry in report["screens"]:
        assert (out / "screens" / entry["file"]).stat().st_size > 0, entry["file"]
    assert "id" in {entry["language"] for entry in report["screens"]}
    events = [json.loads(line) for line in (out / "demo.log").read_text().splitlines() if line.startswith("{")]
    untranslated = [e for e in events if str(e.get("event", e.get("message", ""))).startswith("i18n.")]
    assert untranslated == []
    assert list(elsewhere.iterdir()) == []  # nothing written where it was started


def test_the_demo_says_which_extra_it_needs_when_the_reference_server_is_missing(tmp_path: Path):
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def no_fastapi(name, *a, **k):\n"
        "    if name.split('.')[0] == 'fastapi':\n"
        "        raise ModuleNotFoundError(\"No module named 'fastapi'\", name='fastapi')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = no_fastapi\n"
        "from kiosk.cli import main\n"
        "sys.exit(main(['demo', '--headless', '--out', sys.argv[1]]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 1
    assert "pip install 'adm-kiosk[central]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_lock_pins_every_production_dependency_with_hashes():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # With the extras install.sh adds (an evdev barcode reader; a pcsc card reader or libfprint fingerprint
    # reader): an offline wheelhouse, built from this lock, must have them.
    shipped = [*project["dependencies"], *(d for extra in ("evdev", "cardlogin")
                                           for d in project["optional-dependencies"][extra])]
    wanted = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-") for d in shipped}
    lock = (ROOT / "deploy" / "requirements.lock").read_text()
    pinned = {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9._-]+)==\S+ \\$", lock, re.M)}
    assert wanted <= pinned, f"not in deploy/requirements.lock (run ./dev lock): {sorted(wanted - pinned)}"
    assert lock.count("==") == len(pinned) and len(re.findall(r"--hash=sha256:", lock)) >= len(pinned)
