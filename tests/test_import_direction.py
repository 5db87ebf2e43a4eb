"""Imports point one way: devices <- printjobs <- kiosk <- kiosk.ui; only kiosk.ui imports Kivy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_packages_exist():
    for package in ("kiosk", "devices", "printjobs", "central"):
        assert sources(package), package


@pytest.mark.parametrize("package,forbidden", [("devices", {"kiosk", "printjobs"}), ("printjobs", {"kiosk"})])
def test_lower_layers_do_not_import_upper_ones(package: str, forbidden: set[str]):
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(package)
        for name in imported_modules(path)
        if top(name) in forbidden
    ]
    assert offenders == []


def test_only_kiosk_ui_imports_kivy():
    offenders = []
    for package in ("kiosk", "devices", "printjobs", "central"):
        for path in sources(package):
            relative = path.relative_to(ROOT)
            if relative.parts[:2] == ("kiosk", "ui"):
                continue
            offenders += [f"{relative} imports {n}" for n in imported_modules(path) if top(n) == "kivy"]
    assert offenders == []


def test_central_contract_needs_neither_fastapi_nor_kivy():
    path = ROOT / "central" / "contract.py"
    if not path.exists():
        pytest.skip("central/contract.py not written yet")
    assert not {top(n) for n in imported_modules(path)} & {"fastapi", "kivy", "uvicorn", "starlette", "kiosk"}


def test_the_checker_sees_a_violation(tmp_path: Path):
    # The test above must be able to fail: feed it a module that breaks the rule.
    bad = tmp_path / "bad.py"
    bad.write_text("from kiosk.config import Config\nimport kivy.app\n")
    assert {top(n) for n in imported_modules(bad)} == {"kiosk", "kivy"}
