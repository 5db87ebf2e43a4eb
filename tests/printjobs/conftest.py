"""Fixtures of the print-jobs tests: a store in a temporary state directory, sample documents, NIKs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from printjobs.store import PrintStore

#: An invented but well-formed NIK (Bandung, woman born 12-05-1990) and an invented name.
NIK = "3273015205900003"
NAME = "SITI NURHALIZA RAHMAWATI"


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


@pytest.fixture(scope="session")
def card_png() -> bytes:
    return make_card_png()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def store(state_dir: Path) -> Iterator[PrintStore]:
    store = PrintStore(state_dir, thresholds={"blanko": 2, "ribbon": 2, "paper": 3, "receipt": 5})
    yield store
    store.close()
