"""The pipeline with the shipped simulated printers: outcomes, events, consumables, audit, encrypted bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.simulated import SimulatedCardPrinter, SimulatedDocumentPrinter
from printjobs.errors import DocumentGone, FetchFailed, IllegalTransition, PrinterBlocked
from printjobs.journal import JobState
from printjobs.pipeline import FetchedDocument, PrintPipeline
from printjobs.store import PrintStore
from tests.factories import NAME, NIK, make_pdf, simulated_printers


@pytest.fixture
def printers(tmp_path: Path) -> dict:
    return simulated_printers(tmp_path)


@pytest.fixture
def pipeline(store: PrintStore, printers: dict) -> PrintPipeline:
    return PrintPipeline(store, printers, submit_timeout_s=10)


def a4(document: bytes):
    return lambda job_id: FetchedDocument([document])


def outputs(printer) -> list[str]:
    return sorted(p.name for p in printer.output_dir.glob("*") if not p.name.startswith("."))


def test_an_a4_document_prints_once_and_its_event_waits(pipeline: PrintPipeline, printers: dict, store: PrintStore):
    store.reload("document_printer", "paper", 100, technician="t")
    claimed = []

    def fetch(job_id: str) -> FetchedDocument:
        claimed.append(job_id)
        assert store.journal.get(job_id).state is JobState.CREATED  # committed before the server is asked
        return FetchedDocument([make_pdf(pages=2)])

    outcome = pipeline.run(document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK,
                           fetch=fetch)
    job = outcome.job
    assert claimed == [job.job_id]
    assert job.state is JobState.PRINTED
    assert outputs(printers["document_printer"]) == [f"{job.job_id}-1.pdf"]
    assert [(e.key, e.outcome, e.counters) for e in store.outbox.events()] == [(job.job_id, "printed", {"pages": 2})]
    assert store.consumables.get("document_printer", "paper").level == 98
    assert store.documents.job_ids() == []  # bytes gone once the job left SENDING
    assert [e.kind for e in store.audit.entries()] == ["technician"]  # the reload; A4 paper is not blanko


def test_sending_is_committed_before_the_first_byte(pipeline: PrintPipeline, printers: dict, store: PrintStore):
    seen = []
    device = printers["document_printer"]
    original = device.submit

    def submit(job, progress=None, timeout=None):
        seen.append(store.journal.get(job.job_id).state)
        assert store.documents.job_ids() == [job.job_id]  # still held, encrypted, while sending
        return original(job, progress, timeout)

    device.submit = submit
    pipeline.run(document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK,
                 fetch=a4(make_pdf()))
    assert seen == [JobState.SENDING]


def test_a_card_is_audited_as_issued(pipeline: PrintPipeline, printers: dict, store: PrintStore, card_png: bytes):
    outcome = pipeline.run(document_id="doc-k", document_type="KTP-el", kind="card", printer="card_printer", nik=NIK,
                           fetch=lambda job_id: FetchedDocument([card_png, card_png]))
    assert outcome.job.state is JobState.PRINTED
    assert len(outputs(printers["card_printer"])) == 2  # front and back of one card
    assert [(e.kind, e.body["job_id"]) for e in store.audit.entries()] == [("card_issued", outcome.job.job_id)]


def test_a_jammed_card_is_failed_spoiled_and_audited(store: PrintStore, tmp_path: Path, card_png: bytes):
    store.reload("card_printer", "blanko", 50, technician="t")
    printer = SimulatedCardPrinter("card", tmp_path / "out", jam_after=0)
    pipeline = PrintPipeline(store, {"card_printer": printer})
    outcome = pipeline.run(document_id="doc-k", document_type="KTP-el", kind="card", printer="card_printer", nik=NIK,
                           fetch=lambda job_id: FetchedDocument([card_png, card_png]))
    assert (outcome.job.state, outcome.job.cause) == (JobState.FAILED, "media-jam")
    spoiled = [e.body for e in store.audit.entries() if e.kind == "card_spoiled"]
    assert [(s["cause"], s["job_id"]) for s in spoiled] == [("damaged", outcome.job.job_id)]
    assert store.consumables.get("card_printer", "blanko").level == 49
    assert [e.outcome for e in store.outbox.events()] == ["failed"]


def test_an_offline_printer_fails_the_job_without_output(store: PrintStore, tmp_path: Path):
    printer = SimulatedDocumentPrinter("a4", tmp_path / "out", fault="offline")
    outcome = PrintPipeline(store, {"document_printer": printer}).run(
        document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK, fetch=a4(make_pdf()))
    assert (outcome.job.state, outcome.job.cause) == (JobState.FAILED, "offline-report")
    assert outputs(printer) == []


def test_a_printer_that_dies_mid_job_makes_it_uncertain(store: PrintStore, tmp_path: Path):
    printer = SimulatedDocumentPrinter("a4", tmp_path / "out", fail_after=1)
    outcome = PrintPipeline(store, {"document_printer": printer}).run(
        document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK,
        fetch=a4(make_pdf(pages=3)))
    assert outcome.job.state is JobState.UNCERTAIN  # a sheet came out: a person must look
    assert [e.outcome for e in store.outbox.events()] == ["uncertain"]


def test_a_timeout_makes_the_job_uncertain(store: PrintStore, tmp_path: Path):
    printer = SimulatedDocumentPrinter("a4", tmp_path / "out", seconds_per_page=5)
    outcome = PrintPipeline(store, {"document_printer": printer}, submit_timeout_s=0.2).run(
        document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK, fetch=a4(make_pdf()))
    assert (outcome.job.state, outcome.job.cause) == (JobState.UNCERTAIN, "timed-out")


def test_a_failed_fetch_releases_the_claim(pipeline: PrintPipeline, store: PrintStore, printers: dict):
    def fetch(job_id: str) -> FetchedDocument:
        raise FetchFailed("bad-signature")

    outcome = pipeline.run(document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK,
                           fetch=fetch)
    assert (outcome.job.state, outcome.job.cause) == (JobState.FAILED, "fetch:bad-signature")
    assert [(e.outcome, e.cause) for e in store.outbox.events()] == [("failed", "fetch:bad-signature")]
    assert outputs(printers["document_printer"]) == []


def test_a_blocked_printer_creates_no_job(pipeline: PrintPipeline, store: PrintStore):
    store.reload("card_printer", "ribbon", 0, technician="t")
    with pytest.raises(PrinterBlocked):
        pipeline.run(document_id="doc-k", document_type="KTP-el", kind="card", printer="card_printer", nik=NIK,
                     fetch=lambda job_id: pytest.fail("must not fetch"))
    assert store.journal.jobs() == []


def test_the_spool_holds_only_ciphertext(store: PrintStore):
    job = store.create_job("doc-1", "KK", "a4", "document_printer", NIK).job_id
    store.fetched(job, [make_pdf()])
    blob = (store.documents.directory / f"{job}.enc").read_bytes()
    assert NAME.encode() not in blob and b"%PDF" not in blob
    assert store.documents.get(job) == [make_pdf()]
    # A restarted process has a new key: what is left cannot be read, and recovery removes it.
    store.close()
    again = PrintStore(store.state_dir)
    with pytest.raises(DocumentGone):
        again.documents.get(job)
    again.recover()
    assert again.documents.job_ids() == []
    again.close()


def test_documents_fetched_ahead_print_one_after_another(pipeline: PrintPipeline, store: PrintStore, printers: dict):
    prepared = [pipeline.prepare(document_id=f"doc-{i}", document_type="KK", kind="a4", printer="document_printer",
                                 nik=NIK, fetch=a4(make_pdf())).job for i in range(2)]
    assert [job.state for job in prepared] == [JobState.FETCHED] * 2
    assert store.documents.job_ids() == sorted(job.job_id for job in prepared)
    for job in prepared:
        assert pipeline.print_job(job.job_id).job.state is JobState.PRINTED
    assert len(outputs(printers["document_printer"])) == 2
    with pytest.raises(IllegalTransition):  # printed once; asking again is refused, nothing is sent
        pipeline.print_job(prepared[0].job_id)
    assert len(outputs(printers["document_printer"])) == 2


def test_a_job_left_sending_is_never_touched_again(pipeline: PrintPipeline, store: PrintStore, printers: dict):
    job = pipeline.prepare(document_id="doc-1", document_type="KK", kind="a4", printer="document_printer", nik=NIK,
                           fetch=a4(make_pdf())).job
    store.sending(job.job_id)
    store.documents.delete(job.job_id)  # as after a crash: the bytes are gone, the job may be on paper
    with pytest.raises(IllegalTransition):
        pipeline.print_job(job.job_id)
    assert store.journal.get(job.job_id).state is JobState.SENDING  # recovery, not the pipeline, decides
    assert outputs(printers["document_printer"]) == []
