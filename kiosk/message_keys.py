"""Message keys that the code builds at run time, marked here so the extractor finds them.

``tr(f"reason.{word}")`` cannot be read from the source; gettext's answer is to mark such strings where
they are known with ``N_`` (a no-op). ``PLURALS`` names, for each plural message, the placeholder that
counts; the extractor writes it as that entry's ``msgid_plural`` in ``po/adm-kiosk.pot``.
"""

from __future__ import annotations


def N_(key: str) -> str:  # noqa: N802 - gettext's conventional name for "mark, do not translate yet"
    """Mark ``key`` for extraction; returns it unchanged."""
    return key


PLURALS = {
    "login.locked": "minutes",
    "tech.locked": "minutes",
    "done.logout": "seconds",
    "idle.body": "seconds",
    "queue.early": "minutes",
    "queue.early_hours": "hours",
    "speech.documents": "count",
    "officer.locked": "minutes",
    "officer.check_locked": "minutes",
}

#: Device reasons (IPP printer-state-reasons words and the kiosk's own) as the resident and technician read them.
REASONS = (
    N_("reason.blanko-empty"), N_("reason.blanko-low"), N_("reason.cover-open"), N_("reason.device-missing"),
    N_("reason.journal-corrupt"), N_("reason.library-missing"), N_("reason.media-empty"), N_("reason.media-jam"),
    N_("reason.media-low"), N_("reason.not-accepting-jobs"), N_("reason.not-installed"), N_("reason.offline"),
    N_("reason.offline-report"), N_("reason.other"), N_("reason.paused"), N_("reason.ribbon-empty"),
    N_("reason.ribbon-low"), N_("reason.slow"), N_("reason.timed-out"), N_("reason.toner-low"),
    N_("reason.card-absent"), N_("reason.card-unreadable"), N_("reason.security-module-missing"),
)
#: Why a document failed to print (``device.<reason>`` in DocProgress.error).
PRINT_FAILURES = (
    N_("device.blanko-empty"), N_("device.cover-open"), N_("device.media-empty"), N_("device.offline-report"),
    N_("device.ribbon-empty"), N_("device.timeout"),
)
#: One per flow Phase, DeviceState and VerifyOutcome value.
PHASES = (N_("phase.waiting"), N_("phase.fetching"), N_("phase.printing"), N_("phase.done"))
DEVICE_STATES = (N_("state.READY"), N_("state.BUSY"), N_("state.WARNING"), N_("state.NEEDS_ATTENTION"),
                 N_("state.OFFLINE"), N_("state.ERROR"))
VERIFY_OUTCOMES = (N_("verify.active"), N_("verify.active_detail"), N_("verify.superseded"),
                   N_("verify.superseded_detail"), N_("verify.unknown"), N_("verify.unknown_detail"))
#: The technician area's names of devices and consumables.
DEVICE_NAMES = (N_("device.name.card_printer"), N_("device.name.document_printer"), N_("device.name.receipt_printer"),
                N_("device.name.card_reader"), N_("device.name.fingerprint_reader"))
CONSUMABLES = (N_("consumable.blanko"), N_("consumable.paper"), N_("consumable.receipt"), N_("consumable.ribbon"))
#: The closed screen's next opening day (Monday 0 ... Sunday 6) and the four causes of a spoiled blanko.
WEEKDAYS = (N_("weekday.0"), N_("weekday.1"), N_("weekday.2"), N_("weekday.3"), N_("weekday.4"), N_("weekday.5"),
            N_("weekday.6"))
SPOIL_CAUSES = (N_("spoil.failed_encode"), N_("spoil.damaged"), N_("spoil.failed_print"), N_("spoil.data_changed"))
#: The call for help: the panel's words for each HelpStatus value (the button's are read from the source).
HELP_PANEL = (
    N_("help.sending.title"), N_("help.sending.body"), N_("help.sent.title"), N_("help.sent.body"),
    N_("help.already.title"), N_("help.already.body"), N_("help.failed.title"), N_("help.failed.body"),
)
