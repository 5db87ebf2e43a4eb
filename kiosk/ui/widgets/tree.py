"""Walking the widget tree: what is shown (the keypad's focus, the demo's robot and the screen tests use it)."""

from __future__ import annotations

from collections.abc import Iterator

from kivy.uix.widget import Widget


def walk(widget: Widget) -> Iterator[Widget]:
    """``widget`` and everything under it, depth first."""
    yield widget
    for child in widget.children:
        yield from walk(child)


def visible(widget: Widget) -> bool:
    """Whether ``widget`` is drawn: it has a size, and neither it nor a parent is transparent or hidden."""
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "shown", True) is False:
            return False
        node = node.parent if node.parent is not node else None
    return widget.width > 0 and widget.height > 0
