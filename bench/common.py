"""Figures, percentiles, the table and results.json, and running a bench child process."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from central.testing import RunningCentral
from tests.robustness.support import cached_rendering, new_resident

#: Bytes in a megabyte, for the memory figures.
MB = 1024 * 1024

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Figure:
    """One measured figure against its budget; ``ratio`` = value / budget (above 1: over budget)."""

    name: str
    value: float
    unit: str
    budget: float | None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.budget is None or self.budget == 0 or math.isnan(self.value):
            return None if self.budget != 0 else (0.0 if self.value == 0 else math.inf)
        return self.value / self.budget

    @property
    def ok(self) -> bool | None:
        ratio = self.ratio
        return None if ratio is None else ratio <= 1.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None or math.isinf(self.ratio) else round(self.ratio, 3)
        data["ok"] = self.ok
        data["value"] = None if math.isnan(self.value) else self.value
        return data


#: The project's packages, byte-compiled as ``pip install`` leaves an installed wheel.
PACKAGES = ("kiosk", "devices", "printjobs", "central")


def compile_bytecode() -> None:
    """Write the packages' ``.pyc`` files, as the kiosk's installed wheel has them.

    Without them every new process compiles the project's sources again (a development shell that sets
    ``PYTHONDONTWRITEBYTECODE`` never keeps them): 0.5-1 s more on each command, which no kiosk pays.
    """
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(str(ROOT / package), quiet=1)


def load_average() -> float:
    """The machine's one-minute load average, recorded beside figures that the machine's load moves."""
    return round(os.getloadavg()[0], 2)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def table(figures: list[Figure]) -> str:
    """The one table ``python -m bench`` prints."""
    rows = [("figure", "value", "budget", "ratio", "")]
    for f in figures:
        value = "n/a" if math.isnan(f.value) else f"{f.value:.4g} {f.unit}"
        budget = "-" if f.budget is None else f"{f.budget:g} {f.unit}"
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        verdict = "" if f.ok is None else ("ok" if f.ok else "OVER")
        rows.append((f.name, value, budget, ratio, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_results(figures: list[Figure], meta: dict[str, Any], path: Path = RESULTS) -> None:
    """Write the figures; those of benchmarks not run this time (``--only``) are kept from the last file, with
    the time each was measured."""
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {"meta": {}, "figures": []}
    fresh = {f.name for f in figures}
    when = previous.get("meta", {}).get("when")
    kept = [{**f, "measured": f.get("measured", when)} for f in previous.get("figures", []) if f["name"] not in fresh]
    written = [{**f.to_json(), "measured": meta["when"]} for f in figures]
    seconds = {**previous.get("meta", {}).get("seconds", {}), **meta.get("seconds", {})}
    path.write_text(json.dumps({"meta": {**meta, "seconds": seconds}, "figures": kept + written}, indent=1) + "\n")


def headless_env() -> dict[str, str]:
    """This process's environment without a display: a child's Kivy window then draws offscreen."""
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def residents(central: RunningCentral, count: int) -> list[list[str]]:
    """``count`` new residents of ``central``, as the [NIK, PIN] pairs a bench child reads."""
    with cached_rendering():
        return [[r.nik, r.pin] for r in (new_resident(central) for _ in range(count))]


def run_child(module: str, request: dict[str, Any], timeout: float, headless: bool = False) -> dict:
    """Run ``python -m MODULE`` with ``request`` as JSON on stdin; its last stdout line is the JSON answer.

    ``headless``: without a display in the child's environment (:func:`headless_env`).
    """
    full_env = {**(headless_env() if headless else os.environ), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", module], input=json.dumps(request), capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=ROOT)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{module} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(lines[-1])
