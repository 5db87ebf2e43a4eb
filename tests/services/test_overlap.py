"""A session is as long as its printers: the next document is fetched while one prints, and the A4 and card
printers work at the same time. The journal stays exact, and low stock makes the kiosk wait before it claims.
"""

from __future__ import annotations

import pytest

from kiosk.effects import fetch_order
from kiosk.flow import Confirmed, DocumentItem, Media, Phase, PrintPressed, PrintUpdate, Screen
from printjobs.journal import JobState
from tests.services.conftest import SLOW_PRINTERS


def print_all(kiosk) -> list[PrintUpdate]:
    """Log in as 'ready' (KK and akta on A4, KTP-el on a card), print everything, return the updates seen."""
    seen: list[PrintUpdate] = []
    dispatch = kiosk.controller.dispatch

    def recording(event):
        if isinstance(event, PrintUpdate):
            seen.append(event)
        return dispatch(event)

    kiosk.controller.dispatch = recording
    resident = kiosk.central.resident("ready")
    kiosk.log_in(resident["nik"], resident["pin"])
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    state = kiosk.wait(lambda s: s.screen is Screen.DONE, "the done screen", timeout=90)
    assert [p.phase for p in state.progress] == [Phase.DONE] * 3
    return seen


def first(updates: list[PrintUpdate], document_id: str, phase: Phase) -> int:
    return next(i for i, u in enumerate(updates) if u.document_id == document_id and u.phase is phase)


def in_print_order(kiosk) -> tuple[str, str, str]:
    """The first and second A4 documents and the card, in the order the resident's documents print."""
    media = {d.id: d.media for d in kiosk.state.documents}
    a4 = [p.id for p in kiosk.state.progress if media[p.id] is Media.A4]
    (card,) = [p.id for p in kiosk.state.progress if media[p.id] is Media.CARD]
    return a4[0], a4[1], card



@pytest.mark.parametrize("kiosk", [SLOW_PRINTERS], indirect=True)
def test_the_next_document_is_fetched_while_one_prints_and_both_printers_work_at_once(kiosk):
    updates = print_all(kiosk)
    a4_first, a4_second, card = in_print_order(kiosk)
    first_done = first(updates, a4_first, Phase.DONE)
    assert first(updates, a4_second, Phase.FETCHING) < first_done  # fetched while the first one printed
    assert first(updates, card, Phase.PRINTING) < first_done  # the card printer did not wait for the A4 one
    # One printer still prints one job at a time, in the resident's order.
    assert first(updates, a4_second, Phase.PRINTING) > first_done
    jobs = kiosk.runtime.store.journal.jobs()
    assert len(jobs) == 3 and {j.state for j in jobs} <= {JobState.PRINTED, JobState.REPORTED}
    assert len(list(kiosk.runtime.devices.document_printer.output_dir.glob("*.pdf"))) == 2


@pytest.mark.parametrize("kiosk", [SLOW_PRINTERS], indirect=True)
def test_with_little_paper_left_the_next_a4_document_is_claimed_only_after_the_last_has_printed(kiosk):
    kiosk.runtime.store.reload("document_printer", "paper", 10, "teknisi-1")  # at or under paper_low: WARNING
    updates = print_all(kiosk)
    a4_first, a4_second, _card = in_print_order(kiosk)
    assert first(updates, a4_second, Phase.FETCHING) > first(updates, a4_first, Phase.DONE)


def test_cards_are_fetched_first_and_the_rest_in_the_residents_order():
    docs = tuple(DocumentItem(f"d{i}", t, "2026-01-01", m) for i, (t, m) in enumerate(
        [("kk", Media.A4), ("akta_kelahiran", Media.A4), ("ktp_el", Media.CARD), ("kia", Media.CARD)]))
    assert [d.type for d in fetch_order(docs)] == ["ktp_el", "kia", "kk", "akta_kelahiran"]
