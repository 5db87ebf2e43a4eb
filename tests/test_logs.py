"""The log redactor, the second line of defence: whatever a call site writes, no NIK or PIN gets through."""

from __future__ import annotations

import io
import json
import logging
import uuid

from hypothesis import given
from hypothesis import strategies as st

from kiosk.logs import redact, setup_logging

_DIGIT = st.sampled_from("0123456789")
_SEP = st.sampled_from(["", " ", "-", "."])
#: Text around a secret: anything but digits and the separators a number may be written with.
_AROUND = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Nd", "Cs")).filter(
    lambda ch: ch not in " .-"), max_size=12)


@st.composite
def written_niks(draw: st.DrawFn) -> tuple[str, str]:
    """A 16-digit NIK and the way someone wrote it: in one run or grouped by spaces, dashes or dots."""
    digits = "".join(draw(st.lists(_DIGIT, min_size=16, max_size=16)))
    seps = draw(st.lists(_SEP, min_size=15, max_size=15))
    written = digits[0] + "".join(sep + digit for sep, digit in zip(seps, digits[1:], strict=True))
    return digits, written


def _digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@given(written_niks(), _AROUND, _AROUND)
def test_a_nik_is_masked_however_it_is_grouped(nik: tuple[str, str], before: str, after: str):
    digits, written = nik
    out = redact(f"{before} {written} {after}")
    assert digits not in _digits_only(out)


def test_the_usual_groupings_are_masked():
    for written in ("3273 0217 0885 0001", "3273-0217-0885-0001", "32.73.02.170885.0001", "327302 170885 0001"):
        assert redact(f"NIK {written} diterima") == "NIK <nik> diterima"


@given(st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.sampled_from(["PIN ", "pin: ", "kode ", "", "PIN Anda "]),
       st.sampled_from(["", ".", ",", "!", "?", ")", ". Terima kasih", ", lalu"]))
def test_a_pin_is_masked_even_before_punctuation(pin: str, lead: str, tail: str):
    assert pin not in redact(f"{lead}{pin}{tail}")


def test_numbers_that_are_not_secrets_stay_readable():
    for text in ("took 123456.7 ms", "v1.2.3 at 2026-12-02 03:14:10", "job ADM-123456", "port 8443"):
        assert redact(text) == text


def test_a_job_id_whose_middle_is_sixteen_digits_stays_whole():
    job = "295e5554-7436-4802-8506-bdc2e65ff5cd"  # a journal's job id that once came out as 295e<nik>-...
    assert redact(f"job.resolved job={job} resolution=printed") == f"job.resolved job={job} resolution=printed"
    # A NIK beside the id is still masked.
    assert redact(f"job={job} nik=3273-0217-0885-0001") == f"job={job} nik=<nik>"


@given(st.uuids(), written_niks())
def test_ids_stay_readable_and_niks_around_them_do_not(job: uuid.UUID, nik: tuple[str, str]):
    digits, written = nik
    for shown in (str(job), job.hex):
        out = redact(f"{written} job={shown}:{written}")
        assert shown in out and digits not in _digits_only(out.replace(shown, ""))


def test_an_id_of_32_hex_digits_stays_whole():
    call = "ab1234567890123456cdef0123456789"  # a help call's id (uuid4().hex) with sixteen digits in a row
    assert redact(f"help.called call={call}") == f"help.called call={call}"


def test_the_handler_masks_message_and_fields():
    stream = io.StringIO()
    handler = setup_logging("INFO", "json", stream)
    try:
        logging.getLogger("test.logs").info("kiriman PIN 654321.", extra={"fields": {"note": "3273 0217 0885 0001"}})
    finally:
        logging.getLogger().removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert "654321" not in entry["event"] and "0885" not in entry["note"]


def test_json_lines_carry_a_journald_priority_when_stderr_is_the_journal(tmp_path, monkeypatch):
    # systemd names the journal stream it gave the service in $JOURNAL_STREAM (device:inode); journald reads
    # a leading <N> as the entry's PRIORITY, so `journalctl -p err` shows the errors.
    import os

    log = logging.getLogger("tests.journald")
    with open(tmp_path / "journal-stream", "w+", encoding="utf-8") as stream:
        info = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{info.st_dev}:{info.st_ino}")
        handler = setup_logging("DEBUG", "json", stream=stream)
        try:
            log.critical("journal.unusable")
            log.error("outbox.rejected")
            log.warning("heartbeat.failed")
            log.info("kiosk.start")
            log.debug("detail")
        finally:
            logging.getLogger().removeHandler(handler)
        stream.seek(0)
        lines = stream.read().splitlines()
    assert [line[:3] for line in lines] == ["<2>", "<3>", "<4>", "<6>", "<7>"]
    assert [json.loads(line[3:])["event"] for line in lines] == [
        "journal.unusable", "outbox.rejected", "heartbeat.failed", "kiosk.start", "detail"]


def test_json_lines_elsewhere_have_no_priority_prefix(monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "1:1")
    stream = io.StringIO()
    handler = setup_logging("INFO", "json", stream=stream)
    try:
        logging.getLogger("tests.journald").error("outbox.rejected")
    finally:
        logging.getLogger().removeHandler(handler)
    assert json.loads(stream.getvalue())["event"] == "outbox.rejected"
