"""Text colours against the backgrounds they stand on: WCAG contrast of at least 4.5:1.

The palette is read from kiosk/ui/widgets/common.kv, so changing a colour there is checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

KV = Path(__file__).resolve().parents[2] / "kiosk" / "ui" / "widgets" / "common.kv"
PALETTE = {name: tuple(float(x) for x in value.split(",")[:3])
           for name, value in re.findall(r"^#:set (\w+) \(([^)]*)\)", KV.read_text(), re.M)}
PALETTE |= {"WHITE": (1.0, 1.0, 1.0), "SECONDARY": (0.89, 0.91, 0.94), "TECH_BG": (0.92, 0.93, 0.95),
            "SELECTED_ROW": (0.88, 0.93, 0.98)}

#: (text, background) pairs the screens use for readable text.
PAIRS = [
    ("INK", "PAPER"), ("MUTED", "PAPER"), ("RED", "PAPER"), ("GREEN", "PAPER"), ("AMBER", "PAPER"),
    ("BLUE", "PAPER"), ("WHITE", "BLUE"), ("WHITE", "BLUE_DOWN"), ("INK", "SECONDARY"), ("BLUE", "WHITE"),
    ("INK", "WHITE"), ("GREEN", "WHITE"), ("MUTED", "WHITE"), ("RED", "WHITE"), ("INK", "TECH_BG"),
    ("MUTED", "TECH_BG"), ("INK", "SELECTED_ROW"), ("MUTED", "SELECTED_ROW"), ("GREEN", "SELECTED_ROW"),
]


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_palette_was_read():
    assert {"BLUE", "INK", "MUTED", "RED", "GREEN", "AMBER", "PAPER"} <= set(PALETTE)
    assert contrast(PALETTE["WHITE"], (0.0, 0.0, 0.0)) == pytest.approx(21.0)
    assert contrast(PALETTE["GREY"], PALETTE["PAPER"]) < 4.5  # the check can fail


@pytest.mark.parametrize("text,background", PAIRS, ids=[f"{t}-on-{b}" for t, b in PAIRS])
def test_text_contrast_is_at_least_4_5(text: str, background: str):
    assert contrast(PALETTE[text], PALETTE[background]) >= 4.5
