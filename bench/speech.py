"""Speech latency: from a screen change in the accessibility mode to the first sound leaving for the speaker.

The real pieces: the controller's listener that the kiosk subscribes (:func:`kiosk.assembly.voice_listener`),
the voice's worker thread, espeak-ng with its cache, the simulated audio output (it takes a sound at once, so
what is measured is the software's part). A session turns the mode on, hears the attract screen out (while the
voice prepares the session's other lines), then walks attract -> NIK -> PIN -> documents -> confirm -> printing
-> done. ``cold`` in the detail is the same walk with an empty cache and nothing prepared.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import Figure, percentile
from devices.audio import SimulatedAudioOutput
from kiosk.assembly import voice_listener
from kiosk.flow import DocProgress, DocumentItem, FlowState, Media, Phase, Screen
from kiosk.voice import Espeak, SoundLibrary, VoiceGuide

BUDGET_MS = 300.0
DOCS = (DocumentItem("d1", "kk", "2026-11-20", Media.A4), DocumentItem("d2", "ktp_el", "2026-11-20", Media.CARD))


def _walk() -> list[FlowState]:
    base = FlowState(screen=Screen.ATTRACT, accessible=True, documents=DOCS, selected=frozenset({"d1", "d2"}))
    done = (DocProgress("d1", Phase.DONE, 1.0), DocProgress("d2", Phase.DONE, 1.0))
    return [replace(base, screen=s) for s in (Screen.NIK_ENTRY, Screen.PIN_ENTRY, Screen.DOCUMENTS, Screen.CONFIRM,
                                              Screen.PRINTING)] + [replace(base, screen=Screen.DONE, progress=done)]


def _first_per_change(starts: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The first sound of each screen change (its introduction), not the lines queued after it."""
    screens = {"speech.nik_entry", "speech.pin_entry", "speech.documents", "speech.confirm", "speech.printing",
               "speech.done"}
    return [(key, seconds) for key, seconds in starts if key in screens]


def run(sessions: int = 5) -> list[Figure]:
    """``sessions`` prepared sessions (the figure) and one cold one (detail)."""
    if not Espeak().available():
        return [Figure("speech start after a screen change p95", float("nan"), "ms", BUDGET_MS,
                       {"skipped": "espeak-ng is not installed"})]
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        cold = [ms for _key, ms in _measure(Path(tmp) / "cold" / "cache", prepared=False)]
        for n in range(sessions):
            warm += [ms for _key, ms in _measure(Path(tmp) / f"warm{n}" / "cache", prepared=True)]
    detail = {"samples": len(warm), "p50_ms": round(percentile(warm, 50), 1), "max_ms": round(max(warm), 1),
              "cold_p50_ms": round(percentile(cold, 50), 1), "cold_max_ms": round(max(cold), 1),
              "how": "screen change (controller listener) to AudioOutput.play, espeak-ng, simulated speaker"}
    return [Figure("speech start after a screen change p95", percentile(warm, 95), "ms", BUDGET_MS, detail)]


def _measure(cache: Path, prepared: bool) -> list[tuple[str, float]]:
    """One walk through the screens; the first sound of each screen change, in ms after the change."""
    audio = SimulatedAudioOutput("voice", cache.parent / "played")
    voice = VoiceGuide(audio, SoundLibrary(Espeak(), cache))
    starts: list[tuple[str, float]] = []
    voice.on_start = lambda line, seconds: starts.append((line.key, seconds * 1000))
    listener = voice_listener(voice, "loket 2")
    voice.start()
    try:
        plain = FlowState(screen=Screen.ATTRACT)
        state = replace(plain, accessible=True)
        if prepared:
            listener(plain, state)
            voice.wait_idle(30)
            deadline = time.monotonic() + 120
            while voice.preparing() and time.monotonic() < deadline:
                time.sleep(0.05)
        starts.clear()
        for new in _walk():
            listener(state, new)
            voice.wait_idle(30)
            state = new
        return _first_per_change(starts)
    finally:
        voice.stop()
