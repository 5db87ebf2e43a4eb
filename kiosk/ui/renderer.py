"""Send every frame to the GL driver when it is shown, and let at most one frame be drawn behind.

Mesa's llvmpipe (the renderer of a kiosk without a GPU and of the headless tests) collects a frame's drawing
commands in a "scene", about 1 MB for a full redraw, and rasterizes it on its own threads once the context
is flushed. It frees a scene's commands only when it reuses that scene, and it starts a new scene whenever
the earlier ones are still being drawn.

- SDL's offscreen window does not flush when it shows a frame: every frame went into the same scene until
  Mesa's limit (36 MB) forced it out, and whatever next waited for the renderer drew them all first. The UI
  process carried 25-70 MB of frames already shown. A flush when the frame is shown (what a real window's
  buffer swap does anyway) sends each frame on its own.
- Redraws back to back outrun the rasterizer: flushed but not waited for, 80 redraws left 20-40 MB of
  scenes behind. Waiting, before a frame draws, for the one before it keeps a single scene in flight. The
  wait costs nothing when frames are apart, which is nearly always: the screens redraw on a change.
"""

from __future__ import annotations


def flush_each_frame(window) -> None:
    """Flush the GL context when ``window`` shows a frame, and finish it before the next one draws.

    Call once the window exists.
    """
    from kivy.graphics.opengl import glFinish, glFlush

    window.bind(on_draw=lambda *_args: glFinish(), on_flip=lambda *_args: glFlush())
