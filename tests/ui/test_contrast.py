"""Text colours against the backgrounds they stand on: WCAG contrast of at least 4.5:1, and 7:1 in the
accessibility mode's high-contrast palette.

The palettes are read from kiosk/ui/theme.py (the .kv files colour through them), so changing a colour there is
checked here.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from kiosk.ui.theme import HIGH_CONTRAST, STANDARD, Theme


def palette(theme: Theme) -> dict[str, tuple[float, ...]]:
    return {name: tuple(value[:3]) for name, value in asdict(theme).items() if name != "name"}


PALETTE = palette(STANDARD) | {"TECH_BG": (0.92, 0.93, 0.95)}
HIGH = palette(HIGH_CONTRAST)

#: (text, background) pairs the screens use for readable text.
PAIRS = [
    ("INK", "PAPER"), ("MUTED", "PAPER"), ("RED", "PAPER"), ("GREEN", "PAPER"), ("AMBER", "PAPER"),
    ("BLUE", "PAPER"), ("WHITE", "BLUE"), ("WHITE", "BLUE_DOWN"), ("INK", "SECONDARY"), ("BLUE", "WHITE"),
    ("INK", "WHITE"), ("GREEN", "WHITE"), ("MUTED", "WHITE"), ("RED", "WHITE"), ("INK", "TECH_BG"),
    ("MUTED", "TECH_BG"), ("INK", "SELECTED_ROW"), ("MUTED", "SELECTED_ROW"), ("GREEN", "SELECTED_ROW"),
]
#: What the resident screens show in the accessibility mode (the technician area keeps the standard look);
#: the mode's marker stands on the header's blue, the accessibility button's words on the marker colour.
MODE_PAIRS = [pair for pair in PAIRS if "TECH_BG" not in pair] + [
    ("MARK", "BLUE"), ("INK", "MARK"), ("INK", "SECONDARY_DOWN"), ("WHITE", "BLUE_DOWN")]


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


@pytest.mark.parametrize("text,background", MODE_PAIRS, ids=[f"{t}-on-{b}" for t, b in MODE_PAIRS])
def test_the_accessibility_mode_has_text_contrast_of_at_least_7(text: str, background: str):
    assert contrast(HIGH[text], HIGH[background]) >= 7.0


def test_the_two_palettes_name_the_same_colours_and_differ():
    assert set(HIGH) == set(palette(STANDARD)) and HIGH != palette(STANDARD)
    # The mode's check is stricter than the standard palette passes: the high-contrast palette is needed.
    assert any(contrast(PALETTE[a], PALETTE[b]) < 7.0 for a, b in MODE_PAIRS)
