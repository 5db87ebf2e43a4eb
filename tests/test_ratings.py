"""The satisfaction rating (SKM): one optional tap after 'Selesai', anonymous, through the outbox to the
reference central service over mutual TLS, counted per month."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from central import contract as c
from central.testing import clone_world
from kiosk import central_client as kc
from kiosk.commands.ratings import monthly
from kiosk.config import CentralSection
from kiosk.flow import (
    CancelPressed,
    Flow,
    FlowState,
    Media,
    PrinterAvailability,
    RatingGiven,
    Screen,
    SendRating,
)
from kiosk.runtime import CentralEventSender
from printjobs.backoff import Backoff
from printjobs.outbox import RatingReport
from printjobs.store import PrintStore
from tests.factories import seeded

KIOSK_ID = "ADM-TEST-01"
PRINTERS = (PrinterAvailability(Media.A4, True),)


def test_one_tap_on_the_done_screen_rates_once_and_skipping_costs_nothing():
    flow = Flow()
    done = FlowState(screen=Screen.DONE, printers=PRINTERS, done_since=0.0)
    rated, effects = flow.handle(done, RatingGiven(now=1, score=4))
    assert rated.rated == 4 and effects == [SendRating(4)]
    again, effects = flow.handle(rated, RatingGiven(now=2, score=1))
    assert again.rated == 4 and effects == []  # one tap only
    for elsewhere in (Screen.ATTRACT, Screen.DOCUMENTS, Screen.PRINTING):
        assert flow.handle(replace(done, screen=elsewhere), RatingGiven(now=1, score=3))[1] == []
    assert flow.handle(done, RatingGiven(now=1, score=5))[1] == []
    skipped, _ = flow.handle(done, CancelPressed(now=1))
    assert skipped.screen is Screen.ATTRACT and skipped.rated is None


def test_a_rating_carries_a_month_and_a_score_and_nothing_else():
    fields = set(c.SatisfactionRating.model_fields)
    assert fields == {"rating_id", "month", "score"}
    with pytest.raises(ValidationError):
        c.SatisfactionRating(rating_id="r1", month="2026-12", score=5)
    with pytest.raises(ValidationError):
        c.SatisfactionRating(rating_id="r1", month="2026-12-02", score=3)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world")
    seeded(path, kiosk_id=KIOSK_ID)
    return path


def test_ratings_go_out_through_the_outbox_anonymously_and_are_counted_per_month(world: Path, tmp_path: Path):
    running = clone_world(world, tmp_path / "central")
    client = kc.CentralClient(CentralSection(**running.client_config()), KIOSK_ID, backoff=Backoff(0.01, 0.05))
    try:
        store = PrintStore(tmp_path / "state", sender=CentralEventSender(client))
        month_start = datetime(2026, 12, 1).timestamp()
        for score in (4, 4, 3, 1):
            store.outbox.enqueue_rating(RatingReport(uuid.uuid4().hex, "2026-12", score, month_start), delay_s=0)
        store.outbox.enqueue_rating(RatingReport(uuid.uuid4().hex, "2026-11", 2, month_start), delay_s=0)
        assert store.outbox.drain(timeout_s=30)
        assert running.handle.store.rating_counts("2026-12") == {4: 2, 3: 1, 1: 1}
        assert running.handle.store.rating_counts("2026-11") == {2: 1}
        report = monthly(store.outbox.ratings_by_month())
        assert report[1] == {"month": "2026-12", "total": 4, "index": 75.0,
                             "scores": {"1": 1, "2": 0, "3": 1, "4": 2}}
        store.close()
        with sqlite3.connect(tmp_path / "state" / "journal.sqlite") as db:
            rows = db.execute("SELECT job_id, document_id, created_at, delivered_at, next_attempt_at, attempts"
                              " FROM outbox WHERE kind = 'rating'").fetchall()
        assert {row[:2] for row in rows} == {(None, None)}  # no job, no document: nothing ties it to a session
        assert {row[2:] for row in rows} == {(month_start, month_start, month_start, 1)}  # and no time of day
    finally:
        client.close()
        running.stop()


def test_a_rating_waits_a_random_while_before_it_is_first_sent(tmp_path: Path):
    store = PrintStore(tmp_path / "state")
    try:
        store.outbox.enqueue_rating(RatingReport("r-1", "2026-12", 3), delay_s=300)
        assert store.outbox.next_due() > datetime.now().timestamp() + 250
    finally:
        store.close()


def test_adm_kiosk_ratings_counts_the_months_from_the_kiosks_outbox(tmp_path: Path):
    import json
    import subprocess
    import sys

    from kiosk.demo import write_demo_config
    from printjobs.store import store_dir

    write_demo_config(tmp_path / "demo.yaml")
    store = PrintStore(store_dir(tmp_path / "state"))
    for score in (4, 3):
        store.outbox.enqueue_rating(RatingReport(uuid.uuid4().hex, "2026-12", score), delay_s=600)
    store.close()
    run = [sys.executable, "-m", "kiosk.cli", "ratings", "--config", str(tmp_path / "demo.yaml")]
    result = subprocess.run([*run, "--json", "--month", "2026-12"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["months"] == [
        {"month": "2026-12", "total": 2, "index": 87.5, "scores": {"1": 0, "2": 0, "3": 1, "4": 1}}]
    text = subprocess.run(run, capture_output=True, text=True, timeout=60).stdout
    assert "2026-12: 2 ratings, index 87.5 (tidak puas 0, kurang puas 0, puas 1, sangat puas 1)" in text
    assert subprocess.run([*run, "--month", "2026-13"], capture_output=True, timeout=60).returncode == 2
