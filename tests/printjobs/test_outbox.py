"""The outbox: every outcome reaches the receiver once per key, through outages and restarts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from printjobs.backoff import Backoff
from printjobs.errors import TransientDeliveryError
from printjobs.journal import JobState
from printjobs.outbox import JobReport, Outbox
from printjobs.store import RESOLUTION_SUFFIX, PrintStore
from tests.factories import NIK
from tests.printjobs.receiver import EventReceiver, HttpSender, free_port


def finished_jobs(store: PrintStore, count: int) -> list[str]:
    """``count`` jobs ending printed, failed and uncertain in turn."""
    ids = []
    for i in range(count):
        job = store.create_job(f"doc-{i}", "KK", "a4", "document_printer", NIK).job_id
        store.fetched(job, [b"%PDF-1.4"])
        store.sending(job)
        if i % 3 == 0:
            store.printed(job, {"paper": 1}, {"pages": 1})
        elif i % 3 == 1:
            store.failed(job, "media-jam")
        else:
            store.uncertain(job, "timed-out")
        ids.append(job)
    return ids


def test_backoff_grows_exponentially_with_jitter_and_a_cap(store: PrintStore):
    outbox = Outbox(store.db, backoff=Backoff(2, 60, jitter=0.5), rng=random.Random(7))
    for attempts, ceiling in [(1, 2), (2, 4), (3, 8), (4, 16), (6, 60), (40, 60)]:
        delays = [outbox.backoff(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, min(delays), max(delays))
        assert len({round(d, 6) for d in delays}) > 40  # jitter: retries from many kiosks do not line up


def test_everything_is_delivered_after_the_server_was_down_for_the_whole_run(state_dir: Path):
    port = free_port()  # nobody listens: every attempt is refused
    store = PrintStore(state_dir, sender=HttpSender(port, timeout_s=1), outbox_backoff=Backoff(0.01, 0.05, jitter=0.5))
    ids = finished_jobs(store, 9)
    store.outbox.start(idle_wait_s=0.05)
    for _ in range(27):
        assert store.outbox.deliver_due(now=float("inf")).retry == 1  # one probe per pass while it is down
    assert store.outbox.stop(timeout_s=5)
    backlog = store.outbox.backlog()
    assert sorted(item["job_id"] for item in backlog) == sorted(ids)
    assert all(item["attempts"] >= 3 and "ConnectionRefused" in item["last_error"] for item in backlog)
    store.close()

    # The kiosk restarts; later the central service comes back on the same address.
    store = PrintStore(state_dir, sender=HttpSender(port))
    with EventReceiver(port) as receiver:
        store.outbox.start(idle_wait_s=0.05)
        assert store.outbox.drain(timeout_s=20)
        assert store.outbox.stop()
    assert sorted(receiver.events) == sorted(ids)
    assert {key: e["outcome"] for key, e in receiver.events.items()} == {
        job: ["printed", "failed", "uncertain"][i % 3] for i, job in enumerate(ids)}
    assert all(e["key"] == e["job_id"] for e in receiver.events.values())
    states = {store.journal.get(job).state for job in ids}
    assert states == {JobState.REPORTED, JobState.UNCERTAIN}
    assert store.outbox.backlog() == []
    store.close()


def test_a_refused_event_is_kept_as_rejected_and_shown(state_dir: Path):
    with EventReceiver(reject={"doc-1"}) as receiver:
        store = PrintStore(state_dir, sender=HttpSender(receiver.port))
        ids = finished_jobs(store, 2)
        store.outbox.deliver_due()
    assert store.outbox.status_of(ids[1]) == "rejected"
    assert store.journal.get(ids[1]).state is JobState.FAILED  # the central service never learned it
    assert [(item["job_id"], item["status"]) for item in store.outbox.backlog()] == [(ids[1], "rejected")]
    assert store.outbox.pending_count() == 0
    store.close()


class Flaky:
    """Fails the first ``failures`` sends, then records."""

    def __init__(self, failures: int):
        self.failures = failures
        self.sent: list[JobReport] = []

    def send(self, event: JobReport) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientDeliveryError("unreachable")
        self.sent.append(event)


def test_a_transient_failure_is_retried_after_its_backoff_only(state_dir: Path):
    now = [1000.0]
    sender = Flaky(1)
    store = PrintStore(state_dir, sender=sender, clock=lambda: now[0], rng=random.Random(1),
                       outbox_backoff=Backoff(10, 300, jitter=0.5))
    job = finished_jobs(store, 1)[0]
    assert store.outbox.deliver_due().retry == 1
    assert store.outbox.deliver_due().delivered == 0  # not due yet
    now[0] += 10.01
    assert store.outbox.deliver_due().delivered == 1
    assert [e.key for e in sender.sent] == [job]
    assert store.journal.get(job).state is JobState.REPORTED
    store.close()


def test_resolving_before_the_uncertain_event_left_rewrites_it(store: PrintStore):
    job = finished_jobs(store, 3)[2]
    store.resolve(job, "not-printed", "teknisi-1")
    event = {e.key: e for e in store.outbox.events()}[job]
    assert (event.outcome, event.cause) == ("failed", "not-printed")
    store.outbox.sender = Flaky(0)
    store.outbox.deliver_due()
    assert store.journal.get(job).state is JobState.REPORTED
    assert [e.key for e in store.outbox.sender.sent].count(job) == 1


def test_resolving_after_the_uncertain_event_left_sends_a_second_event(store: PrintStore):
    job = finished_jobs(store, 3)[2]
    store.outbox.sender = sender = Flaky(0)
    store.outbox.deliver_due()
    assert store.journal.get(job).state is JobState.UNCERTAIN
    assert store.journal.get(job).uncertain_reported
    store.resolve(job, "printed", "teknisi-1")
    store.outbox.deliver_due()
    assert [(e.key, e.outcome) for e in sender.sent if e.job_id == job] == [
        (job, "uncertain"), (job + RESOLUTION_SUFFIX, "printed")]
    assert store.journal.get(job).state is JobState.REPORTED


class FailFor:
    """Refuses one key (transiently), records the rest."""

    def __init__(self, key: str):
        self.key = key
        self.sent: list[JobReport] = []

    def send(self, event: JobReport) -> None:
        if event.key == self.key:
            raise TransientDeliveryError("unreachable")
        self.sent.append(event)


def test_a_resolution_never_overtakes_the_uncertain_event(store: PrintStore):
    job = finished_jobs(store, 3)[2]
    store.outbox.sender = FailFor(job)
    store.outbox.deliver_due(now=float("inf"))  # the uncertain event was tried: it may have arrived
    assert store.outbox.status_of(job) == "pending"
    store.resolve(job, "printed", "teknisi-1")
    store.outbox.sender = sender = Flaky(0)
    # The resolution is due before the retry of the uncertain event, yet waits for it.
    store.outbox.deliver_due(now=float("inf"))
    assert store.journal.get(job).state is JobState.RESOLVED  # 'uncertain' is out, the answer is not yet
    store.outbox.deliver_due(now=float("inf"))
    assert [e.key for e in sender.sent if e.job_id == job] == [job, job + RESOLUTION_SUFFIX]
    assert store.journal.get(job).state is JobState.REPORTED


def test_the_worker_stops_when_asked(store: PrintStore):
    store.outbox.sender = Flaky(0)
    store.outbox.start(idle_wait_s=30)
    job = finished_jobs(store, 1)[0]  # the enqueue wakes the worker; no 30 s wait
    assert store.outbox.drain(timeout_s=10)
    assert store.outbox.stop(timeout_s=5)
    assert store.journal.get(job).state is JobState.REPORTED
    assert store.outbox.worker_error is None


@pytest.mark.parametrize("status", ["pending", "delivered"])
def test_resolution_keys_never_collide(store: PrintStore, status: str):
    job = finished_jobs(store, 3)[2]
    if status == "delivered":
        store.outbox.sender = Flaky(0)
        store.outbox.deliver_due()
    store.resolve(job, "printed", "teknisi-1")
    keys = [e.key for e in store.outbox.events() if e.job_id == job]
    assert len(keys) == len(set(keys)) == (1 if status == "pending" else 2)
