"""Files a simulated printer "prints": written atomically, never replacing one already there.

A completed submission of job ``J`` writes ``J-<n>.<suffix>`` with ``n`` one higher than any file of that job
already there, so counting files per job id counts what a resident would hold in their hands.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path


def write_new_file(directory: Path, stem: str, suffix: str, data: bytes, start: int = 1) -> tuple[Path, int]:
    """Write ``data`` to ``<stem>-<n><suffix>`` with the lowest free ``n >= start``, atomically, never replacing.

    Returns the path and ``n``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".tmp-{stem}-{os.getpid()}-{threading.get_ident()}{suffix}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        n = start
        while True:
            final = directory / f"{stem}-{n}{suffix}"
            try:
                os.link(tmp, final)  # unlike rename, a link never replaces an existing file
                break
            except FileExistsError:
                n += 1
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final, n


_NUMBER = re.compile(r"-(\d+)(?:\.|-)")


def next_number(directory: Path, job_id: str) -> int:
    """One more than the highest ``n`` among ``<job_id>-<n>...`` files in ``directory``."""
    # No pattern compiled per job: re's cache would keep one for each of the last 512 jobs.
    numbers = [int(m.group(1)) for p in directory.glob(f"{job_id}-*") if (m := _NUMBER.match(p.name, len(job_id)))]
    return max(numbers, default=0) + 1
