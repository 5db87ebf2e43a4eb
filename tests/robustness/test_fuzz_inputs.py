"""Fuzzing what comes from outside on the kiosk itself: the NIK keypad, barcode scans, config.yaml.

Each either works or ends in the one typed error meant for it (InvalidNik, a dropped scan, ConfigError):
never another exception, never a half-accepted value.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.barcode import ScanSanitizer
from devices.simulated import SimulatedBarcodeReader
from kiosk.config import Config, ConfigError, load_config
from kiosk.flow import Flow, LoginQrScanned, Media, NikSubmitted, PrinterAvailability, Screen, StartPressed
from kiosk.nik import InvalidNik, Nik, NikProblem, parse_nik
from kiosk.runtime import scan_event
from tests.factories import examples

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "config.yaml").read_text(encoding="utf-8")
UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
digits16 = st.text(alphabet="0123456789", min_size=16, max_size=16)
keypad = st.text(alphabet="0123456789 ", max_size=24)
nik_like = st.one_of(digits16, keypad, st.text(max_size=40), st.from_regex(r"\A3[1-6][0-9]{2}0[1-9][0-7][0-9]{9}\Z"))


# --------------------------------------------------------------------------- NIK
@given(nik_like)
def test_parse_nik_returns_a_well_formed_nik_or_raises_invalid_nik(text: str):
    try:
        nik = parse_nik(text)
    except InvalidNik as exc:
        assert isinstance(exc.problem, NikProblem)
        assert len(text.strip()) < 8 or text.strip() not in str(exc)  # the NIK never ends up in the message
        return
    assert isinstance(nik, Nik)
    assert len(nik.digits) == 16 and nik.digits.isascii() and nik.digits.isdigit()
    assert nik.digits == text.strip().replace(" ", "")
    assert nik.digits not in repr(nik)


@given(nik_like)
def test_nik_submitted_either_moves_on_with_the_nik_or_stays_with_a_plain_message(text: str):
    flow = Flow()
    state, _ = flow.handle(flow.initial(UP), StartPressed(now=1))
    state, effects = flow.handle(state, NikSubmitted(now=2, text=text))
    assert effects == []  # a NIK alone never reaches the network
    if state.screen is Screen.PIN_ENTRY:
        assert state.nik == parse_nik(text) and state.message is None
    else:
        assert state.screen is Screen.NIK_ENTRY and state.nik is None
        assert state.message is not None and state.message.key.startswith("nik.")


# --------------------------------------------------------------------------- barcode scans
@given(st.binary(max_size=700), st.sampled_from([b"\r", b"\n", b"\r\n", b"\t"]), st.integers(16, 600))
def test_the_sanitizer_only_ever_delivers_printable_ascii_within_the_cap(data: bytes, terminator: bytes, cap: int):
    sanitizer = ScanSanitizer(max_length=cap, terminator=terminator, partial_timeout_s=None)
    for scan in sanitizer.feed(data + terminator):
        assert scan and len(scan) <= cap
        assert all(0x20 <= ord(ch) <= 0x7E for ch in scan)


@given(st.lists(st.binary(max_size=60), max_size=12), st.integers(0, 10_000))
def test_chunking_does_not_change_what_the_sanitizer_delivers(pieces: list[bytes], seed: int):
    stream = b"\r".join(pieces) + b"\r"
    whole = ScanSanitizer(max_length=64, partial_timeout_s=None).feed(stream)
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(len(stream) + 1), min(5, len(stream) + 1)))
    chunked_sanitizer = ScanSanitizer(max_length=64, partial_timeout_s=None)
    chunked = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        chunked += chunked_sanitizer.feed(stream[start:end])
    assert chunked == whole


@given(st.binary(max_size=600) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_a_scan_through_the_simulated_reader_becomes_a_known_flow_event(raw: bytes):
    reader = SimulatedBarcodeReader("front", max_length=512)
    seen: list[str] = []
    reader.start(seen.append)
    delivered = reader.inject(raw)
    assert delivered == seen
    for scan in delivered:
        event = scan_event(scan)
        if isinstance(event, LoginQrScanned):
            assert event.token and event.token in scan
        flow = Flow()
        state, effects = flow.handle(flow.initial(UP), event)
        assert state.screen in (Screen.ATTRACT, Screen.NIK_ENTRY)
        assert len(effects) <= 1


def test_a_scan_cut_short_or_overlong_is_dropped_whole_not_trimmed():
    reader = SimulatedBarcodeReader("front", max_length=32)
    assert reader.inject(b"A" * 33) == []
    assert reader.inject(b"ANTRI-0901\x00") == []
    assert reader.inject(b"ANTRI-0901") == ["ANTRI-0901"]
    assert reader.status().counters["dropped"] == 2


# --------------------------------------------------------------------------- config.yaml
def _load(tmp_path: Path, text: str | bytes) -> Config | None:
    path = tmp_path / "config.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        return load_config(path)
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return None


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
yaml_values = st.recursive(yaml_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)
sections = st.dictionaries(st.sampled_from(["kiosk", "central", "devices", "storage", "consumables", "technician",
                                            "logging", "metrics", "other"]), yaml_values, max_size=6)


@settings(max_examples=examples(100), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(yaml_values | sections)
def test_random_yaml_documents_give_a_config_error_or_a_config(tmp_path: Path, document):
    assert _load(tmp_path, yaml.safe_dump(document, allow_unicode=True)) is None or isinstance(document, dict)


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["delete", "insert", "replace", "duplicate_line", "drop_line", "indent",
                                           "bytes"]),
                          st.integers(0, 10**6), st.text(max_size=6)), min_size=1, max_size=4))
def test_mutations_of_the_shipped_config_give_a_config_error_or_a_config(tmp_path: Path, mutations):
    text: str | bytes = SHIPPED
    for kind, where, insert in mutations:
        if isinstance(text, bytes):
            break
        lines = text.splitlines(keepends=True)
        at, line = where % max(1, len(text)), where % max(1, len(lines))
        if kind == "delete":
            text = text[:at] + text[at + 1 + where % 5:]
        elif kind == "insert":
            text = text[:at] + insert + text[at:]
        elif kind == "replace":
            text = text[:at] + (insert or ":") + text[at + len(insert or ":"):]
        elif kind == "duplicate_line":
            text = "".join(lines[: line + 1] + lines[line:])
        elif kind == "drop_line":
            text = "".join(lines[:line] + lines[line + 1:])
        elif kind == "indent":
            text = "".join(lines[:line] + [" " * (1 + where % 3) + lines[line]] + lines[line + 1:])
        else:
            raw = text.encode()
            text = raw[:at] + bytes([where % 256]) + raw[at:]
    config = _load(tmp_path, text)
    assert config is None or isinstance(config, Config)


def test_the_shipped_config_itself_loads(tmp_path: Path):
    assert isinstance(_load(tmp_path, SHIPPED), Config)
