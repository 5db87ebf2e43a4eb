"""Scrape a running kiosk and ask Prometheus's own rule engine (``promtool test rules``) whether an alert fires.

A scrape becomes promtool input series labelled as the kiosk's agent labels them (``kiosk``, ``job``); a
timeline says how long each scraped state lasts, so ``for:`` clauses, ``offset`` and ``changes()`` are
evaluated by Prometheus itself rather than re-implemented here.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "adm-kiosk-alerts.yml"
AGENT_LABELS = {"kiosk": "ADM-TEST-01", "job": "adm-kiosk"}

Key = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Scrape:
    """What one scrape returned (``samples`` None: nothing answered) and the wall time it was taken."""

    samples: dict[Key, float] | None
    at: float

    def value(self, name: str, **labels: str) -> float | None:
        assert self.samples is not None, "the endpoint did not answer"
        return self.samples.get((name, tuple(sorted(labels.items()))))


def scrape(url: str) -> Scrape:
    """Every sample the endpoint exposes now, or an empty Scrape when nothing listens."""
    at = time.time()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return Scrape(None, at)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Scrape(samples, at)


@dataclass(frozen=True)
class Hold:
    """The kiosk stays as ``scrape`` saw it for ``minutes``.

    ``ticking``: its ``*_timestamp_seconds`` keep their age (it goes on doing what set them, e.g. heartbeats
    accepted); otherwise they stay frozen at the scraped instant and grow old."""

    scrape: Scrape
    minutes: int
    ticking: bool = False


def _series_values(key: Key, timeline: list[Hold]) -> str:
    values: list[str] = []
    start = 0
    for hold in timeline:
        present = hold.scrape.samples is not None and key in hold.scrape.samples
        for minute in range(hold.minutes):
            if not present:
                values.append("_")
                continue
            value = hold.scrape.samples[key]  # type: ignore[index]
            if key[0].endswith("_timestamp_seconds") and value > 0:
                # Wall time -> promtool's clock (which starts at 0), keeping the age the scrape showed.
                now = (start + minute) * 60 if hold.ticking else start * 60
                value = value - hold.scrape.at + now
            values.append(repr(float(value)))
        start += hold.minutes
    return " ".join(values)


def firing(alert: str, timeline: list[Hold], tmp_path: Path) -> bool:
    """Whether ``alert`` of the shipped rules is firing at the end of ``timeline``."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: ./dev installs the Debian package 'prometheus'")
    keys = sorted({key for hold in timeline if hold.scrape.samples for key in hold.scrape.samples})
    series = []
    for name, labels in keys:
        if not name.startswith(("adm_kiosk_", "process_")):
            continue
        text = ",".join(f'{k}="{v}"' for k, v in {**dict(labels), **AGENT_LABELS}.items())
        series.append({"series": f"{name}{{{text}}}", "values": _series_values((name, labels), timeline)})
    eval_minutes = sum(hold.minutes for hold in timeline) - 1
    verdicts = {}
    matchers = f'alertname="{alert}",alertstate="firing"'
    for verdict, query, labels in (("fires", f"count(ALERTS{{{matchers}}})", "{}"),
                                   ("silent", f"absent(ALERTS{{{matchers}}})", f"{{{matchers}}}")):
        test = {
            "rule_files": [str(ALERTS)],
            "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "promql_expr_test": [{"expr": query, "eval_time": f"{eval_minutes}m",
                                             "exp_samples": [{"labels": labels, "value": 1}]}]}],
        }
        path = tmp_path / f"{alert}-{verdict}.yml"
        path.write_text(yaml.safe_dump(test), encoding="utf-8")
        result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
        verdicts[verdict] = result.returncode == 0
    assert verdicts["fires"] != verdicts["silent"], f"promtool gave no verdict for {alert}"
    return verdicts["fires"]


def alert_names() -> set[str]:
    """Every alert in the shipped rules."""
    return {rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]}
