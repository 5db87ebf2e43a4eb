"""The simulated WhatsApp gateway: messages it "sent" are kept in an outbox file.

The outbox stands for the resident's phone, not for the central database: it is the one place a PIN
exists in clear, because the demo must show it and tests read it. It lives in ``<data>/whatsapp-outbox.jsonl``,
one JSON object per line, appended under a lock so the server and ``adm-central verify`` may both write.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from central.private import open_private

OUTBOX_FILE = "whatsapp-outbox.jsonl"


@dataclass(frozen=True)
class Message:
    """One message as the resident's phone would show it."""

    number: str
    text: str
    pin: str
    qr_token: str
    qr_link: str
    sent_at: float


class WhatsAppGateway:
    """Appends messages to the outbox and reads them back."""

    def __init__(self, data_dir: Path, login_link_base: str = "https://adm.example.go.id/masuk?t="):
        # The link carries the one-time token and (contract v2) the holder's digest, so that a kiosk knows whose
        # documents it may print after a QR login without taking the server's word for it.
        self.path = Path(data_dir) / OUTBOX_FILE
        self.login_link_base = login_link_base

    def send_pin(
        self, number: str, first_name: str, pin: str, qr_token: str, documents: list[str], valid_days: int,
        *, holder: str,
    ) -> Message:
        """'Send' a PIN message listing the ready documents, with a QR login link (token and holder digest)."""
        link = f"{self.login_link_base}{qr_token}&h={holder}"
        text = (
            f"Halo {first_name}, dokumen Anda siap dicetak di Anjungan Dukcapil Mandiri: {', '.join(documents)}. "
            f"PIN Anda: {pin} (berlaku {valid_days} hari, jangan berikan kepada siapa pun). "
            f"Atau pindai kode QR dari tautan ini di ADM: {link}"
        )
        message = Message(number=number, text=text, pin=pin, qr_token=qr_token, qr_link=link, sent_at=time.time())
        self._append(message)
        return message

    def _append(self, message: Message) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The outbox holds PINs and login tokens in clear: owner-only from its first byte.
        with os.fdopen(open_private(self.path, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")

    def send_officer_notice(self, number: str, first_name: str, request: str, resident_initials: str, pin: str,
                            documents: list[str], valid_days: int) -> Message:
        """'Send' the PIN notice of a request an officer filed for a resident without a phone to the officer."""
        text = (
            f"Halo {first_name}, permohonan {request} ({resident_initials}) yang Anda ajukan sudah diverifikasi: "
            f"{', '.join(documents)}. Cetak di Anjungan Dukcapil Mandiri bersama warga dengan kartu petugas Anda "
            f"(menu Petugas). PIN warga: {pin} (berlaku {valid_days} hari, jangan berikan kepada orang lain)."
        )
        message = Message(number=number, text=text, pin=pin, qr_token="", qr_link="", sent_at=time.time())
        self._append(message)
        return message

    def messages(self) -> list[Message]:
        """Every message sent so far, oldest first."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            return [Message(**json.loads(line)) for line in handle if line.strip()]

    def last_to(self, number: str) -> Message | None:
        """The newest message to ``number``, if any."""
        found = [m for m in self.messages() if m.number == number]
        return found[-1] if found else None
