"""Document bytes at rest while a job needs them: AES-GCM encrypted, with a key that lives only in memory.

Each process makes a fresh random key, so whatever a crashed process left behind is unreadable noise;
:meth:`DocumentStore.purge` removes it at start. Bytes are deleted as soon as a job leaves SENDING.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from printjobs.db import write_private_atomic
from printjobs.errors import DocumentGone

_NAME = re.compile(r"^[0-9a-f-]{36}$")
_SUFFIX = ".enc"


class DocumentStore:
    """Encrypted parts of each job's document (one part for a PDF, front and back for a card)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def put(self, job_id: str, parts: list[bytes]) -> None:
        """Encrypt and keep ``parts`` for ``job_id`` (the job id is bound as associated data)."""
        plain = b"".join(struct.pack(">Q", len(part)) + part for part in parts)
        nonce = os.urandom(12)
        write_private_atomic(self._path(job_id), nonce + self._aead.encrypt(nonce, plain, job_id.encode()))

    def get(self, job_id: str) -> list[bytes]:
        """The parts for ``job_id``; :class:`DocumentGone` when missing or sealed by another process."""
        try:
            blob = self._path(job_id).read_bytes()
        except FileNotFoundError:
            raise DocumentGone(f"no document bytes for job {job_id}") from None
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], job_id.encode())
        except InvalidTag:
            raise DocumentGone(f"document bytes for job {job_id} cannot be decrypted") from None
        parts, offset = [], 0
        while offset < len(plain):
            (size,) = struct.unpack_from(">Q", plain, offset)
            parts.append(plain[offset + 8 : offset + 8 + size])
            offset += 8 + size
        return parts

    def delete(self, job_id: str) -> None:
        """Forget a job's bytes (nothing happens when there are none)."""
        self._path(job_id).unlink(missing_ok=True)

    def purge(self) -> int:
        """Delete every stored document (at start: the key that sealed them died with its process)."""
        count = 0
        for path in self.directory.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)
                count += 1
        return count

    def job_ids(self) -> list[str]:
        """Jobs whose bytes are currently held."""
        return sorted(p.name[: -len(_SUFFIX)] for p in self.directory.glob(f"*{_SUFFIX}"))

    def _path(self, job_id: str) -> Path:
        if not _NAME.match(job_id):  # the id becomes a file name: no path tricks
            raise ValueError(f"not a job id: {job_id!r}")
        return self.directory / f"{job_id}{_SUFFIX}"
