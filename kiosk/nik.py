"""NIK (Nomor Induk Kependudukan): the 16-digit resident number, checked on the kiosk before it is sent.

Layout: PP KK CC DDMMYY SSSS: province, regency/city, district, birth date (day + 40 for women),
serial. A malformed NIK is refused on the kiosk with a plain reason; it never leaves the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from central.vocabulary import NIK_DIGITS

#: Province codes in use (Kemendagri), including the Papua provinces formed in 2022.
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65,
     71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97}
)


class NikProblem(Enum):
    """Why a NIK was refused; each maps to one resident-facing message."""

    LENGTH = "nik.length"
    NOT_DIGITS = "nik.not_digits"
    PROVINCE = "nik.province"
    REGION = "nik.region"
    BIRTH_DATE = "nik.birth_date"
    SERIAL = "nik.serial"


class InvalidNik(ValueError):
    """A NIK that cannot be right; ``problem`` says why. The NIK itself is never in the message."""

    def __init__(self, problem: NikProblem):
        self.problem = problem
        super().__init__(problem.value)


@dataclass(frozen=True)
class Nik:
    """A well-formed NIK. ``repr`` masks it, so it cannot reach a log by accident."""

    digits: str

    @property
    def female(self) -> bool:
        return int(self.digits[6:8]) > 40

    @property
    def birth_day_month(self) -> tuple[int, int]:
        day = int(self.digits[6:8])
        return (day - 40 if day > 40 else day), int(self.digits[8:10])

    def masked(self) -> str:
        """What a resident may see on screen: the first four and last four digits."""
        return f"{self.digits[:4]} **** **** {self.digits[-4:]}"

    def __repr__(self) -> str:
        return f"Nik({self.masked()!r})"

    __str__ = __repr__


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_nik(text: str) -> Nik:
    """Return a :class:`Nik` or raise :class:`InvalidNik` with the first problem found."""
    text = text.strip().replace(" ", "")
    if not text.isascii() or not text.isdigit():
        raise InvalidNik(NikProblem.NOT_DIGITS)
    if len(text) != NIK_DIGITS:
        raise InvalidNik(NikProblem.LENGTH)
    if int(text[0:2]) not in PROVINCES:
        raise InvalidNik(NikProblem.PROVINCE)
    if text[2:4] == "00" or text[4:6] == "00":
        raise InvalidNik(NikProblem.REGION)
    day, month = int(text[6:8]), int(text[8:10])
    if day > 40:
        day -= 40
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]):
        raise InvalidNik(NikProblem.BIRTH_DATE)
    # 29 February needs a leap year: 19YY or 20YY is one only when YY is a multiple of 4 (2000 counts).
    if (day, month) == (29, 2) and int(text[10:12]) % 4:
        raise InvalidNik(NikProblem.BIRTH_DATE)
    if text[12:16] == "0000":
        raise InvalidNik(NikProblem.SERIAL)
    return Nik(text)

