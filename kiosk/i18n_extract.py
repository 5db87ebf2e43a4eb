"""Extract the message keys from the sources into ``po/adm-kiosk.pot`` (``./dev pot``).

What counts as a key in the source: the first string argument of ``tr``, ``ngettext``, ``has``, ``N_`` and
``Message``; the strings of a ``KEYS`` tuple (a screen's texts); the values of an Enum whose name ends in
``Problem`` (each value is the message key of that problem); ``(root.t or {}).get('key', ...)`` in ``.kv`` files.
Keys built at run time are marked in :mod:`kiosk.message_keys`. ``python -m kiosk.i18n_extract --check`` exits 1
when the committed ``.pot`` differs from what the sources give.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "po" / "adm-kiosk.pot"  # a translator's template, not read at run time: not in the wheel
SOURCES = ("kiosk",)
_CALLS = {"tr", "_tr", "ngettext", "has", "N_", "Message"}
_KV_KEY = re.compile(r"""\.get\(\s*'([a-z][a-z0-9_]*\.[a-z0-9_.-]+)'""")
_KEY = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_.-]+$")


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def keys_in_python(source: str) -> tuple[set[str], dict[str, str]]:
    """The keys one module uses, and its ``PLURALS`` declarations (key -> counted placeholder)."""
    found: set[str] = set()
    plurals: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in _CALLS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant | ast.IfExp):  # tr("a" if x else "b") uses both
                found.update(_strings(first))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {_name(t) for t in targets}
            if any(n == "KEYS" or n.endswith("_KEYS") for n in names) and node.value is not None:
                found.update(_strings(node.value))
            if "PLURALS" in names and isinstance(node.value, ast.Dict):
                plurals.update({k.value: v.value for k, v in zip(node.value.keys, node.value.values, strict=True)
                                if isinstance(k, ast.Constant) and isinstance(k.value, str)
                                and isinstance(v, ast.Constant) and isinstance(v.value, str)})
        elif isinstance(node, ast.ClassDef) and node.name.endswith("Problem") and \
                any(_name(b) == "Enum" for b in node.bases):
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                    found.add(str(item.value.value))
    return {k for k in found if _KEY.match(k)}, plurals


def extract(root: Path = ROOT) -> tuple[set[str], dict[str, str]]:
    """Every key the sources use, and the plural ones with their counted placeholder."""
    keys: set[str] = set()
    plurals: dict[str, str] = {}
    for package in SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            found, declared = keys_in_python(path.read_text(encoding="utf-8"))
            keys |= found
            plurals.update(declared)
        for path in sorted((root / package).rglob("*.kv")):
            keys.update(_KV_KEY.findall(path.read_text(encoding="utf-8")))
    return keys | set(plurals), plurals


def render_pot(keys: set[str], plurals: dict[str, str]) -> str:
    """The template: one empty entry per key, sorted, plural entries with their ``msgid_plural``."""
    lines = ["# Message keys of the ADM kiosk, extracted from the sources by `./dev pot`. Do not edit.",
             'msgid ""', 'msgstr ""', '"Project-Id-Version: adm-kiosk\\n"', '"MIME-Version: 1.0\\n"',
             '"Content-Type: text/plain; charset=UTF-8\\n"', '"Content-Transfer-Encoding: 8bit\\n"', ""]
    for key in sorted(keys):
        lines.append(f'msgid "{key}"')
        if key in plurals:
            lines += [f'msgid_plural "{{{plurals[key]}}}"', 'msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines.append('msgstr ""')
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.i18n_extract", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed .pot is out of date")
    args = parser.parse_args(argv)
    text = render_pot(*extract())
    if args.check:
        current = POT.read_text(encoding="utf-8") if POT.exists() else ""
        if current != text:
            print(f"{POT.relative_to(ROOT)} is out of date: run ./dev pot", file=sys.stderr)
            return 1
        return 0
    POT.write_text(text, encoding="utf-8")
    print(f"wrote {POT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
