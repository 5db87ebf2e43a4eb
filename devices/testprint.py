"""What a printer's self-test puts on paper: an A4 test page (fpdf2) and a test card (Pillow).

Both carry the kiosk id, the device name and the time, a grid and grey bars to judge print quality, and no
personal data. The card is shaped like a real card document: front and back, RGB PNG, 1012x638 px at
300 dpi (CR80), what :class:`devices.base.CardJob` takes.
"""

from __future__ import annotations

import io
from datetime import datetime

from devices.base import CARD_HEIGHT_PX, CARD_WIDTH_PX

TEST_PAGE_TITLE = "Halaman uji ADM"
TEST_CARD_TITLE = "Kartu uji ADM"
#: Grey levels of the bars, from black to the lightest a printer should still show.
GREYS = (0, 32, 64, 96, 128, 160, 192, 224)


def _when(when: datetime | None) -> str:
    return (when or datetime.now().astimezone()).isoformat(sep=" ", timespec="seconds")


def make_test_page(kiosk_id: str = "", device: str = "", when: datetime | None = None) -> bytes:
    """A one-page A4 PDF: title, kiosk id, device and time, a 10 mm grid, grey bars and a line-width scale."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(TEST_PAGE_TITLE)
    pdf.set_creator("adm-kiosk")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width, height = pdf.w, pdf.h

    # A 10 mm grid over the whole printable area: skew, scaling and banding show in it.
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.1)
    for x in range(10, int(width), 10):
        pdf.line(x, 10, x, height - 10)
    for y in range(10, int(height), 10):
        pdf.line(10, y, width - 10, y)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.5)
    pdf.rect(10, 10, width - 20, height - 20)

    pdf.set_fill_color(255, 255, 255)
    pdf.rect(20, 20, width - 40, 52, style="F")
    pdf.set_xy(20, 22)
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(width - 40, 12, TEST_PAGE_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in (f"Kiosk: {kiosk_id or '-'}", f"Perangkat / device: {device or '-'}", f"Waktu / time: {_when(when)}",
                 "Tidak berisi data pribadi / no personal data"):
        pdf.set_x(20)
        pdf.cell(width - 40, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")

    # Grey bars: each level must be visible and distinct from its neighbours.
    bar_w = (width - 40) / len(GREYS)
    for i, grey in enumerate(GREYS):
        pdf.set_fill_color(grey, grey, grey)
        pdf.rect(20 + i * bar_w, 90, bar_w, 40, style="F")
        pdf.set_xy(20 + i * bar_w, 132)
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(bar_w, 5, f"{round(100 - grey / 2.55)}%", align="C")

    # Line widths from hairline to 2 mm.
    pdf.set_draw_color(0, 0, 0)
    for i, line_width in enumerate((0.1, 0.25, 0.5, 1.0, 2.0)):
        pdf.set_line_width(line_width)
        pdf.line(30, 150 + i * 10, width - 60, 150 + i * 10)
        pdf.set_xy(width - 55, 147 + i * 10)
        pdf.cell(30, 6, f"{line_width:g} mm")

    pdf.set_xy(20, height - 40)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(width - 40, 6, "Periksa: garis kisi lurus dan lengkap, setiap tingkat abu-abu terlihat berbeda, "
                                  "tidak ada garis putih atau noda. / Check: the grid is straight and complete, each "
                                  "grey level is distinct, no white streaks or smears.")
    return bytes(pdf.output())


def make_test_card(kiosk_id: str = "", device: str = "", when: datetime | None = None) -> tuple[bytes, bytes]:
    """Front and back of a test card: RGB PNGs of 1012x638 px at 300 dpi (CR80)."""
    from PIL import Image, ImageDraw, ImageFont

    size = (CARD_WIDTH_PX, CARD_HEIGHT_PX)

    def font(points: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
        return ImageFont.load_default(size=points)

    def grid(draw: ImageDraw.ImageDraw) -> None:
        # 1 mm is about 11.8 px at 300 dpi: a 5 mm grid.
        for x in range(0, size[0], 59):
            draw.line((x, 0, x, size[1]), fill=(190, 190, 190), width=1)
        for y in range(0, size[1], 59):
            draw.line((0, y, size[0], y), fill=(190, 190, 190), width=1)
        draw.rectangle((0, 0, size[0] - 1, size[1] - 1), outline=(0, 0, 0), width=4)

    front = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(front)
    grid(draw)
    draw.rectangle((30, 24, 982, 190), fill=(255, 255, 255))
    draw.text((40, 30), TEST_CARD_TITLE + " - DEPAN / FRONT", fill=(0, 0, 0), font=font(40))
    draw.text((40, 90), f"Kiosk: {kiosk_id or '-'}   Perangkat: {device or '-'}", fill=(0, 0, 0), font=font(26))
    draw.text((40, 130), f"Waktu: {_when(when)}", fill=(0, 0, 0), font=font(26))
    bar_w = (size[0] - 80) // len(GREYS)
    for i, grey in enumerate(GREYS):
        draw.rectangle((40 + i * bar_w, 230, 40 + (i + 1) * bar_w - 1, 360), fill=(grey, grey, grey))
    for i, colour in enumerate(((0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0))):  # the ribbon's YMCK panels
        draw.rectangle((40 + i * 2 * bar_w, 400, 40 + (i + 1) * 2 * bar_w - 1, 520), fill=colour)

    back = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(back)
    grid(draw)
    draw.rectangle((30, 24, 982, 130), fill=(255, 255, 255))
    draw.text((40, 30), TEST_CARD_TITLE + " - BELAKANG / BACK", fill=(0, 0, 0), font=font(40))
    draw.text((40, 84), "Tidak berisi data pribadi / no personal data", fill=(0, 0, 0), font=font(26))
    for i, width in enumerate((1, 2, 4, 8)):
        draw.line((40, 200 + i * 80, 970, 200 + i * 80), fill=(0, 0, 0), width=width)

    def png(image: Image.Image) -> bytes:
        out = io.BytesIO()
        image.save(out, format="PNG", dpi=(300, 300))
        return out.getvalue()

    return png(front), png(back)
