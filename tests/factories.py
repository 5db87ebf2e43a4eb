"""Factories the tests share: an invented resident, documents as the service signs them, a kiosk's printers.

One place for what four test packages used to copy: a change to what a document or a printer pair looks like
is made here.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import settings
from PIL import Image, ImageDraw

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
