"""Document verification (green, yellow, red) from QR scans arriving as bytes, and 'Lupa PIN?' whose
answer is the same whether the NIK is registered or not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import (
    BackPressed,
    EnterPinPressed,
    ForgotPinPressed,
    NikSubmitted,
    PinRequestSubmitted,
    Screen,
    StartPressed,
    VerifyPressed,
)
from kiosk.service_model import VerifyOutcome

UNREGISTERED_NIK = "3273021708859999"  # well formed, nobody's


def verify_url(kiosk, code: str) -> bytes:
    return f"https://adm-central.example.go.id/v1/verify/{code}".encode()


@pytest.mark.parametrize("kind", ["active", "superseded", "unknown"])
def test_each_verification_colour_from_a_scanned_document(kiosk, kind: str):
    codes = kiosk.central.summary["verify_codes"]
    code = codes[kind][0] if kind != "unknown" else "0123456789ABCDEF"
    kiosk.do(VerifyPressed)
    kiosk.scan(verify_url(kiosk, code))
    state = kiosk.wait(lambda s: s.verification is not None, "the verification answer")
    info = state.verification
    assert state.screen is Screen.VERIFY and info.outcome is VerifyOutcome(kind)
    assert info.masked_name == ""  # no personal data comes back
    if kind == "unknown":
        assert (info.document_type, info.issued) == ("", "")
    else:
        seeded = {d["type"] for r in kiosk.central.summary["residents"] for d in r["documents"]}
        assert info.document_type in seeded
        assert info.title and info.title_en  # the service's titles, whatever the type
        assert len(info.issued) == 10 and info.version >= 1
    if kind == "superseded":
        assert info.document_type == "kk"  # the seed's replaced KK
        assert (info.title_in("id"), info.title_in("en")) == ("Kartu Keluarga", "Family Card (KK)")


def test_a_document_scan_on_the_attract_screen_verifies_at_once(kiosk):
    kiosk.scan(verify_url(kiosk, kiosk.central.summary["verify_codes"]["active"][0]))
    state = kiosk.wait(lambda s: s.verification is not None, "the verification answer")
    assert state.screen is Screen.VERIFY and state.verification.outcome is VerifyOutcome.ACTIVE


def test_scanner_garbage_and_other_codes_on_the_verify_screen_are_harmless(kiosk):
    kiosk.do(VerifyPressed)
    kiosk.scan(b"\x07\x08https://evil.example/verify/AAAA\x7f")
    kiosk.settle(0.4)
    assert (kiosk.state.screen, kiosk.state.message, kiosk.state.busy) == (Screen.VERIFY, None, False)
    kiosk.scan(b"ANTRI-0901")  # a booking is no document: a message, no check-in
    state = kiosk.wait(lambda s: s.message is not None, "the wrong-scan message")
    assert (state.screen, state.message.key, state.verification, state.busy) == (
        Screen.VERIFY, "verify.scan_wrong", None, False)
    kiosk.settle(0.3)
    assert not list(kiosk.receipts.glob("receipt-*"))


def pin_reset_answer(kiosk, nik: str):
    kiosk.do(StartPressed)
    kiosk.do(NikSubmitted, text=nik)
    kiosk.do(ForgotPinPressed)
    assert kiosk.state.screen is Screen.PIN_RESET
    kiosk.do(PinRequestSubmitted, text=nik)
    state = kiosk.wait(lambda s: not s.busy and s.message is not None, "the PIN request answer")
    return state


def test_pin_request_answer_is_the_same_for_a_known_and_an_unknown_nik(kiosk):
    store = kiosk.central_store()
    store.set_setting("pin_request_cooldown_s", "0")  # the seed just issued PINs
    store.close()
    before = len(kiosk.central.outbox())
    known = pin_reset_answer(kiosk, kiosk.central.resident("ready")["nik"])
    kiosk.do(BackPressed)
    kiosk.do(BackPressed)
    kiosk.do(BackPressed)
    assert kiosk.state.screen is Screen.ATTRACT
    unknown = pin_reset_answer(kiosk, UNREGISTERED_NIK)
    assert known.message == unknown.message
    assert known.message.key == "pin_reset.sent"
    # Apart from the NIK itself (shown masked to the one who typed it) and the clock, the states are equal.
    strip = {"nik": None, "last_activity": 0.0}
    assert replace(known, **strip) == replace(unknown, **strip)
    # Only the registered resident got a WhatsApp message.
    sent = kiosk.central.outbox()[before:]
    assert len(sent) == 1 and sent[0].number == kiosk.central.resident("ready")["whatsapp"]
    # 'Masukkan PIN' goes on with the same NIK.
    kiosk.do(EnterPinPressed)
    assert kiosk.state.screen is Screen.PIN_ENTRY and kiosk.state.nik.digits == UNREGISTERED_NIK


def test_a_malformed_nik_is_not_sent(kiosk):
    kiosk.do(StartPressed)
    kiosk.do(NikSubmitted, text=kiosk.central.resident("ready")["nik"])
    kiosk.do(ForgotPinPressed)
    state = kiosk.do(PinRequestSubmitted, text="3273013203850001")  # 32nd of March
    assert (state.screen, state.busy, state.message.key) == (Screen.PIN_RESET, False, "nik.birth_date")
