"""Factories the tests share: an invented resident, documents as the service signs them, a kiosk's printers.

One place for what four test packages used to copy: a change to what a document or a printer pair looks like
is made here.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import settings
from PIL import Image, ImageDraw

from central.seed import seed
from central.server import KEEP_ALIVE_S
from central.testing import RunningCentral, clone_world, copy_world
from central.vocabulary import Media
from devices.simulated import SimulatedCardPrinter, SimulatedDocumentPrinter
from kiosk.hardware import MEDIA_PRINTERS

#: An invented but well-formed NIK (Bandung, woman born 12-05-1990) and an invented name.
NIK = "3273015205900003"
NAME = "SITI NURHALIZA RAHMAWATI"


def examples(ci_count: int) -> int:
    """A property test's example count: ``ci_count`` under the CI profile (150 examples), scaled with the
    loaded profile's (``fast``: 30, so a fifth), never under 10."""
    return max(10, ci_count * settings.default.max_examples // 150)


def make_pdf(text: str = NAME, pages: int = 1) -> bytes:
    """A small PDF that carries ``text`` in clear (so a leak of document bytes would show up in a grep)."""
    objs = [b"<</Type/Catalog/Pages 2 0 R>>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objs.append(f"<</Type/Pages/Kids[{kids}]/Count {pages}>>".encode())
    for _ in range(pages):
        objs.append(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>")
    body = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(body))
        body += f"{i + 1} 0 obj".encode() + o + b"endobj\n"
    body += b"% " + text.encode() + b"\n"
    xref = len(body)  # a real cross-reference table, so that a PDF parser reads it as printers do
    body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    return body + f"trailer<</Size {len(objs) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()


def make_card_png(text: str = NAME) -> bytes:
    """A CR80 card side at 300 dpi with ``text`` in its PNG metadata (a clear-text leak would be visible)."""
    from PIL.PngImagePlugin import PngInfo

    image = Image.new("L", (1012, 638), 255)
    ImageDraw.Draw(image).text((40, 40), "KTP-el", fill=0)
    info = PngInfo()
    info.add_text("Comment", f"{text} {NIK}")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def simulated_printers(out_dir: Path, *, document: dict[str, Any] | None = None,
                       card: dict[str, Any] | None = None) -> dict[str, Any]:
    """The kiosk's two printers, simulated, by their configured names (what a PrintPipeline takes); each
    writes what it prints under ``out_dir``. ``document``/``card``: the simulated driver's options (faults,
    speed, stock)."""
    return {
        MEDIA_PRINTERS[Media.A4]: SimulatedDocumentPrinter("a4", out_dir / "out-a4", **(document or {})),
        MEDIA_PRINTERS[Media.CARD]: SimulatedCardPrinter("card", out_dir / "out-card", **(card or {})),
    }


def adm_kiosk(*args: str) -> subprocess.CompletedProcess:
    """``adm-kiosk ARGS`` run in this process: its exit code, standard output and error.

    The same ``kiosk.cli.main`` the console script calls, without a new interpreter's 0.7 s of CPU; for the
    many runs that check what a command prints. A few tests in tests/test_cli.py run the installed entry point
    itself. The logging a command sets up is undone afterwards.
    """
    from kiosk.cli import main

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return subprocess.CompletedProcess(["adm-kiosk", *args], code, out.getvalue(), err.getvalue())


#: Seeded worlds this test process made, by seed options: (directory, when). A seed renders every document and
#: hashes every PIN (half a second of CPU); a copy takes milliseconds.
_WORLDS: dict[tuple, tuple[Path, float]] = {}
#: A world's bookings are placed around the time of its seed (one began ten minutes before): copies are made
#: from a world at most this old, so a booking meant to be open still is.
WORLD_MAX_AGE_S = 300.0


def _template(**options: Any) -> Path:
    """This process's seeded world for ``options`` (seeded now when there is none, or it is too old)."""
    key = tuple(sorted(options.items()))
    template, made = _WORLDS.get(key, (None, 0.0))
    if template is None or time.monotonic() - made > WORLD_MAX_AGE_S:
        template = Path(tempfile.mkdtemp(prefix="adm-world-"))
        atexit.register(shutil.rmtree, template, True)
        seed(template, **options)
        _WORLDS[key] = template, time.monotonic()
    return template


def seeded(data_dir: Path | str, **options: Any) -> dict:
    """``central.seed.seed(data_dir, **options)``, paid once per test process and options: later calls copy
    the first world (the same PKI, PINs and documents, each copy private to its test). Its summary, whose
    ``data_dir`` names the copy. Tests of the seed itself call ``seed``."""
    return copy_world(_template(**options), data_dir)


@contextlib.contextmanager
def running_world(data_dir: Path | str, *, keep_alive_s: float = KEEP_ALIVE_S,
                  **options: Any) -> Iterator[RunningCentral]:
    """The reference server on a :func:`seeded` world in ``data_dir``, stopped afterwards (what
    ``central.testing.running_central`` does with a seed of its own)."""
    central = clone_world(_template(**options), data_dir, keep_alive_s=keep_alive_s)
    try:
        yield central
    finally:
        central.stop()
