"""A label whose text (or colour) changes gets a new texture instead of drawing into the one on screen.

Kivy reuses a label's texture when the new text has the same size and writes the pixels into it
(``glTexSubImage2D``). A GL driver that still draws the previous frame with that texture must wait for that
frame before it may write: with Mesa's llvmpipe (the software renderer of these kiosks without a GPU and of
the headless tests) the main thread waited 15-370 ms on every 'Mencetak' -> 'Selesai' and on every button
greyed out while a request runs (bench/stall.py). A new texture is not in use by any frame, so nothing waits.
The old one is released with the label's canvas, as before.
"""

from __future__ import annotations

_installed = False


def fresh_label_textures() -> None:
    """Make every Kivy Label render into a new texture. Idempotent; call before the first label draws."""
    global _installed
    if _installed:
        return
    from kivy.uix.label import Label

    reuse = Label.texture_update

    def texture_update(self, *largs):
        core = getattr(self, "_label", None)
        if core is not None:
            core.texture = None
        reuse(self, *largs)

    texture_update.__doc__ = reuse.__doc__
    Label.texture_update = texture_update
    _installed = True
