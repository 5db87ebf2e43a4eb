"""A realistic world (``seed --realistic-sizes``): documents as heavy as real ones, still valid documents."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from central.seed import seed
from central.store import DB_FILE


def sizes(data: Path) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    with sqlite3.connect(data / DB_FILE) as db:
        for doc_type, content in db.execute("SELECT type, content FROM documents WHERE content IS NOT NULL"):
            found.setdefault(doc_type, []).append(content)
    return found


def test_realistic_documents_weigh_what_real_ones_do_and_stay_readable(tmp_path: Path):
    seed(tmp_path / "real", realistic_sizes=True)
    seed(tmp_path / "plain")
    real, plain = sizes(tmp_path / "real"), sizes(tmp_path / "plain")
    for doc_type, expected in (("kk", 250_000), ("akta_kelahiran", 150_000), ("ktp_el", 191_000)):
        assert all(0.95 * expected <= len(c) <= 1.1 * expected for c in real[doc_type]), doc_type
        assert all(len(c) < expected / 2 for c in plain[doc_type]), doc_type
    for content in real["kk"] + real["akta_kelahiran"]:
        assert len(PdfReader(io.BytesIO(content)).pages) == 1
    for content in real["ktp_el"]:
        with zipfile.ZipFile(io.BytesIO(content)) as card:
            assert Image.open(io.BytesIO(card.read("front.png"))).size == (1012, 638)
