"""NIK checks on the kiosk: a malformed NIK is refused with its reason and never shown in clear."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.nik import InvalidNik, NikProblem, parse_nik

MAN = "3273011503850001"  # Jawa Barat, Kota Bandung, 15-03-85, serial 0001 (invented)
WOMAN = "3273015503850002"  # day 55 = 15 + 40


def test_a_valid_nik_parses_and_knows_sex_and_birth_day():
    assert not parse_nik(MAN).female
    woman = parse_nik(WOMAN)
    assert woman.female and woman.birth_day_month == (15, 3)


def test_spaces_are_ignored():
    assert parse_nik("3273 0115 0385 0001").digits == MAN


@pytest.mark.parametrize(
    "text,problem",
    [
        ("327301150385000", NikProblem.LENGTH),
        ("32730115038500011", NikProblem.LENGTH),
        ("", NikProblem.NOT_DIGITS),
        ("32730115038500a1", NikProblem.NOT_DIGITS),
        ("３２７３０１１５０３８５０００１", NikProblem.NOT_DIGITS),  # full-width digits
        ("9973011503850001", NikProblem.PROVINCE),
        ("3200011503850001", NikProblem.REGION),
        ("3273001503850001", NikProblem.REGION),
        ("3273013203850001", NikProblem.BIRTH_DATE),  # day 32
        ("3273017203850001", NikProblem.BIRTH_DATE),  # day 72 = 32 for a woman
        ("3273011513850001", NikProblem.BIRTH_DATE),  # month 13
        ("3273013102850001", NikProblem.BIRTH_DATE),  # 31 February
        ("3273012902850001", NikProblem.BIRTH_DATE),  # 29 February 1985: not a leap year
        ("3273016902010001", NikProblem.BIRTH_DATE),  # 29 February 2001, a woman (69 = 29 + 40)
        ("3273011503850000", NikProblem.SERIAL),
    ],
)
def test_malformed_niks_are_refused_with_the_reason(text: str, problem: NikProblem):
    with pytest.raises(InvalidNik) as info:
        parse_nik(text)
    assert info.value.problem is problem
    assert text not in str(info.value) or not text


@pytest.mark.parametrize("year", ["00", "04", "84", "96"])
def test_29_february_of_a_leap_year_is_a_birth_date(year: str):
    assert parse_nik(f"3273012902{year}0001").birth_day_month == (29, 2)
    assert parse_nik(f"3273016902{year}0001").female


def test_repr_and_str_mask_the_nik():
    nik = parse_nik(MAN)
    assert MAN not in repr(nik) and MAN not in str(nik) and MAN not in f"{nik}"
    assert nik.masked() == "3273 **** **** 0001"



@given(st.text(max_size=40))
def test_any_text_either_parses_or_raises_invalid_nik(text: str):
    try:
        nik = parse_nik(text)
    except InvalidNik:
        return
    assert len(nik.digits) == 16 and nik.digits.isdigit()
