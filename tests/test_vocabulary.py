"""One vocabulary: the words the kiosk and the service share are spelled once, in ``central.vocabulary``.

The media ("a4", "card"), the PIN's and the NIK's lengths, the booking-code and holder patterns: a second
spelling of any of them in the shipped code is how a later change (an eight-digit PIN, a new media) misses
a place. The journal's first migration keeps its shipped CHECK constraint: migrations are never edited.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from central import contract as c
from central import vocabulary as v
from kiosk.scans import ScanKind, classify
from kiosk.service_model import booking_code

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("kiosk", "devices", "printjobs", "central")
HOME = ROOT / "central" / "vocabulary.py"

#: Second spellings: the media as string literals, fixed-length digit patterns, the booking prefix in a regex,
#: and the lengths compared by hand.
SECOND_SPELLINGS = {
    "media literal": re.compile(r"""["'](a4|card)["']"""),
    "digit count in a pattern": re.compile(r"(\\d|\[0-9\])\{(6|16)\}"),
    "booking pattern": re.compile(r"ANTRI-\["),
    "length compared by hand": re.compile(r"len\([^)]*\)\s*[!=<>]=?\s*(6|16)\b"),
}
#: Where a spelling is not the shared word: (file, the line's text).
ALLOWED = {
    ("printjobs/db.py", "kind TEXT NOT NULL CHECK (kind IN ('a4', 'card')),"),  # a shipped migration
}


def shipped_sources() -> list[Path]:
    return sorted(p for package in SHIPPED for p in (ROOT / package).rglob("*") if p.suffix in (".py", ".kv"))


def test_the_shared_words_are_spelled_once():
    found = []
    for path in shipped_sources():
        if path == HOME:
            continue
        rel = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0] if path.suffix == ".py" else line
            for what, pattern in SECOND_SPELLINGS.items():
                if pattern.search(code) and (rel, line.strip()) not in ALLOWED:
                    found.append(f"{rel}:{number}: {what}: {line.strip()}")
    assert found == []


def test_the_scanner_check_in_and_contract_take_the_same_booking_code_and_holder():
    holder = v.holder_digest("3273012001900001")
    assert re.fullmatch(v.HOLDER_PATTERN, holder)
    assert classify(f"https://adm.example/masuk?t={'a' * 20}&h={holder}").kind is ScanKind.LOGIN
    assert classify(f"https://adm.example/masuk?t={'a' * 20}&h={holder[:-1]}").kind is ScanKind.UNKNOWN
    for code in ("ANTRI-0901", "ANTRI-AB12CD"):
        assert classify(code).kind is ScanKind.BOOKING and booking_code(code) == code
        c.QueueCheckIn(booking_code=code)
    assert classify("ANTRI-0").kind is ScanKind.UNKNOWN and booking_code("ANTRI-0") is None


@pytest.mark.parametrize("code,media", [("a4", v.Media.A4), ("card", v.Media.CARD), ("poster", None)])
def test_a_catalogue_media_is_known_or_none(code: str, media: v.Media | None):
    assert v.known_media(code) is media


def test_the_contract_re_exports_the_words_it_is_built_on():
    assert c.Media is v.Media and c.PIN_PATTERN == v.PIN_PATTERN and c.holder_digest is v.holder_digest
    assert re.fullmatch(c.PIN_PATTERN, "0" * v.PIN_DIGITS) and not re.fullmatch(c.PIN_PATTERN, "0" * (v.PIN_DIGITS + 1))
