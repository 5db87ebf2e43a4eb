"""Owner-only files for the central data directory.

It holds residents' names, addresses and phone numbers, documents, and (in the simulated WhatsApp outbox
and the seed summary) PINs and login tokens in clear: directories are 0700, files 0600, whatever the
process's umask, and what an older version left readable is tightened when the service opens it.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it the owner's alone."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    path.chmod(DIR_MODE)
    return path


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; tighten it if it does."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    path.chmod(FILE_MODE)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` with mode 0600 from the first byte (no window where another user could open it)."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path``'s content; the file is readable by its owner only."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def tighten(path: Path) -> None:
    """Make an existing file owner-only (files an older version wrote with the umask's mode)."""
    if path.exists():
        path.chmod(FILE_MODE)
