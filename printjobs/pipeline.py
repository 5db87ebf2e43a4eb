"""One document from the central service to a printer, with the journal around every step.

    prepare:   create (CREATED, committed) -> fetch(job_id) -> keep the bytes encrypted (FETCHED)
    print_job: SENDING (committed) -> printer.submit -> PRINTED | FAILED(cause) | UNCERTAIN,
               each with its event, consumables and audit entries in one transaction.

The fetch is a callable handed in by the kiosk (its central client claims the document for this job id
and verifies the signature), so this module never imports :mod:`kiosk`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from central.vocabulary import Media
from devices.base import (
    DOCUMENT_FORMAT_ERROR,
    CardJob,
    DeviceError,
    DeviceTimeout,
    DocumentJob,
    JobCancelled,
    JobFailed,
    JobResult,
    MediaJam,
    pdf_page_count,
)
from printjobs._log import event
from printjobs.audit import SpoilCause
from printjobs.errors import DocumentGone, FetchFailed, IllegalTransition
from printjobs.journal import DocumentKind, JobRecord, JobState
from printjobs.store import PrintStore

log = logging.getLogger("printjobs.pipeline")


class Printer(Protocol):
    """What the pipeline needs of a printer (``devices`` document and card printers fit)."""

    def submit(self, job: Any, progress: Callable[[float], None] | None = None,
               timeout: float | None = None) -> JobResult: ...


@dataclass(frozen=True)
class FetchedDocument:
    """Verified bytes of one document: ``[pdf]`` for A4, ``[front_png, back_png]`` for a card."""

    parts: list[bytes]


#: ``fetch(job_id)`` claims the document for that job at the central service and returns verified bytes;
#: it raises :class:`~printjobs.errors.FetchFailed` (cause: unreachable, timeout, bad-signature, ...).
Fetch = Callable[[str], FetchedDocument]


@dataclass(frozen=True)
class Outcome:
    """How one job ended in this process: the final record and, for FAILED/UNCERTAIN, the device's reason."""

    job: JobRecord
    reason: str | None = None


