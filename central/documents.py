"""Rendering and signing demo documents.

A4 documents (KK, akta, surat keterangan, ...) are PDFs made with fpdf2 that carry a QR code (segno) with the
verification URL; cards (KTP-el, KIA) are a ZIP of ``front.png`` and ``back.png`` at 1012x638 px (CR80 at 300 dpi).
Every content blob is signed with Ed25519 over :func:`central.contract.signing_payload`.
All people, numbers and addresses in demo documents are invented.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import zipfile
from dataclasses import dataclass

import segno
from cryptography.hazmat.primitives.asymmetric import ed25519
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from central.contract import ContentMetadata, DocumentTypeInfo, Media, signing_payload

CARD_SIZE = (1012, 638)
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # fixed member dates: the same card renders to the same bytes


@dataclass(frozen=True)
class Holder:
    """Whose document it is (invented demo data)."""

    nik: str
    name: str
    birth_place: str
    birth_date: str
    gender: str  # "LAKI-LAKI" or "PEREMPUAN"
    address: str


@dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str
    pages: int


#: What real documents weigh (a scanned, stamped KK; an akta; a KTP-el with its photo), for ``realistic``
#: worlds: the benchmarks' village link carries these, not the few kilobytes of a plain demo page.
REALISTIC_BYTES = {"kk": 250_000, Media.A4: 150_000, Media.CARD: 191_000}


def render(doc_type: DocumentTypeInfo, holder: Holder, verify_url: str, version: int, *,
           realistic: bool = False) -> Rendered:
    """The printable content of one document of a catalogue type (its media decides the form).

    ``realistic``: as heavy as a real one (:data:`REALISTIC_BYTES`): a scan-like image on the page, a
    photo on the card, both of noise that does not compress."""
    title = doc_type.title.id
    size = REALISTIC_BYTES.get(doc_type.code, REALISTIC_BYTES.get(doc_type.media, 0)) if realistic else 0
    if doc_type.media == Media.CARD:
        return Rendered(_card_zip(title, holder, verify_url, size), "application/zip", 2)
    return Rendered(_a4_pdf(title, holder, verify_url, version, size), "application/pdf", 1)


def _noise(pixels: int, seed: str) -> Image.Image:
    """A grey image of about ``pixels`` pixels (one byte each) that no compressor shrinks."""
    side = max(1, int(pixels ** 0.5))
    return Image.frombytes("L", (side, side), random.Random(seed).randbytes(side * side))


def _qr_png(data: str, scale: int) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=scale, border=2)
    out.seek(0)
    return out


def _a4_pdf(title: str, holder: Holder, verify_url: str, version: int, size: int = 0) -> bytes:
    plain = _a4_page(title, holder, verify_url, version, 0)
    return plain if size <= len(plain) else _a4_page(title, holder, verify_url, version, size - len(plain))


def _a4_page(title: str, holder: Holder, verify_url: str, version: int, noise: int) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "REPUBLIK INDONESIA", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 10, title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 8, "CONTOH / DEMO - BUKAN DOKUMEN RESMI", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    rows = [
        ("NIK", holder.nik),
        ("Nama", holder.name),
        ("Tempat/Tgl Lahir", f"{holder.birth_place}, {holder.birth_date}"),
        ("Jenis Kelamin", holder.gender),
        ("Alamat", holder.address),
        ("Versi dokumen", str(version)),
    ]
    for label, value in rows:
        pdf.cell(50, 8, label)
        pdf.cell(0, 8, f": {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.multi_cell(
        0, 6, "Dokumen ini ditandatangani secara elektronik. Pindai kode QR untuk memeriksa keabsahannya.",
    )
    pdf.image(_qr_png(verify_url, 6), x=150, y=230, w=40, h=40)
    pdf.set_xy(20, 260)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, verify_url)
    if noise:
        pdf.image(_noise(noise, f"{title}/{version}"), x=20, y=150, w=100, h=70)  # the office stamp's scan
    return bytes(pdf.output())


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _card_zip(title: str, holder: Holder, verify_url: str, size: int = 0) -> bytes:
    front = Image.new("RGB", CARD_SIZE, (214, 234, 248))
    draw = ImageDraw.Draw(front)
    draw.text((30, 20), "PROVINSI JAWA BARAT - " + title.upper(), fill=(0, 0, 0), font=_font(30))
    lines = [
        f"NIK : {holder.nik}",
        f"Nama : {holder.name}",
        f"Tempat/Tgl Lahir : {holder.birth_place}, {holder.birth_date}",
        f"Jenis Kelamin : {holder.gender}",
        f"Alamat : {holder.address}",
    ]
    for i, line in enumerate(lines):
        draw.text((30, 90 + i * 48), line, fill=(0, 0, 0), font=_font(26))
    draw.rectangle((780, 110, 980, 360), outline=(60, 60, 60), width=3, fill=(200, 200, 200))  # photo placeholder
    if size:  # a photo: colour noise over the photo's place, as heavy as the card's real picture data
        pixels = min(194 * 244, max(1, (size - 60_000) // 3))
        front.paste(Image.frombytes("RGB", (194, pixels // 194 or 1),
                                    random.Random(holder.nik).randbytes(194 * (pixels // 194 or 1) * 3)), (783, 113))
    draw.text((800, 580), "CONTOH / DEMO", fill=(160, 0, 0), font=_font(24))

    back = Image.new("RGB", CARD_SIZE, (240, 240, 240))
    draw = ImageDraw.Draw(back)
    draw.text((30, 30), "Kartu ini milik Pemerintah Republik Indonesia (DEMO).", fill=(0, 0, 0), font=_font(26))
    qr = Image.open(_qr_png(verify_url, 8)).convert("RGB").resize((300, 300))
    back.paste(qr, (680, 300))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, image in (("front.png", front), ("back.png", back)):
            png = io.BytesIO()
            image.save(png, format="PNG", dpi=(300, 300))
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), png.getvalue())
    return out.getvalue()


@dataclass(frozen=True)
class Signed:
    """A content blob's signature: key id and base64 Ed25519 signature over the metadata."""

    key_id: str
    signature_b64: str
    sha256: str


def sign(
    key: ed25519.Ed25519PrivateKey, key_id: str, *, document_id: str, doc_type: str, version: int,
    content_type: str, content: bytes, issued_at: str, holder: str,
) -> Signed:
    """Sign ``content`` and its metadata as the contract describes; ``holder`` is the holder's holder_digest."""
    digest = hashlib.sha256(content).hexdigest()
    meta = ContentMetadata(
        document_id=document_id, type=doc_type, version=version, content_type=content_type,
        sha256=digest, issued_at=issued_at, holder=holder,
    )
    signature = key.sign(signing_payload(meta))
    return Signed(key_id, base64.b64encode(signature).decode("ascii"), digest)
