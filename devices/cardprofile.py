"""Card profiles: which APDUs read the holder's NIK from a card, named so config.yaml can choose one.

A card reader knows PC/SC; a profile knows one kind of card. ``adm-demo`` is an open profile for demo and
test cards (SELECT an application, READ BINARY 16 ASCII digits); the kiosk's tests write a card that speaks
it. ``ktp-el`` is the real KTP-el: its chip answers only through Dukcapil's security module (a SAM with its
own secure messaging, and match-on-card for the finger), which this project cannot have. The profile is the
seam: a deployment supplies a :class:`SecurityModule` (``security_module: package.module:factory`` in the
config) and the rest of the kiosk (reader, flow, contract) stays as it is.

A profile never logs what the card answered and never quotes it in an error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from central.vocabulary import NIK_DIGITS
from devices.base import SECURITY_MODULE_MISSING, CardUnreadable

#: Sends one command APDU to the card and returns the response APDU (data followed by SW1 SW2).
Transmit = Callable[[bytes], bytes]

SW_OK = b"\x90\x00"


def status_word(response: bytes) -> bytes:
    """The response's SW1 SW2; CardUnreadable when the answer is too short to have one."""
    if len(response) < 2:
        raise CardUnreadable("the card's answer has no status word")
    return response[-2:]


def check_nik_bytes(data: bytes) -> str:
    """The NIK's digits in ASCII, as demo cards hold it; CardUnreadable for anything else."""
    if len(data) != NIK_DIGITS or not data.isdigit():
        raise CardUnreadable("the card holds no NIK of 16 digits")
    return data.decode("ascii")


class CardProfile(Protocol):
    """Reads the NIK from a card through ``transmit``; raises CardUnreadable when the card is not one of its kind."""

    name: str

    def read_nik(self, transmit: Transmit) -> str: ...


def profile_problem(profile: CardProfile) -> str:
    """Why ``profile`` cannot read any card now ("" when it can): e.g. a missing security module."""
    problem = getattr(profile, "problem", None)
    return str(problem()) if callable(problem) else ""


class DemoCardProfile:
    """``adm-demo``: SELECT the application by its AID, READ BINARY 16 bytes: the NIK in ASCII digits."""

    name = "adm-demo"
    #: A proprietary AID (RID F0: not registered), "ADMKTP".
    AID = bytes.fromhex("F0") + b"ADMKTP"

    def select_apdu(self) -> bytes:
        """SELECT by DF name, first or only occurrence."""
        return bytes([0x00, 0xA4, 0x04, 0x00, len(self.AID)]) + self.AID

    @staticmethod
    def read_apdu() -> bytes:
        """READ BINARY of the selected file from offset 0, 16 bytes."""
        return bytes([0x00, 0xB0, 0x00, 0x00, 0x10])

    def read_nik(self, transmit: Transmit) -> str:
        if status_word(transmit(self.select_apdu())) != SW_OK:
            raise CardUnreadable("the card has no ADM application")
        response = transmit(self.read_apdu())
        if status_word(response) != SW_OK:
            raise CardUnreadable("the card refused to give its NIK")
        return check_nik_bytes(response[:-2])


@runtime_checkable
class SecurityModule(Protocol):
    """What a deployment supplies for the real KTP-el: it opens the chip's secure channel with Dukcapil's SAM
    and reads the NIK (the reader hands it ``transmit`` to the card)."""

    def read_nik(self, transmit: Transmit) -> str: ...


class KtpElProfile:
    """``ktp-el``: the real KTP-el chip, read through the deployment's security module (loaded on first use,
    so a kiosk whose module is missing starts and says why)."""

    name = "ktp-el"

    def __init__(self, module_spec: str | None) -> None:
        self.module_spec = module_spec
        self._module: SecurityModule | None = None

    def problem(self) -> str:
        """Why this profile cannot read a card ("" when it can)."""
        try:
            self._module = self._module or load_security_module(self.module_spec)
        except (ImportError, AttributeError, TypeError) as exc:
            return f"the security module {self.module_spec} cannot be loaded: {type(exc).__name__}"
        if self._module is None:
            return "reading a KTP-el needs Dukcapil's security module (security_module), which is not installed"
        return ""

    def read_nik(self, transmit: Transmit) -> str:
        problem = self.problem()
        if problem or self._module is None:
            raise CardUnreadable(problem, SECURITY_MODULE_MISSING)
        return check_nik_bytes(self._module.read_nik(transmit).encode("ascii", "replace"))


def load_security_module(spec: str | None) -> SecurityModule | None:
    """``package.module:factory`` -> the module the factory returns (None for None). Raises ImportError,
    AttributeError or TypeError when the spec names nothing usable."""
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr or "security_module")
    module = factory()
    if not isinstance(module, SecurityModule):
        raise TypeError(f"{spec} did not return a security module (an object with read_nik)")
    return module


def card_profile(name: str, security_module: str | None = None) -> CardProfile:
    """The profile config.yaml names."""
    if name == DemoCardProfile.name:
        return DemoCardProfile()
    if name == KtpElProfile.name:
        return KtpElProfile(security_module)
    raise ValueError(f"unknown card profile {name!r}; known: adm-demo, ktp-el")
