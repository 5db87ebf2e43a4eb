"""Imports point one way: devices <- printjobs <- kiosk <- kiosk.ui, with no cycles.

- Only ``kiosk.ui`` imports Kivy; core reaches the UI through one module, the composition root
  (``kiosk/assembly.py``), which builds everything and hands the UI what it needs: the UI builds and
  starts nothing (no runtime, devices, central client, print store, metrics or sd_notify).
- The demo (``kiosk/demo/``: its script, its touch robot, its config) may drive the UI; nothing in core or
  in ``kiosk.ui`` imports the demo, except the ``adm-kiosk demo`` command that starts it.
- No import cycle among the project's modules, imports inside functions included.
- The production code path (everything but the demo, bench and tests) uses no Kivy test helper and no
  private Kivy name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Every package of the repository whose modules import each other (the shipped ones, bench and tests).
PACKAGES = ("kiosk", "devices", "printjobs", "central", "bench", "tests")
SHIPPED = ("kiosk", "devices", "printjobs", "central")
#: The one module outside kiosk.ui that imports it: it assembles the running kiosk and starts the UI.
COMPOSITION_ROOT = "kiosk.assembly"
#: The one module outside the demo that imports it: ``adm-kiosk demo``.
DEMO_COMMAND = "kiosk.commands.demo"


def imported_modules(path: Path, name: str | None = None) -> set[str]:
    """Absolute names of what ``path`` (the module ``name``) imports; for ``from a import b`` both ``a`` and
    ``a.b``."""
    return {imported for imported, _node in _imports(path, name)}


def _imports(path: Path, name: str | None = None) -> Iterable[tuple[str, ast.AST]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    name = name or (module_name(path) if path.is_relative_to(ROOT) else path.stem)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base:
                yield base, node
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}" if base else alias.name, node


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if ".venv" not in p.parts)


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def project_modules(packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    return {module_name(path): path for package in packages for path in sources(package)}


def module_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (the most specific one each import names)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_modules(path):
            parts = imported.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                targets.add(".".join(parts))
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, as the path of imports: a -> b -> ... -> a."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
            if child not in parents:
                parents[child] = node
                queue.append(child)
    return component


def cycles(graph: dict[str, set[str]]) -> list[str]:
    return [" -> ".join(cycle_path(graph, component)) for component in strongly_connected(graph)]


def private_kivy_uses(path: Path) -> list[str]:
    """Kivy test helpers and private Kivy names used by ``path``.

    A private name is a ``kivy`` module or imported name with a leading underscore, or, in a module that uses
    Kivy, an underscore attribute of an object other than ``self``/``cls`` (``app._run_prepare()``): Kivy's
    internals, which change between releases without notice."""
    found = []
    uses_kivy = False
    for name, node in _imports(path):
        if top(name) != "kivy":
            continue
        uses_kivy = True
        if within(name, "kivy.tests") or any(part.startswith("_") for part in name.split(".")):
            found.append(f"line {node.lineno}: {name}")
    if uses_kivy:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"line {node.lineno}: .{node.attr}")
    return sorted(set(found))


# ----- the rules


def test_the_packages_exist():
    for package in PACKAGES:
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


def test_the_lower_layers_take_only_the_shared_vocabulary_from_central():
    """devices and printjobs know nothing of the service but its words (``central.vocabulary``: the media, the
    PIN's length...), which are plain Python: no pydantic models, no server."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for package in ("devices", "printjobs")
        for path in sources(package)
        for name in imported_modules(path)
        if top(name) == "central" and not within(name, "central.vocabulary")
    ]
    assert offenders == []


def test_only_kiosk_ui_imports_kivy():
    offenders = []
    for name, path in project_modules(SHIPPED).items():
        if within(name, "kiosk.ui") or within(name, "kiosk.demo"):
            continue
        offenders += [f"{name} imports {n}" for n in imported_modules(path) if top(n) == "kivy"]
    assert offenders == []


def test_core_reaches_the_ui_only_through_the_composition_root():
    offenders = []
    for name, path in project_modules(SHIPPED).items():
        if within(name, "kiosk.ui") or within(name, "kiosk.demo") or name == COMPOSITION_ROOT:
            continue
        offenders += [f"{name} imports {n}" for n in imported_modules(path) if within(n, "kiosk.ui")]
    assert offenders == []


#: What only the composition root builds: the UI is handed what it needs from these, never imports them.
WIRING = ("kiosk.assembly", "kiosk.runtime", "kiosk.hardware", "kiosk.central_client", "kiosk.metrics",
          "kiosk.sdnotify", "kiosk.effects", "printjobs.store", "printjobs.pipeline")


def test_the_ui_does_no_wiring():
    offenders = []
    for name, path in project_modules(("kiosk",)).items():
        if within(name, "kiosk.ui"):
            offenders += [f"{name} imports {n}" for n in imported_modules(path)
                          if any(within(n, wired) for wired in WIRING)]
    assert offenders == []


def test_nothing_but_the_demo_command_imports_the_demo():
    offenders = []
    for name, path in project_modules(SHIPPED).items():
        if within(name, "kiosk.demo") or name == DEMO_COMMAND:
            continue
        offenders += [f"{name} imports {n}" for n in imported_modules(path) if within(n, "kiosk.demo")]
    assert offenders == []


def test_no_import_cycles():
    assert cycles(module_graph(project_modules())) == []


def test_the_production_code_path_uses_no_kivy_test_helper_or_private_name():
    offenders = []
    for name, path in project_modules(SHIPPED).items():
        if within(name, "kiosk.demo"):
            continue
        offenders += [f"{name} {use}" for use in private_kivy_uses(path)]
    assert offenders == []


def test_central_contract_needs_neither_fastapi_nor_kivy():
    path = ROOT / "central" / "contract.py"
    if not path.exists():
        pytest.skip("central/contract.py not written yet")
    assert not {top(n) for n in imported_modules(path)} & {"fastapi", "kivy", "uvicorn", "starlette", "kiosk"}


# ----- the checkers can fail


def test_the_checker_sees_a_violation(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from kiosk.config import Config\nimport kivy.app\n")
    assert {top(n) for n in imported_modules(bad)} == {"kiosk", "kivy"}


def test_the_cycle_finder_names_the_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(graph) == ["a -> b -> c -> a"]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_and_relative_imports_count(tmp_path: Path):
    probe = tmp_path / "probe.py"
    probe.write_text("def later():\n    from kiosk.ui.app import KioskApp\n    from . import flow\n")
    assert imported_modules(probe, "kiosk.probe") == {"kiosk.ui.app", "kiosk.ui.app.KioskApp", "kiosk", "kiosk.flow"}


def test_the_private_kivy_checker_sees_test_helpers_and_private_calls(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from kivy.tests.common import UnitTestTouch\nfrom kivy.base import _private\n"
                   "from kivy.app import App\n\ndef go(app: App):\n    app._run_prepare()\n    self._fine = 1\n")
    assert private_kivy_uses(bad) == ["line 1: kivy.tests.common", "line 1: kivy.tests.common.UnitTestTouch",
                                      "line 2: kivy.base._private", "line 6: ._run_prepare"]
