"""The village bench's floor: the least session any kiosk could have on a link, for given documents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.village import least_session_s

RATE = 256_000  # bits a second: 32,000 bytes a second


def test_the_card_comes_first_when_its_printing_is_the_longest():
    seconds, order = least_session_s([("a4", 256_000, 5), ("a4", 160_000, 5), ("card", 192_000, 25)], RATE)
    assert order[0] == "card 192 KB"
    # 6 s of bytes, then the card; the A4 documents arrive and print meanwhile
    assert seconds == pytest.approx(192_000 / 32_000 + 25)


def test_a_printer_prints_one_document_at_a_time():
    seconds, _order = least_session_s([("a4", 32_000, 10), ("a4", 32_000, 10)], RATE)
    assert seconds == pytest.approx(1 + 10 + 10)  # the second arrives at 2 s but waits for the first until 11 s


def test_when_the_link_is_the_bottleneck_the_floor_is_the_last_byte_and_its_printing():
    seconds, _order = least_session_s([("a4", 320_000, 1), ("card", 320_000, 1)], RATE)
    assert seconds == pytest.approx(10 + 10 + 1)


documents = st.lists(st.tuples(st.sampled_from(["a4", "card"]), st.integers(1_000, 400_000),
                               st.floats(1, 30)), min_size=1, max_size=4)


@given(documents)
def test_the_floor_lies_between_the_simple_bounds(docs):
    seconds, order = least_session_s(docs, RATE)
    network = sum(size for _p, size, _s in docs) * 8 / RATE
    busiest = max(sum(s for p, _size, s in docs if p == printer) for printer in ("a4", "card"))
    each_alone = max(size * 8 / RATE + s for _p, size, s in docs)
    assert seconds >= max(network, busiest, each_alone) - 1e-9
    assert seconds <= network + sum(s for _p, _size, s in docs) + 1e-9  # no worse than one after another
    assert len(order) == len(docs)


def test_the_link_adds_a_round_trip_each_end_and_the_expected_retransmissions():
    """1448 bytes a segment: 100 segments at 2% loss cost two round trips on average."""
    seconds, _order = least_session_s([("card", 144_800, 25)], RATE, rtt_s=0.6, loss=0.02)
    assert seconds == pytest.approx(0.6 + (144_800 / 32_000 + 2 * 0.6) + 25 + 0.6)