class PrintPipeline:
    """Runs jobs on named printers (e.g. ``document_printer``, ``card_printer``) against a :class:`PrintStore`."""

    def __init__(self, store: PrintStore, printers: Mapping[str, Printer], *, submit_timeout_s: float | None = None):
        self.store = store
        self.printers = dict(printers)
        self.submit_timeout_s = submit_timeout_s

    def run(
        self,
        *,
        document_id: str,
        document_type: str,
        kind: DocumentKind,
        printer: str,
        nik: str,
        fetch: Fetch,
        title: str = "",
        copies: int = 1,
        progress: Callable[[float], None] | None = None,
    ) -> Outcome:
        """Fetch and print one document: :meth:`prepare` then :meth:`print_job`."""
        prepared = self.prepare(document_id=document_id, document_type=document_type, kind=kind, printer=printer,
                                nik=nik, fetch=fetch)
        if prepared.job.state is not JobState.FETCHED:
            return prepared
        return self.print_job(prepared.job.job_id, title=title, copies=copies, progress=progress)

    def prepare(
        self, *, document_id: str, document_type: str, kind: DocumentKind, printer: str, nik: str, fetch: Fetch
    ) -> Outcome:
        """Create the job, fetch its verified bytes and keep them encrypted: FETCHED, or FAILED(fetch:cause).

        The kiosk may prepare every chosen document first and print them one after another. Raises
        :class:`~printjobs.errors.PrinterBlocked` (before any job exists) when a consumable is empty, and
        ``KeyError`` for a printer that is not configured.
        """
        if printer not in self.printers:
            raise KeyError(f"no printer named {printer!r}")
        kind = Media(kind)
        record = self.store.create_job(document_id, document_type, kind, printer, nik)
        job_id = record.job_id
        try:
            fetched = fetch(job_id)
        except FetchFailed as exc:
            return Outcome(self.store.failed(job_id, f"fetch:{exc.cause}"), exc.cause)
        except BaseException:
            self.store.failed(job_id, "fetch:error")  # nothing was sent: release the claim, then let it surface
            raise
        if len(fetched.parts) != (1 if kind is Media.A4 else 2):
            return Outcome(self.store.failed(job_id, "fetch:wrong-parts"), "wrong-parts")
        return Outcome(self.store.fetched(job_id, fetched.parts))

    def print_job(self, job_id: str, *, title: str = "", copies: int = 1,
                  progress: Callable[[float], None] | None = None) -> Outcome:
        """Send a FETCHED job to its printer: SENDING is committed first, then PRINTED, FAILED or UNCERTAIN.

        Every way out leaves the job with its event queued; nothing here ever sends a job a second time.
        """
        record = self.store.journal.get(job_id)
        if record.state is not JobState.FETCHED:  # never touch a job that may already be on paper
            raise IllegalTransition(job_id, record.state.value, JobState.SENDING.value)
        device = self.printers[record.printer]
        try:
            parts = self.store.documents.get(job_id)
            job = _device_job(job_id, record.kind, parts, title or record.document_type, copies)
        except (DocumentGone, ValueError) as exc:
            # Nothing reached the device (the bytes are gone, e.g. after a restart): a plain failure.
            return Outcome(self.store.failed(job_id, "document-unavailable"), type(exc).__name__)
        self.store.sending(job_id)
        sheets = pdf_page_count(parts[0]) * copies if record.kind is Media.A4 else 1
        seen = _Progress(progress)
        try:
            result = device.submit(job, seen, self.submit_timeout_s)
        except DeviceError as exc:
            return self._device_failed(job_id, record.kind, exc, seen.started)
        except BaseException:
            # A bug or an interrupt while the device may be printing: never leave it to print again.
            self.store.uncertain(job_id, "interrupted-while-sending")
            raise
        if record.kind is Media.A4:
            usage, counters = {"paper": result.pages or sheets}, {"pages": result.pages or sheets}
        else:
            usage, counters = {"blanko": 1, "ribbon": 1}, {"cards": 1}
        printed = self.store.printed(job_id, usage, counters)
        event(log, "print.done", job=job_id, kind=record.kind, pages=counters.get("pages", 0))
        return Outcome(printed)

    def _device_failed(self, job_id: str, kind: DocumentKind, exc: DeviceError, started: bool) -> Outcome:
        reason = exc.reason
        if isinstance(exc, DeviceTimeout):
            return Outcome(self.store.uncertain(job_id, reason), reason)
        explicit_failure = isinstance(exc, (MediaJam, JobFailed, JobCancelled))
        if exc.may_have_printed or started and not explicit_failure:
            # The device went away part-way: something may be in the tray. A person must look.
            return Outcome(self.store.uncertain(job_id, reason), reason)
        spoiled = None
        if kind is Media.CARD and isinstance(exc, MediaJam):
            spoiled = SpoilCause.DAMAGED
        elif kind is Media.CARD and isinstance(exc, JobFailed) and reason != DOCUMENT_FORMAT_ERROR:
            spoiled = SpoilCause.FAILED_PRINT
        usage = {"blanko": 1, "ribbon": 1} if spoiled else None
        event(log, "print.failed", level=logging.WARNING, job=job_id, reason=reason, started=started)
        return Outcome(self.store.failed(job_id, reason, spoiled=spoiled, usage=usage), reason)


class _Progress:
    """Passes progress on and remembers whether the device reported any (then paper or a card has moved)."""

    def __init__(self, downstream: Callable[[float], None] | None):
        self.downstream = downstream
        self.started = False

    def __call__(self, fraction: float) -> None:
        if fraction > 0:
            self.started = True
        if self.downstream is not None:
            self.downstream(fraction)


def _device_job(job_id: str, kind: DocumentKind, parts: list[bytes], title: str, copies: int) -> DocumentJob | CardJob:
    if kind is Media.A4:
        return DocumentJob(job_id, parts[0], title, copies)
    return CardJob(job_id, parts[0], parts[1], title)
