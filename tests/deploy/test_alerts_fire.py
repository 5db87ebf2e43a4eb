"""Every shipped alert fires from a kiosk that is actually running: simulated devices, its journal, the
reference central service over mutual TLS (or a central URL nobody answers), its metrics endpoint scraped
over HTTP. The fault is made the way it happens at a kiosk (a jam, a technician's reload, a spoiled card,
the network gone, a crash while sending, restarts); whether the alert fires is Prometheus's own verdict
(``promtool test rules`` over the scraped series), once healthy and once with the fault.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from printjobs.audit import SpoilCause
from printjobs.store import PrintStore, store_dir
from tests.deploy.conftest import LiveKiosk, free_port
from tests.deploy.promtool_support import ALERTS, Hold, alert_names, firing, scrape

TESTED = {"AdmKioskPrinterDown", "AdmKioskBlankoLow", "AdmKioskBlankoEmpty", "AdmKioskOutboxGrowing",
          "AdmKioskNoHeartbeat", "AdmKioskGone", "AdmKioskOutOfService", "AdmKioskRestarting",
          "AdmKioskUncertainPrints", "AdmKioskCardsSpoiled", "AdmKioskHelpCallNotDelivered"}


def test_every_shipped_alert_has_a_test_here_and_the_rules_load():
    assert alert_names() == TESTED
    import shutil
    result = subprocess.run([shutil.which("promtool") or "promtool", "check", "rules", str(ALERTS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_printer_down_fires_after_a_jam_lasts_ten_minutes(live, tmp_path):
    kiosk = live()
    healthy = kiosk.scrape()
    assert healthy.value("adm_kiosk_device_ready", device="card_printer") == 1
    kiosk.runtime.devices.card_printer.set_fault("media-jam")
    jammed = kiosk.scrape()
    assert jammed.value("adm_kiosk_device_ready", device="card_printer") == 0
    assert not firing("AdmKioskPrinterDown", [Hold(healthy, 30)], tmp_path)
    assert not firing("AdmKioskPrinterDown", [Hold(healthy, 10), Hold(jammed, 5)], tmp_path)
    assert firing("AdmKioskPrinterDown", [Hold(healthy, 10), Hold(jammed, 12)], tmp_path)


def test_blanko_low_fires_from_the_journals_count_after_a_reload_and_a_spoiled_card(live, tmp_path):
    kiosk = live()
    store = kiosk.runtime.store
    store.reload("card_printer", "blanko", 40, "teknisi-1")
    full = kiosk.scrape()
    assert full.value("adm_kiosk_consumable_remaining", device="card_printer", consumable="blanko") == 40
    assert full.value("adm_kiosk_consumable_low_threshold", device="card_printer", consumable="blanko") == 20
    store.reload("card_printer", "blanko", 4, "teknisi-1")
    store.record_spoiled_card("card_printer", SpoilCause.DAMAGED, "teknisi-1")  # spends one blanko
    low = kiosk.scrape()
    assert low.value("adm_kiosk_consumable_remaining", device="card_printer", consumable="blanko") == 3
    assert not firing("AdmKioskBlankoLow", [Hold(full, 20)], tmp_path)
    assert firing("AdmKioskBlankoLow", [Hold(full, 10), Hold(low, 10)], tmp_path)
    assert not firing("AdmKioskBlankoEmpty", [Hold(full, 10), Hold(low, 10)], tmp_path)


def test_blanko_empty_fires_when_the_last_card_is_spent(live, tmp_path):
    kiosk = live()
    store = kiosk.runtime.store
    store.reload("card_printer", "blanko", 1, "teknisi-1")
    one = kiosk.scrape()
    store.record_spoiled_card("card_printer", SpoilCause.FAILED_ENCODE, "teknisi-1")
    empty = kiosk.scrape()
    assert empty.value("adm_kiosk_consumable_remaining", device="card_printer", consumable="blanko") == 0
    assert not firing("AdmKioskBlankoEmpty", [Hold(one, 10)], tmp_path)
    assert firing("AdmKioskBlankoEmpty", [Hold(one, 5), Hold(empty, 3)], tmp_path)


def test_cards_spoiled_fires_when_more_than_three_are_spoiled_in_a_day(live, tmp_path):
    kiosk = live()
    store = kiosk.runtime.store
    store.reload("card_printer", "blanko", 50, "teknisi-1")
    before = kiosk.scrape()
    assert before.value("adm_kiosk_cards_spoiled_total", cause="data_changed") == 0  # exported before it happens
    for cause in SpoilCause:
        store.record_spoiled_card("card_printer", cause, "teknisi-1")
    store.record_spoiled_card("card_printer", SpoilCause.DAMAGED, "teknisi-1")
    after = kiosk.scrape()
    assert after.value("adm_kiosk_cards_spoiled_total", cause="damaged") == 2
    assert after.value("adm_kiosk_cards_spoiled_total", cause="data_changed") == 1
    assert not firing("AdmKioskCardsSpoiled", [Hold(before, 60)], tmp_path)
    assert firing("AdmKioskCardsSpoiled", [Hold(before, 30), Hold(after, 30)], tmp_path)


def test_outbox_growing_fires_when_print_events_wait_over_an_hour(live, tmp_path):
    kiosk = live(reachable=False)
    empty = kiosk.scrape()
    assert empty.value("adm_kiosk_outbox_backlog") == 0
    kiosk.print_a4()  # printed; its event cannot leave
    waiting = kiosk.scrape()
    assert waiting.value("adm_kiosk_outbox_backlog") == 1
    assert 0 <= waiting.value("adm_kiosk_outbox_oldest_age_seconds") < 60
    # An hour and a half passes: the event is that old (the journal's clock, moved back on disk).
    journal = store_dir(kiosk.config.storage.state_dir) / "journal.sqlite"
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE outbox SET created_at = created_at - 5400")
    old = kiosk.scrape()
    assert old.value("adm_kiosk_outbox_oldest_age_seconds") >= 5400
    assert not firing("AdmKioskOutboxGrowing", [Hold(empty, 5), Hold(waiting, 30)], tmp_path)
    assert firing("AdmKioskOutboxGrowing", [Hold(empty, 5), Hold(old, 20)], tmp_path)


def test_no_heartbeat_fires_when_the_central_service_is_out_of_reach(live, tmp_path):
    reachable = live()
    kiosk_beats = reachable.runtime.heartbeat
    assert kiosk_beats.beat()
    healthy = reachable.scrape()
    assert time.time() - healthy.value("adm_kiosk_heartbeat_last_success_timestamp_seconds") < 60
    cut_off = live(reachable=False)
    cut_off.runtime.heartbeat.beat()
    never = cut_off.scrape()
    assert never.value("adm_kiosk_heartbeats_total", outcome="failed") >= 1
    assert never.value("adm_kiosk_heartbeat_last_success_timestamp_seconds") == 0
    assert not firing("AdmKioskNoHeartbeat", [Hold(healthy, 30, ticking=True)], tmp_path)
    # Accepted once, then the link went: the timestamp stays where it was and grows old.
    assert not firing("AdmKioskNoHeartbeat", [Hold(healthy, 8)], tmp_path)
    assert firing("AdmKioskNoHeartbeat", [Hold(healthy, 20)], tmp_path)
    assert firing("AdmKioskNoHeartbeat", [Hold(never, 20)], tmp_path)


def test_help_call_not_delivered_fires_when_a_resident_calls_and_the_central_service_is_gone(live, tmp_path):
    from kiosk.flow import CallHelp, HelpAnswered, HelpStatus

    healthy = live().scrape()
    assert healthy.value("adm_kiosk_help_requests_total", outcome="failed") == 0
    cut_off = live(reachable=False)
    cut_off.runtime.effects.perform(CallHelp("documents"))  # the resident's press, through the real client
    deadline = time.monotonic() + 20
    while not any(isinstance(e, HelpAnswered) for e in cut_off.posted) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e.status for e in cut_off.posted if isinstance(e, HelpAnswered)] == [HelpStatus.FAILED]
    failed = cut_off.scrape()
    assert failed.value("adm_kiosk_help_requests_total", outcome="failed") == 1
    assert not firing("AdmKioskHelpCallNotDelivered", [Hold(healthy, 30)], tmp_path)
    assert firing("AdmKioskHelpCallNotDelivered", [Hold(healthy, 10), Hold(failed, 5)], tmp_path)


def test_gone_fires_when_the_kiosk_stops_answering(live, tmp_path):
    kiosk = live()
    up = kiosk.scrape()
    assert up.value("adm_kiosk_in_service") == 1
    kiosk.runtime.stop()
    down = scrape(kiosk.url)
    assert down.samples is None
    assert not firing("AdmKioskGone", [Hold(up, 90)], tmp_path)
    assert firing("AdmKioskGone", [Hold(up, 70), Hold(down, 20)], tmp_path)


def test_out_of_service_fires_when_no_printer_can_print_for_fifteen_minutes(live, tmp_path):
    kiosk = live()
    serving = kiosk.scrape()
    kiosk.runtime.devices.card_printer.set_fault("ribbon-empty")
    kiosk.runtime.devices.document_printer.set_fault("media-empty")
    stopped = kiosk.scrape()
    assert stopped.value("adm_kiosk_in_service") == 0
    assert not firing("AdmKioskOutOfService", [Hold(serving, 30)], tmp_path)
    assert firing("AdmKioskOutOfService", [Hold(serving, 5), Hold(stopped, 20)], tmp_path)


def test_uncertain_prints_fires_after_a_crash_while_sending_until_a_technician_answers(live, tmp_path):
    kiosk = live()
    before = kiosk.scrape()
    assert before.value("adm_kiosk_jobs_uncertain") == 0
    kiosk.runtime.stop()
    # The kiosk died while a card was being sent to the printer: its journal says SENDING.
    store = PrintStore(store_dir(kiosk.config.storage.state_dir))
    job = store.create_job("DOC-CARD-1", "KTP-el", "card", "card_printer", "3273010101900001")
    store.fetched(job.job_id, [b"front", b"back"])
    store.sending(job.job_id)
    store.close()
    restarted = LiveKiosk(kiosk.config)  # systemd starts it again on the same state
    try:
        after = restarted.scrape()
        assert after.value("adm_kiosk_jobs_uncertain") == 1
        assert after.value("adm_kiosk_documents_total", type="ktp_el", outcome="uncertain") == 1
        restarted.runtime.store.resolve(job.job_id, "not-printed", "teknisi-1")
        answered = restarted.scrape()
        assert answered.value("adm_kiosk_jobs_uncertain") == 0
    finally:
        restarted.runtime.stop()
    assert not firing("AdmKioskUncertainPrints", [Hold(before, 30)], tmp_path)
    assert firing("AdmKioskUncertainPrints", [Hold(before, 10), Hold(after, 10)], tmp_path)
    assert not firing("AdmKioskUncertainPrints", [Hold(before, 10), Hold(after, 10), Hold(answered, 10)], tmp_path)


CHILD = """
import json, sys, time
from pathlib import Path
from kiosk.config import MetricsSection
from kiosk.demo import demo_config
from kiosk.runtime import KioskRuntime
args = json.loads(sys.argv[1])
config = demo_config(Path(args["out"]), args["central"], headless=True)
config = config.model_copy(update={"metrics": MetricsSection(port=args["port"])})
runtime = KioskRuntime(config, post=lambda event: None)
runtime.start()
print("ready", flush=True)
sys.stdin.read()
runtime.stop()
"""


@pytest.mark.heavy
def test_restarting_fires_after_more_than_three_restarts_in_an_hour(tmp_path, central):
    # Five kiosk processes one after another on the same state: what systemd's Restart=always does after crashes.
    port = free_port()
    # Paths (the certificates, the signing and operator keys) as text for the child's command line.
    args = json.loads(json.dumps({"out": tmp_path / "kiosk", "port": port, "central": central.client_config()},
                                 default=str))
    scrapes = []
    for _ in range(5):
        child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(args)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            assert child.stdout.readline().strip() == "ready"
            scrapes.append(scrape(f"http://127.0.0.1:{port}/metrics"))
        finally:
            child.send_signal(signal.SIGKILL)  # a crash: no clean stop
            child.wait(timeout=30)
        time.sleep(0.05)
    starts = {s.value("process_start_time_seconds") for s in scrapes}
    assert len(starts) == 5
    assert not firing("AdmKioskRestarting", [Hold(scrapes[0], 60)], tmp_path)
    assert not firing("AdmKioskRestarting", [Hold(s, 5) for s in scrapes[:4]] + [Hold(scrapes[3], 5)], tmp_path)
    assert firing("AdmKioskRestarting", [Hold(s, 5) for s in scrapes], tmp_path)
