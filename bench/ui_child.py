"""The real Kivy app, headless, in its own process: sessions driven on the main thread while every frame's
start is timed, to find the longest main-thread stall (the gap between two frames).

Reads a JSON request on stdin (``root``, ``config``, ``residents``; optionally ``settle_s``, how long to keep
drawing after each logout, 3 s, and ``memory_only``, to keep no frame gaps) and prints one JSON line: per
session the longest gaps with the screen shown at the time, every gap's length and the RSS at its end; the
RSS after start and at the end; the longest pause of the garbage collector during the sessions, and how long
a full collection takes on the main thread after them (what the collector's rare full pass costs a resident).
"""

from __future__ import annotations

import collections
import gc
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from kiosk.assembly import assemble
from kiosk.config import parse_config


def rss_bytes() -> int:
    """This process's resident set size (read here: the tests' helper module would import the server)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def library_rss_bytes(*names: str) -> int:
    """Resident bytes of the mapped files whose path contains one of ``names`` (the renderer's libraries)."""
    total, counting = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isalnum() and "-" in line.split(" ", 1)[0]:
            counting = any(name in line for name in names)
        elif counting and line.startswith("Rss:"):
            total += int(line.split()[1]) * 1024
    return total


#: Frames run first, so the measurement starts on a drawn attract screen.
WARMUP_FRAMES = 30


class StallWatcher:
    """Samples the main thread's stack when a frame has taken longer than ``threshold_s``: where a stall is."""

    def __init__(self, main_id: int, threshold_s: float = 0.04, period_s: float = 0.005):
        self.main_id = main_id
        self.threshold_s = threshold_s
        self.period_s = period_s
        self.last_frame = time.perf_counter()
        self.samples: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-watcher", daemon=True)
        self._thread.start()

    def frame_done(self, now: float) -> None:
        self.last_frame = now

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            if time.perf_counter() - self.last_frame < self.threshold_s:
                continue
            frame = sys._current_frames().get(self.main_id)
            if frame is not None:
                stack = traceback.extract_stack(frame)[-8:]
                self.samples[" <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(stack))] += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def report(self, top: int = 8) -> list[list]:
        """The most sampled stacks during stalls, with their sample counts (5 ms each)."""
        return [[count, stack] for stack, count in self.samples.most_common(top)]


def main() -> None:
    request = json.load(sys.stdin)
    root = Path(request["root"])
    config = parse_config(request["config"], base_dir=root, source="bench")
    kiosk = assemble(config)  # as `adm-kiosk run` builds it (metrics, heartbeat); Kivy is configured from here on
    app, controller = kiosk.app, kiosk.controller

    from kivy.base import EventLoop

    from kiosk.flow import (
        CancelPressed,
        Confirmed,
        Event,
        NikSubmitted,
        PinSubmitted,
        PrintPressed,
        Screen,
        StartPressed,
    )

    kiosk.start()
    app._run_prepare()  # App.run() without its event loop: the frames are pumped and timed below

    gaps: list[tuple[float, str]] = []
    last = time.perf_counter()
    # A soak measures memory: the frame gaps and the stacks of slow frames would be its own growth.
    timing = not request.get("memory_only", False)
    watcher = StallWatcher(threading.get_ident(), threshold_s=0.04 if timing else float("inf"))

    def frame() -> None:
        nonlocal last
        EventLoop.idle()
        now = time.perf_counter()
        gaps.append((now - last, controller.state.screen.value))
        last = now
        watcher.frame_done(now)

    def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:g} s for {what} (screen {controller.state.screen.value})")
            frame()

    def tap(event_type: Callable[..., Event], **fields: object) -> None:
        # What a button's on_press does, on the main thread, between two frames.
        controller.dispatch(event_type(now=time.monotonic(), **fields))
        frame()

    pauses: list[float] = []
    started_at: list[float] = []

    def collector(phase: str, _info: dict) -> None:
        if phase == "start":
            started_at[:] = [time.perf_counter()]
        elif started_at:
            pauses.append(time.perf_counter() - started_at[0])

    sessions = []
    settle_s = float(request.get("settle_s", 3.0))
    full_collection_s, frozen = 0.0, 0
    try:
        for _ in range(WARMUP_FRAMES):
            frame()
        rss_start = rss_bytes()
        if timing:  # a soak keeps no list of pauses either
            gc.callbacks.append(collector)
        for nik, pin in request["residents"]:
            gaps.clear()
            started = time.monotonic()
            tap(StartPressed)
            tap(NikSubmitted, text=nik)
            tap(PinSubmitted, pin=pin)
            until(lambda: controller.state.screen is Screen.DOCUMENTS, 120, "the documents")
            tap(PrintPressed)
            tap(Confirmed)
            until(lambda: controller.state.screen is Screen.DONE, 300, "the done screen")
            phases = [p.phase.value + (f":{p.error}" if p.error else "") for p in controller.state.progress]
            tap(CancelPressed)
            end = time.monotonic() + settle_s  # the logout travels through the network meanwhile
            until(lambda end=end: time.monotonic() > end, 10, "the logout")
            ordered = sorted(gaps, reverse=True)
            sessions.append({"seconds": time.monotonic() - started, "phases": phases, "frames": len(gaps),
                             "top": [[round(g * 1000, 1), s] for g, s in ordered[:5]],
                             "rss_end": rss_bytes(),
                             "gaps_ms": [round(g * 1000, 2) for g, _ in gaps] if timing else []})
        if timing:
            gc.callbacks.remove(collector)
        frozen = gc.get_freeze_count()
        t0 = time.perf_counter()
        gc.collect()  # on the main thread, as the collector's full pass would be
        full_collection_s = time.perf_counter() - t0
    finally:
        watcher.stop()
        app.stop()
        EventLoop.idle()
        kiosk.stop()
    print(json.dumps({"sessions": sessions, "stall_stacks": watcher.report(), "rss_start": rss_start,
                      "full_collection_s": full_collection_s, "longest_collection_s": max(pauses, default=0.0),
                      "frozen_objects": frozen,
                      "rss_end": rss_bytes(),
                      "renderer_libraries_rss": library_rss_bytes("libLLVM", "_dri.so", "libgallium")}))


if __name__ == "__main__":
    main()
