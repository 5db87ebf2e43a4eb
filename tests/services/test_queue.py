"""Queue check-in end to end: a booking QR scanned as bytes, a typed code, walk-in numbers, every refusal,
and the ticket's exact ESC/POS bytes from the simulated receipt printer."""

from __future__ import annotations

from datetime import datetime

import pytest

from devices.receipt import QueueTicket, receipt_bytes
from kiosk import central_client as kc
from kiosk.flow import BackPressed, BookingSubmitted, QueuePressed, Screen, WalkInPressed
from kiosk.service_model import QueueProblem


def ticket_shown(state) -> bool:
    return state.ticket is not None and state.ticket.printed is not None


def test_a_scanned_booking_prints_its_ticket_byte_for_byte(kiosk):
    kiosk.scan(b"ANTRI-0901")  # on the attract screen: no button needed
    state = kiosk.wait(ticket_shown, "the ticket")
    assert state.screen is Screen.QUEUE and state.message is None
    ticket = state.ticket
    assert (ticket.number, ticket.service, ticket.counter, ticket.printed) == ("A-001", "Perekaman KTP-el", "2", True)
    [binary] = sorted(kiosk.receipts.glob("receipt-*.bin"))
    expected = QueueTicket("A-001", "Perekaman KTP-el", "2", datetime.fromisoformat(ticket.when), ticket.qr)
    assert binary.read_bytes() == receipt_bytes(expected)
    text = binary.with_suffix(".txt").read_text()
    assert "A-001" in text and "Loket 2" in text and "[QR] https://" in text
    assert b"\x1dk" in binary.read_bytes() or b"\x1d(k" in binary.read_bytes()  # a QR command


def test_a_typed_code_and_the_same_booking_twice_give_one_number(kiosk):
    kiosk.do(QueuePressed)
    kiosk.do(BookingSubmitted, text="0902")
    first = kiosk.wait(ticket_shown, "the first ticket").ticket
    kiosk.do(BackPressed)
    assert kiosk.state.screen is Screen.ATTRACT and kiosk.state.ticket is None
    kiosk.scan(b"ANTRI-0902")
    again = kiosk.wait(ticket_shown, "the ticket again").ticket
    assert again.number == first.number and not again.walk_in


def test_refusals_in_plain_words_and_no_ticket(kiosk):
    kiosk.do(QueuePressed)
    cases = [("0000", "queue.unknown"), ("0906", "queue.used"), ("0904", "queue.early_hours"),
             ("0905", "queue.expired"), ("12", QueueProblem.MALFORMED.value)]
    for digits, key in cases:
        kiosk.do(BookingSubmitted, text=digits)
        state = kiosk.wait(lambda s: not s.busy and s.message is not None, f"the answer for {digits}")
        assert (state.screen, state.message.key, state.ticket) == (Screen.QUEUE, key, None), digits
    assert kiosk.state.message.key == "queue.malformed"
    assert not list(kiosk.receipts.glob("receipt-*"))


def test_early_booking_says_when_check_in_opens(kiosk):
    store = kiosk.central_store()
    store.add_booking("ANTRI-0907", "Perekaman KTP-el", "10:00-10:30", counter="2",
                      starts_at=store.clock() + 90 * 60, ends_at=store.clock() + 120 * 60)
    store.close()
    kiosk.scan(b"ANTRI-0907")
    state = kiosk.wait(lambda s: not s.busy and s.message is not None, "the early answer")
    assert state.message.key == "queue.early" and 29 <= state.message.params["minutes"] <= 31


def test_walk_in_numbers_when_the_office_allows_them(kiosk):
    kiosk.do(QueuePressed)
    kiosk.do(WalkInPressed)
    ticket = kiosk.wait(ticket_shown, "a walk-in ticket").ticket
    assert ticket.walk_in and ticket.number == "B-001" and ticket.printed
    kiosk.do(BackPressed)
    store = kiosk.central_store()
    store.set_setting("walk_in_open", "0")
    store.close()
    kiosk.do(QueuePressed)
    kiosk.do(WalkInPressed)
    state = kiosk.wait(lambda s: not s.busy and s.message is not None, "the closed answer")
    assert state.message.key == "queue.walk_in_closed" and state.ticket is None


def test_receipt_printer_down_shows_the_number_on_screen(kiosk):
    kiosk.runtime.devices.receipt_printer.set_fault("offline")
    kiosk.scan(b"ANTRI-0903")
    state = kiosk.wait(ticket_shown, "the ticket")
    assert state.ticket.number.startswith("A-") and state.ticket.printed is False
    assert state.message.key == "queue.not_printed"
    assert not list(kiosk.receipts.glob("receipt-*"))


def test_scanner_garbage_on_the_queue_screen_is_harmless(kiosk):
    kiosk.do(QueuePressed)
    kiosk.scan(b"\x00\x1b[31mANTRI-0901\xff\xfe")  # control bytes: the reader drops the whole line
    kiosk.scan(b"A" * 5000)  # a runaway line: dropped too
    kiosk.settle(0.5)
    assert (kiosk.state.screen, kiosk.state.message, kiosk.state.busy) == (Screen.QUEUE, None, False)
    reader = kiosk.runtime.devices.barcode_readers[0]
    assert reader.sanitizer.dropped == 2
    kiosk.scan(b"%%ANTRI'; DROP TABLE bookings;--")  # printable, but no code the kiosk knows
    state = kiosk.wait(lambda s: s.message is not None, "the unknown-scan message")
    assert (state.screen, state.message.key, state.busy, state.ticket) == (
        Screen.QUEUE, "queue.scan_wrong", False, None)
    kiosk.settle(0.3)
    assert not list(kiosk.receipts.glob("receipt-*"))
    kiosk.scan(b"ANTRI-0901")  # and the reader still works
    assert kiosk.wait(ticket_shown, "the ticket after garbage").ticket.number == "A-001"


def test_a_retried_walk_in_gets_the_same_number_and_the_contract_wants_one_kind(kiosk):
    client = kiosk.runtime.central  # the kiosk's own client, over mutual TLS
    first = client.queue_walk_in("walk-in-request-1")
    assert client.queue_walk_in("walk-in-request-1") == first  # a retry after a lost answer
    assert client.queue_walk_in("walk-in-request-2").ticket_number == "B-002"
    assert first.booking_code is None and first.counter == "1"
    with pytest.raises(kc.Rejected):  # a walk-in without an Idempotency-Key could hand out two numbers
        client._call("POST", "/v1/queue/check-in", json={"walk_in": True}, retry=False)
    with pytest.raises(kc.Rejected):
        client._call("POST", "/v1/queue/check-in", json={"walk_in": True, "booking_code": "ANTRI-0901"},
                     headers={"Idempotency-Key": "k"}, retry=False)
