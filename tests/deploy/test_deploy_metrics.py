"""The metrics endpoint, scraped over real HTTP on loopback and read with prometheus_client's parser."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk import metrics as kiosk_metrics
from kiosk.config import MetricsSection
from kiosk.metrics import KioskMetrics, MetricsServer
from printjobs.backoff import Backoff


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def served() -> Iterator[tuple[KioskMetrics, MetricsServer]]:
    recorder = KioskMetrics()
    server = MetricsServer(recorder, "127.0.0.1", 0).start()
    yield recorder, server
    server.stop()


def test_a_scrape_shows_what_the_kiosk_recorded(served: tuple[KioskMetrics, MetricsServer]):
    recorder, server = served
    recorder.set_info("0.1.0", "ADM-3273-KEC-COBLONG-01")
    recorder.set_in_service(True)
    recorder.session_started()
    recorder.session_started()
    recorder.session_ended("completed")
    recorder.session_ended("idle_logout")
    recorder.document_printed("KK", "printed")
    recorder.document_printed("KTP-el", "printed")
    recorder.document_printed("KTP-el", "printed")
    recorder.document_printed("akta_kelahiran", "uncertain")
    recorder.card_spoiled("failed_encode")
    recorder.set_device_state("card_printer", "NEEDS_ATTENTION")
    recorder.set_device_state("document_printer", "ready")
    recorder.set_consumable("card_printer", "blanko", 12, low_threshold=20)
    recorder.set_outbox(7, oldest_age_s=930.0)
    recorder.observe_central("sessions", 0.2)
    recorder.observe_central("documents", 3.0, "timeout")
    recorder.heartbeat(True, at=1_700_000_000.0)
    recorder.heartbeat(False)

    samples = scrape(server.url)
    assert value(samples, "adm_kiosk_build_info", version="0.1.0", kiosk_id="ADM-3273-KEC-COBLONG-01") == 1
    assert value(samples, "adm_kiosk_in_service") == 1
    assert value(samples, "adm_kiosk_sessions_started_total") == 2
    assert value(samples, "adm_kiosk_sessions_total", outcome="completed") == 1
    assert value(samples, "adm_kiosk_sessions_total", outcome="idle_logout") == 1
    assert value(samples, "adm_kiosk_sessions_total", outcome="locked") == 0  # present before it happens
    assert value(samples, "adm_kiosk_documents_total", type="ktp_el", outcome="printed") == 2
    assert value(samples, "adm_kiosk_documents_total", type="kk", outcome="printed") == 1
    assert value(samples, "adm_kiosk_documents_total", type="akta_kelahiran", outcome="uncertain") == 1
    assert value(samples, "adm_kiosk_cards_spoiled_total", cause="failed_encode") == 1
    assert value(samples, "adm_kiosk_device_state", device="card_printer", state="needs_attention") == 1
    assert value(samples, "adm_kiosk_device_state", device="card_printer", state="ready") == 0
    assert value(samples, "adm_kiosk_device_ready", device="card_printer") == 0
    assert value(samples, "adm_kiosk_device_ready", device="document_printer") == 1
    assert value(samples, "adm_kiosk_consumable_remaining", device="card_printer", consumable="blanko") == 12
    assert value(samples, "adm_kiosk_consumable_low_threshold", device="card_printer", consumable="blanko") == 20
    assert value(samples, "adm_kiosk_outbox_backlog") == 7
    assert value(samples, "adm_kiosk_outbox_oldest_age_seconds") == 930
    assert value(samples, "adm_kiosk_central_request_duration_seconds_count", endpoint="sessions", outcome="ok") == 1
    assert (
        value(
            samples,
            "adm_kiosk_central_request_duration_seconds_bucket",
            endpoint="documents",
            outcome="timeout",
            le="2.0",
        )
        == 0
    )
    assert value(samples, "adm_kiosk_heartbeats_total", outcome="ok") == 1
    assert value(samples, "adm_kiosk_heartbeats_total", outcome="failed") == 1
    assert value(samples, "adm_kiosk_heartbeat_last_success_timestamp_seconds") == 1_700_000_000
    assert value(samples, "process_resident_memory_bytes") > 0  # for the leak alert


def test_labels_never_carry_what_a_resident_typed():
    recorder = KioskMetrics(process_metrics=False)
    with pytest.raises(ValueError):
        recorder.document_printed("3273012345678901", "printed")  # a NIK is not a document type
    with pytest.raises(ValueError):
        recorder.document_printed("kk", "maybe")
    with pytest.raises(ValueError):
        recorder.session_ended("Budi Santoso")
    with pytest.raises(ValueError):
        recorder.set_device_state("card_printer", "on fire")


def test_an_empty_outbox_has_no_age():
    recorder = KioskMetrics(process_metrics=False)
    server = MetricsServer(recorder, "127.0.0.1", 0).start()
    try:
        recorder.set_outbox(0, oldest_age_s=50)
        assert value(scrape(server.url), "adm_kiosk_outbox_oldest_age_seconds") == 0
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_served_on_the_configured_loopback_port_and_stopped_from_python():
    port = _free_port()
    server = MetricsServer.from_config(KioskMetrics(process_metrics=False), MetricsSection(port=port)).start()
    assert server.url == f"http://127.0.0.1:{port}/metrics"
    assert "adm_kiosk_in_service" in urllib.request.urlopen(server.url, timeout=10).read().decode()
    server.stop()
    # Stopped means the port is free again.
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "metrics.example.org"])
def test_never_listens_beyond_loopback(host: str):
    with pytest.raises(ValueError, match="loopback"):
        MetricsServer(KioskMetrics(process_metrics=False), host, 0)


def test_module_functions_record_into_the_process_wide_metrics():
    recorder = kiosk_metrics.get_metrics()
    before = recorder.registry.get_sample_value("adm_kiosk_documents_total", {"type": "kia", "outcome": "failed"})
    kiosk_metrics.document_printed("KIA", "failed")
    kiosk_metrics.set_outbox(3, 12.0)
    kiosk_metrics.heartbeat(True)
    after = recorder.registry.get_sample_value("adm_kiosk_documents_total", {"type": "kia", "outcome": "failed"})
    assert after == (before or 0) + 1
    assert recorder.registry.get_sample_value("adm_kiosk_outbox_backlog") == 3
    assert recorder.registry.get_sample_value("adm_kiosk_heartbeat_last_success_timestamp_seconds") >= time.time() - 60


def test_the_agent_scrapes_the_configured_endpoint():
    # Whether the alerts fire from a running kiosk: tests/deploy/test_alerts_fire.py.
    from pathlib import Path

    import yaml

    agent_file = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "kiosk-agent.yml"
    agent = yaml.safe_load(agent_file.read_text())
    assert agent["scrape_configs"][0]["job_name"] == "adm-kiosk"
    assert agent["scrape_configs"][0]["static_configs"][0]["targets"] == [f"127.0.0.1:{MetricsSection().port}"]


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_heartbeats_reach_the_real_central_service_and_outages_are_counted(tmp_path, caplog):
    import logging

    from central import contract
    from central.testing import start_central
    from kiosk.central_client import CentralClient
    from kiosk.config import CentralSection
    from kiosk.metrics import HeartbeatLoop

    recorder = KioskMetrics(process_metrics=False)
    status = contract.Heartbeat(consumables={"blanko": 12}, software_version="0.1.0")
    central = start_central(tmp_path / "central")
    section = CentralSection(**central.client_config(retries=0, connect_timeout_s=2, read_timeout_s=5))
    clients = [CentralClient(section, central.summary["kiosk_id"], backoff=Backoff(0.01, 0.01))]
    loop = HeartbeatLoop(lambda: clients[-1].heartbeat(status), interval_s=0.05, metrics=recorder)

    def beats(outcome: str) -> float:
        return recorder.registry.get_sample_value("adm_kiosk_heartbeats_total", {"outcome": outcome}) or 0

    try:
        loop.start()
        assert _wait_for(lambda: beats("ok") >= 2), "no heartbeat accepted over mutual TLS"
    finally:
        loop.stop()
        clients[-1].close()  # before the server stops: an open keep-alive connection delays its shutdown
        central.stop()
    accepted_at = recorder.registry.get_sample_value("adm_kiosk_heartbeat_last_success_timestamp_seconds")
    assert time.time() - 60 < accepted_at <= time.time()

    # The central service is gone: beats fail, are counted, are logged once, and never raise.
    clients.append(CentralClient(section, central.summary["kiosk_id"], backoff=Backoff(0.01, 0.01)))
    try:
        with caplog.at_level(logging.INFO, logger="kiosk.metrics"):
            assert loop.beat() is False
            assert loop.beat() is False
    finally:
        clients[-1].close()
    assert beats("failed") == 2
    assert [r.getMessage() for r in caplog.records if r.name == "kiosk.metrics"] == ["heartbeat.failed"]
    failed = recorder.registry.get_sample_value(
        "adm_kiosk_central_request_duration_seconds_count", {"endpoint": "heartbeat", "outcome": "network_error"}
    )
    assert failed == 2
    assert recorder.registry.get_sample_value("adm_kiosk_heartbeat_last_success_timestamp_seconds") == accepted_at
