"""The login readers as the kiosk sees them: configured from config.yaml through the registry, built into
their own fields of Devices, the simulated ones behaving as the real ones do; the card profiles."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from devices import registry
from devices.base import (
    SECURITY_MODULE_MISSING,
    CardAbsent,
    CardPresence,
    CardReader,
    CardUnreadable,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    FingerOutcome,
    FingerprintReader,
    SelfTestLevel,
)
from devices.cardprofile import DemoCardProfile, KtpElProfile, card_profile
from devices.fingerprint import LibfprintReader
from devices.pcsc import PcscCardReader
from devices.simulated_login import UNREADABLE, SimulatedCardReader, SimulatedFingerprintReader
from kiosk.config import ConfigError
from kiosk.hardware import build_devices, device_reports
from tests.devices.test_dev_registry import parse

ROOT = Path(__file__).resolve().parents[2]
NIK = "3174015708900002"


def test_both_readers_are_kinds_with_their_own_config_keys_and_fields(config_data):
    names = {kind.name: kind for kind in registry.kinds()}
    assert names["card_reader"].protocol is CardReader and names["fingerprint_reader"].protocol is FingerprintReader
    config_data["devices"]["card_reader"] = {"driver": "pcsc", "reader": "ACS", "profile": "ktp-el",
                                             "security_module": "dukcapil_sam:security_module"}
    config_data["devices"]["fingerprint_reader"] = {"driver": "libfprint", "device": "goodix"}
    devices = build_devices(parse(config_data))  # builds only: no pcscd, no reader needed
    assert isinstance(devices.card_reader, PcscCardReader) and isinstance(devices.card_reader.profile, KtpElProfile)
    assert isinstance(devices.fingerprint_reader, LibfprintReader)
    assert devices.card_reader in devices.all() and devices.fingerprint_reader in devices.all()
    assert "card_reader" not in devices.others


def test_the_readers_are_optional_and_a_wrong_key_is_reported(config_data):
    config_data["devices"].pop("card_reader", None)
    config_data["devices"].pop("fingerprint_reader", None)
    devices = build_devices(parse(config_data))
    assert devices.card_reader is None and devices.fingerprint_reader is None
    config_data["devices"]["card_reader"] = {"driver": "pcsc", "profile": "ktp-el", "sam": "x"}
    with pytest.raises(ConfigError) as caught:
        parse(config_data)
    assert "devices.card_reader" in str(caught.value)


def test_simulated_readers_report_in_the_diagnostics(config_data):
    config_data["devices"]["card_reader"] = {"driver": "simulated"}
    config_data["devices"]["fingerprint_reader"] = {"driver": "simulated", "fault": "offline"}
    reports = {r.kind: r for r in device_reports(build_devices(parse(config_data)))}
    assert reports["card_reader"].state == "READY" and reports["card_reader"].message.endswith("no card")
    assert reports["fingerprint_reader"].state == "OFFLINE"


def test_the_simulated_card_reader_notices_cards_and_reads_them_as_the_real_one():
    reader = SimulatedCardReader("card_reader")
    events: list[CardPresence] = []
    reader.start(events.append)
    with pytest.raises(CardAbsent):
        reader.read_nik()
    reader.place(NIK)
    assert reader.read_nik() == NIK and reader.self_test(SelfTestLevel.EXTERNAL).passed
    reader.place(UNREADABLE)
    with pytest.raises(CardUnreadable):
        reader.read_nik()
    reader.remove()
    assert events == [CardPresence.PLACED, CardPresence.REMOVED, CardPresence.PLACED, CardPresence.REMOVED]
    reader.set_fault("offline")
    with pytest.raises(DeviceOffline):
        reader.read_nik()
    assert reader.status().state is DeviceState.OFFLINE
    slow = SimulatedCardReader("card_reader", seconds_per_read=5)
    slow.place(NIK)
    with pytest.raises(DeviceTimeout):
        slow.read_nik(timeout=0.05)


def test_the_simulated_fingerprint_reader_matches_retries_and_waits_for_a_finger():
    reader = SimulatedFingerprintReader("fingerprint_reader")
    threading.Timer(0.05, reader.touch, [b"alice"]).start()
    template = reader.capture(timeout=2)
    reader.touch_badly("too-short")
    reader.touch(b"bob")
    reader.touch(b"alice")
    results = [reader.verify(template, timeout=1) for _ in range(3)]
    assert [r.outcome for r in results] == [FingerOutcome.RETRY, FingerOutcome.NO_MATCH, FingerOutcome.MATCH]
    assert results[0].retry == "too-short"
    with pytest.raises(DeviceTimeout):
        reader.verify(template, timeout=0.05)
    reader.set_fault("offline")
    with pytest.raises(DeviceOffline):
        reader.verify(template, timeout=1)


def test_the_demo_card_profile_speaks_select_then_read_binary():
    sent: list[bytes] = []

    def card(apdu: bytes) -> bytes:
        sent.append(apdu)
        return NIK.encode() + b"\x90\x00" if apdu[1] == 0xB0 else b"\x90\x00"

    assert DemoCardProfile().read_nik(card) == NIK
    assert sent == [bytes.fromhex("00A4040007F0") + b"ADMKTP", bytes.fromhex("00B0000010")]


def test_the_ktp_el_profile_is_the_seam_for_the_security_module(monkeypatch, tmp_path):
    assert card_profile("ktp-el").problem().startswith("reading a KTP-el needs")
    with pytest.raises(CardUnreadable) as caught:
        card_profile("ktp-el").read_nik(lambda apdu: b"\x90\x00")
    assert caught.value.reason == SECURITY_MODULE_MISSING
    # A deployment's module: opens the chip's channel with its SAM, reads the NIK, returns it.
    (tmp_path / "acme_sam.py").write_text(
        "class Sam:\n"
        "    def read_nik(self, transmit):\n"
        "        return transmit(b'\\x00\\xb0\\x00\\x00\\x10')[:-2].decode()\n"
        "def security_module():\n"
        "    return Sam()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    profile = card_profile("ktp-el", "acme_sam:security_module")
    assert profile.read_nik(lambda apdu: NIK.encode() + b"\x90\x00") == NIK
    assert "cannot be loaded" in card_profile("ktp-el", "no_such_sam").problem()


def test_adm_kiosk_devices_self_tests_both_readers(config_data, tmp_path, capsys):
    """``adm-kiosk devices --self-test``: each configured reader with its internal self-test; a reader that is
    not there (no pcscd, no libfprint device here) fails with why, the simulated ones pass."""
    import json

    import yaml

    from kiosk.cli import main

    config_data["devices"]["card_reader"] = {"driver": "pcsc", "profile": "adm-demo"}
    config_data["devices"]["fingerprint_reader"] = {"driver": "simulated"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_data))
    assert main(["devices", "--config", str(path), "--self-test", "--json"]) == 0
    tests = {t["kind"]: t for t in json.loads(capsys.readouterr().out)["self_tests"]}
    assert tests["fingerprint_reader"]["passed"] is True
    # whether pcscd answers here or not, the reader is tested and says how it went
    assert tests["card_reader"]["driver"] == "pcsc" and tests["card_reader"]["detail"]
    assert main(["devices", "--config", str(path), "--self-test"]) == 0
    text = capsys.readouterr().out
    assert "self-tests (internal):" in text and "card_reader (card_reader, pcsc): " in text
    assert "fingerprint_reader (fingerprint_reader, simulated): passed" in text
