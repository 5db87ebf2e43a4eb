"""The fleet's Grafana dashboard names only series that a running kiosk exports, in PromQL that Prometheus
parses, with one row per kiosk in its fleet table."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from printjobs.audit import SpoilCause
from tests.deploy.promtool_support import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "adm-kiosk-fleet.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "adm-kiosk-dashboards.yml"
#: PromQL's words, and the labels the dashboard groups and matches by: everything else in a query is a series.
PROMQL_WORDS = {"sum", "max", "min", "by", "without", "increase", "rate", "time", "histogram_quantile",
                "label_values", "and", "or", "unless", "on", "le", "kiosk", "device", "consumable", "outcome",
                "version", "job"}


def queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    found += [var["query"]["query"] for var in dashboard["templating"]["list"] if var["type"] == "query"]
    return found


def series_named(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    return {word for word in re.findall(r"\b[a-z_][a-z0-9_]*\b", without_ranges) if word not in PROMQL_WORDS}


def test_every_query_names_only_series_the_running_kiosk_exports(live):
    kiosk = live()
    kiosk.runtime.store.reload("card_printer", "blanko", 30, "teknisi-1")
    kiosk.runtime.store.record_spoiled_card("card_printer", SpoilCause.DAMAGED, "teknisi-1")
    kiosk.runtime.heartbeat.beat()
    samples = kiosk.scrape().samples
    assert samples is not None
    exported = {name for name, _ in samples}
    # Counters and histograms with no sample yet still declare their family (# TYPE), e.g. documents printed.
    text = __import__("urllib.request").request.urlopen(kiosk.url, timeout=10).read().decode()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        exported |= {family, f"{family}_total"} if kind == "counter" else {family}
        if kind == "histogram":
            exported |= {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
    named = set().union(*(series_named(expr) for expr in queries()))
    assert {"adm_kiosk_consumable_remaining", "adm_kiosk_outbox_backlog", "adm_kiosk_in_service"} <= named
    assert named - exported == set(), "the dashboard names series no kiosk exports"


def test_every_query_is_promql_that_prometheus_parses(tmp_path: Path):
    # promtool checks a rule file's expressions with Prometheus's own parser; Grafana's $kiosk becomes a regex.
    rules = [{"record": f"dashboard:query{i}", "expr": expr.replace("$kiosk", ".*")}
             for i, expr in enumerate(queries()) if not expr.startswith("label_values")]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run([shutil.which("promtool") or "promtool", "check", "rules", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_fleet_table_has_one_row_per_kiosk_and_is_provisioned():
    dashboard = json.loads(DASHBOARD.read_text())
    table = next(panel for panel in dashboard["panels"] if panel["type"] == "table")
    for target in table["targets"]:
        assert re.match(r"^(max|min|sum) by \(kiosk[,)]", target["expr"]), target["expr"]
        assert target["instant"] and target["format"] == "table"
    assert {t["id"] for t in table["transformations"]} >= {"merge"}
    provider = yaml.safe_load(PROVISIONING.read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"]
    assert dashboard["uid"] == "adm-kiosk-fleet"
