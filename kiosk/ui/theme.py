"""The two looks of the resident screens: the standard palette and the accessibility mode's high contrast.

The ``.kv`` files colour through ``app.c.<NAME>`` and size text through ``app.fs``, so switching the look is
setting two app properties (:meth:`kiosk.ui.app.KioskApp.set_accessible`). Plain Python, no Kivy: the
contrast tests read these palettes. Standard text stands at 4.5:1 or more on its background; in the
accessibility mode at 7:1 or more (WCAG AAA).
"""

from __future__ import annotations

from dataclasses import dataclass

RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Theme:
    """One palette; the names are what the ``.kv`` files use after ``app.c.``."""

    name: str
    BLUE: RGBA
    BLUE_DOWN: RGBA
    GREY: RGBA
    INK: RGBA
    MUTED: RGBA
    RED: RGBA
    GREEN: RGBA
    AMBER: RGBA
    PAPER: RGBA
    WHITE: RGBA
    SECONDARY: RGBA
    SECONDARY_DOWN: RGBA
    SELECTED_ROW: RGBA
    HEADER_DOWN: RGBA
    #: The accessibility mode's marker in the header ("Mode aksesibilitas").
    MARK: RGBA


STANDARD = Theme(
    "standard",
    BLUE=(0.043, 0.31, 0.54, 1), BLUE_DOWN=(0.02, 0.2, 0.36, 1), GREY=(0.82, 0.84, 0.87, 1),
    INK=(0.09, 0.11, 0.14, 1), MUTED=(0.27, 0.30, 0.35, 1), RED=(0.70, 0.07, 0.07, 1),
    GREEN=(0.05, 0.45, 0.20, 1), AMBER=(0.55, 0.33, 0.0, 1), PAPER=(0.97, 0.97, 0.96, 1),
    WHITE=(1, 1, 1, 1), SECONDARY=(0.89, 0.91, 0.94, 1), SECONDARY_DOWN=(0.75, 0.78, 0.82, 1),
    SELECTED_ROW=(0.88, 0.93, 0.98, 1), HEADER_DOWN=(0.9, 0.93, 0.97, 1), MARK=(1, 0.85, 0.2, 1),
)
#: Black on white, dark saturated colours, buttons outlined by contrast: every text pair at 7:1 or more.
HIGH_CONTRAST = Theme(
    "high_contrast",
    BLUE=(0.0, 0.16, 0.40, 1), BLUE_DOWN=(0.0, 0.08, 0.22, 1), GREY=(0.80, 0.80, 0.80, 1),
    INK=(0.0, 0.0, 0.0, 1), MUTED=(0.13, 0.13, 0.13, 1), RED=(0.52, 0.0, 0.0, 1),
    GREEN=(0.0, 0.30, 0.10, 1), AMBER=(0.36, 0.18, 0.0, 1), PAPER=(1, 1, 1, 1),
    WHITE=(1, 1, 1, 1), SECONDARY=(0.90, 0.90, 0.90, 1), SECONDARY_DOWN=(0.70, 0.70, 0.70, 1),
    SELECTED_ROW=(0.86, 0.91, 1.0, 1), HEADER_DOWN=(0.85, 0.85, 0.85, 1), MARK=(1, 0.85, 0.0, 1),
)
#: Text size in the accessibility mode, as a multiple of the standard size.
ACCESSIBLE_TEXT_SCALE = 1.5
