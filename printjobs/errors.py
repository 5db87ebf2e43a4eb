"""Typed errors of the print-jobs layer: callers turn each into a state or a message, never a crash."""

from __future__ import annotations


class PrintJobError(Exception):
    """Base of every error raised by :mod:`printjobs`."""


class JournalError(PrintJobError):
    """The journal database cannot be used."""


class JournalCorrupt(JournalError):
    """``PRAGMA integrity_check`` did not answer ``ok``: the kiosk must not print until a technician looks."""


class SchemaTooNew(JournalError):
    """The journal was written by a newer version of the software; refusing to guess its layout."""


class UnknownJob(PrintJobError):
    """No job with this id is in the journal."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        super().__init__(f"no such job: {job_id}")


class IllegalTransition(PrintJobError):
    """A job was asked to move to a state its current state does not lead to."""

    def __init__(self, job_id: str, current: str, target: str):
        self.job_id, self.current, self.target = job_id, current, target
        super().__init__(f"job {job_id}: {current} -> {target} is not allowed")


class DocumentGone(PrintJobError):
    """The encrypted bytes of a job are missing or cannot be decrypted (another process, or after a restart)."""


class PrinterBlocked(PrintJobError):
    """A consumable of this printer is empty; its documents are unavailable until a reload."""

    def __init__(self, printer: str, empty: list[str]):
        self.printer, self.empty = printer, empty
        super().__init__(f"{printer}: empty {', '.join(empty)}")


class FetchFailed(PrintJobError):
    """The fetch callable could not deliver verified bytes; ``cause`` is a short machine word."""

    def __init__(self, cause: str, message: str = ""):
        self.cause = cause
        super().__init__(message or cause)


class DeliveryError(PrintJobError):
    """An :class:`~printjobs.outbox.EventSender` could not deliver an event."""


class TransientDeliveryError(DeliveryError):
    """Try again later (unreachable, timeout, 5xx)."""


class PermanentDeliveryError(DeliveryError):
    """The receiver refused the event for good; retrying cannot help (kept as rejected, visible in the backlog)."""


class AuditError(PrintJobError):
    """The audit log or its key cannot be used."""
