"""Scans: the WhatsApp login QR, a document's QR, a booking code, and garbage."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from central.contract import holder_digest
from kiosk.flow import Flow, LoginQrScanned, Media, PrinterAvailability, Screen, UnknownScan
from kiosk.runtime import scan_event
from kiosk.scans import ScanKind, classify

TOKEN = "q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6"
HOLDER = holder_digest("3273021708850001")
LINK = f"https://adm.example.go.id/masuk?t={TOKEN}&h={HOLDER}"


def test_the_whatsapp_login_link_gives_its_token_and_holder():
    scan = classify(LINK)
    assert scan.kind is ScanKind.LOGIN and (scan.value, scan.holder) == (TOKEN, HOLDER)
    assert TOKEN not in repr(scan) and HOLDER not in repr(scan)


def test_a_login_link_without_its_holder_opens_nothing():
    """A v1 link (token only): the kiosk could not tell whose documents it may print."""
    event = scan_event(f"https://adm.example.go.id/masuk?t={TOKEN}")
    assert isinstance(event, UnknownScan)
    for text in (f"https://adm.example.go.id/masuk?t={TOKEN}&h={HOLDER[:-1]}",
                 f"https://adm.example.go.id/masuk?t={TOKEN}&h={HOLDER.upper()}",
                 f"https://adm.example.go.id/masuk?h={HOLDER}&t={TOKEN}", f"{LINK}&a=1"):
        assert classify(text).kind is ScanKind.UNKNOWN, text


def test_document_and_booking_codes():
    assert classify("https://adm-central.example.go.id/v1/verify/4F2A9C01D3E5B7A9") == classify(
        " https://adm-central.example.go.id/v1/verify/4F2A9C01D3E5B7A9\r")
    assert classify("https://adm-central.example.go.id/v1/verify/4F2A9C01D3E5B7A9").kind is ScanKind.VERIFY
    assert classify("ANTRI-0901").kind is ScanKind.BOOKING


def test_lookalikes_are_unknown():
    for text in ("", "hello", f"http://adm.example.go.id/masuk?t={TOKEN}", f"https://x/masuk?t={TOKEN}&a=1",
                 "https://x/masuk?t=short", "ANTRI-", "3273021708850001", "https://x/verify/../etc"):
        assert classify(text).kind is ScanKind.UNKNOWN, text


@given(st.text(max_size=600))
def test_any_text_classifies_without_raising(text: str):
    assert classify(text).kind in ScanKind


def test_scan_events_reach_the_flow():
    flow = Flow()
    state = flow.initial((PrinterAvailability(Media.A4, True),))
    event = scan_event(LINK)
    assert isinstance(event, LoginQrScanned) and (event.token, event.holder) == (TOKEN, HOLDER)
    garbage = scan_event("\x00garbage")
    assert isinstance(garbage, UnknownScan)
    state, effects = flow.handle(state, garbage)
    assert effects == [] and state.screen is Screen.ATTRACT and state.message.key == "scan.unknown"
    state, effects = flow.handle(state, event)
    assert state.screen is Screen.NIK_ENTRY and state.busy and len(effects) == 1


def test_an_officer_card_gives_its_token_and_never_shows_it():
    """Issue 19: the QR on an officer card; its token is a credential like a login token."""
    from central.vocabulary import OFFICER_CARD_PREFIX
    from kiosk.flow import OfficerCardScanned

    card = "Zx9_yW8-vU7tS6rQ5pO4nM3l"
    scan = classify(OFFICER_CARD_PREFIX + card)
    assert scan.kind is ScanKind.OFFICER_CARD and scan.value == card and card not in repr(scan)
    event = scan_event(OFFICER_CARD_PREFIX + card)
    assert isinstance(event, OfficerCardScanned) and event.card == card and card not in repr(event)
    for text in (OFFICER_CARD_PREFIX + card[:10], OFFICER_CARD_PREFIX + card + "!", "adm-petugas:" + card, card):
        assert classify(text).kind is ScanKind.UNKNOWN, text
