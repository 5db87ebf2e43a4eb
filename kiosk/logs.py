"""Structured logging: one event per line, never a NIK, PIN, token or name.

Call sites log events with fields (``log.info("print.done", extra={"fields": {...}})``) and never
personal data. As a second line of defence every record passes through :class:`Redactor`, which masks
anything that looks like a NIK (16 digits), a PIN (6 digits standing alone) or a bearer token.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import Any, TextIO

from central.vocabulary import PIN_DIGITS

# Digits a NIK may be written with: 16 in a row, or grouped by single spaces, dashes or dots
# ("3273 0217 0885 0001", "32-73-02-170885-0001").
_NIK = re.compile(r"(?<![\d.-])\d(?:[ .-]?\d){15}(?![\d]|[ .-]\d)")
#: A UUID (a job's, a call's, an event's id), grouped or as 32 hex digits: sixteen of its digits can stand in a
#: row ("295e5554-7436-4802-8506-bdc2e65ff5cd", about one id in a thousand); that is not a NIK.
_UUID = re.compile(r"(?<![\w-])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})(?![\w-])")


def _nik_outside_uuids(text: str) -> str:
    """Mask NIKs in ``text``, leaving UUIDs whole."""
    out, start = [], 0
    for uuid in _UUID.finditer(text):
        out += [_NIK.sub("<nik>", text[start:uuid.start()]), uuid.group()]
        start = uuid.end()
    out.append(_NIK.sub("<nik>", text[start:]))
    return "".join(out)


_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1<token>"),
    (re.compile(r"(?i)((?:token|pin|password|secret)[\"']?\s*[:=]\s*[\"']?)[^\s,\"'}]+"), r"\1<redacted>"),
    # Six digits standing alone; a sentence's full stop or comma after them does not make them a number.
    (re.compile(rf"(?<![\w.:-])\d{{{PIN_DIGITS}}}(?![\w:-]|[.,]\w)"), f"<{PIN_DIGITS}digits>"),
]


def redact(text: str) -> str:
    """Mask NIK-like, PIN-like and token-like substrings."""
    text = _nik_outside_uuids(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redactor(logging.Filter):
    """Rewrites each record's message and fields through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks may quote arguments; keep the type, redact the text.
            exc = record.exc_info[1]
            record.exc_text = f"{type(exc).__name__}: {redact(str(exc))}"
            record.exc_info = None
        return True


#: syslog priorities (what ``journalctl -p`` filters on) of Python's levels.
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def priority(levelno: int) -> int:
    """The syslog priority of a Python log level: CRITICAL 2 (crit) ... INFO 6 (info), DEBUG 7."""
    return next((prio for level, prio in _PRIORITY if levelno >= level), 7)


def to_journald(stream: Any) -> bool:
    """Whether ``stream`` is the journal stream systemd connected (``$JOURNAL_STREAM`` names its device:inode)."""
    wanted = os.environ.get("JOURNAL_STREAM", "")
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # a StringIO, a closed stream
        return False
    return wanted == f"{info.st_dev}:{info.st_ino}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, and the record's fields.

    With ``journald``, each line starts with its syslog priority (``<3>`` for an error): journald reads it as
    the entry's PRIORITY and strips it (SyslogLevelPrefix=, on by default), so ``journalctl -p err`` shows
    the errors and ``journalctl -o cat`` is still one JSON object per line."""

    def __init__(self, *, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        line = self._json(record)
        return f"<{priority(record.levelno)}>{line}" if self.journald else line

    def _json(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``LEVEL logger event key=value ...`` for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{record.levelname:<7} {record.name} {record.getMessage()}"
        if tail:
            line += " " + tail
        if record.exc_text:
            line += f" error={record.exc_text}"
        return line


def setup_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> logging.Handler:
    """Install one redacting handler on the root logger; returns it (tests add their own streams)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor())
    handler.setFormatter(JsonFormatter(journald=to_journald(stream)) if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_adm_kiosk", False):
            root.removeHandler(old)
    handler._adm_kiosk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event: ``event(log, "print.done", job=job_id, pages=2)``."""
    logger.log(level, name, extra={"fields": fields})
