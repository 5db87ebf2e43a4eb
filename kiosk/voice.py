"""Voice guidance: catalog messages spoken through the audio output, off the UI thread.

What is spoken is always a catalog message (:class:`SpeechLine`: a key and its parameters), never free text:
the parameters may be numbers (how many digits, which document of how many, minutes) and only the few named
texts in :data:`SPOKEN_TEXT_PARAMS` (where help is, a document's type). So a NIK, a PIN, a name or a
document's content cannot reach the synthesiser; :func:`check_speakable` refuses anything else, and the
final text once more if it holds four digits in a row (a NIK or PIN fragment).

Sounds come from, in order: a recorded clip ``<clips_dir>/<language>/<key>.wav`` (for a message without
parameters), the cache ``<cache_dir>/<language>/<key>.<digest>.wav``, or espeak-ng (offline; Indonesian voice
``id``), whose WAV is then cached. :class:`VoiceGuide` does all of it on one worker thread: a new
:meth:`VoiceGuide.say` cuts short what is playing and drops what was waiting, so speech follows the screen.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from devices.audio import AudioOutput
from devices.base import DeviceError
from kiosk.i18n import Translator
from kiosk.logs import event as log_event

log = logging.getLogger(__name__)

#: Text parameters speech may carry: none of them is personal data.
SPOKEN_TEXT_PARAMS = frozenset({"help", "document_type"})
_DIGIT_RUN = re.compile(r"\d{4,}")
_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$")
#: espeak-ng's voice per kiosk language.
ESPEAK_VOICES = {"id": "id", "en": "en"}


class UnsafeSpeech(ValueError):
    """A line that could say something personal; it is never spoken."""


@dataclass(frozen=True)
class SpeechLine:
    """One catalog message to speak: its key and its parameters (numbers, or texts named in
    :data:`SPOKEN_TEXT_PARAMS`)."""

    key: str
    params: Mapping[str, int | str] = field(default_factory=dict)

    def __hash__(self) -> int:  # the params are a dict: hash them by their items
        return hash((self.key, tuple(sorted(self.params.items()))))

    def text(self, tr: Translator) -> str:
        """The words, in ``tr``'s language; checked (UnsafeSpeech) before and after translation."""
        check_speakable(self)
        words = tr(self.key, **dict(self.params))
        if _DIGIT_RUN.search(words):
            raise UnsafeSpeech(f"{self.key}: four digits in a row")
        return words


def check_speakable(line: SpeechLine) -> None:
    """UnsafeSpeech unless ``line`` is a message key with numbers or allowed texts as parameters."""
    if not _KEY.match(line.key):
        raise UnsafeSpeech("not a message key")
    for name, value in line.params.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise UnsafeSpeech(f"{line.key}: parameter {name} is neither a number nor a text")
        if isinstance(value, str) and name not in SPOKEN_TEXT_PARAMS:
            raise UnsafeSpeech(f"{line.key}: text parameter {name} may not be spoken")


class Synthesiser(Protocol):
    """Text to a WAV sound in one language."""

    def synthesise(self, text: str, language: str) -> bytes: ...


class SpeechFailed(Exception):
    """The synthesiser could not make a sound."""


class Espeak:
    """espeak-ng, offline, as a bounded subprocess writing WAV to stdout."""

    def __init__(self, binary: str = "espeak-ng", words_per_minute: int = 150, timeout_s: float = 10.0):
        self.binary = binary
        self.words_per_minute = words_per_minute
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def synthesise(self, text: str, language: str) -> bytes:
        voice = ESPEAK_VOICES.get(language, "id")
        try:
            done = subprocess.run([self.binary, "-v", voice, "-s", str(self.words_per_minute), "--stdout", text],
                                  capture_output=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechFailed(f"{self.binary}: {type(exc).__name__}") from exc
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            raise SpeechFailed(f"{self.binary} exited {done.returncode}")
        return done.stdout


class SoundLibrary:
    """Finds the sound of one line: recorded clip, cached synthesis, or fresh synthesis (then cached)."""

    def __init__(self, synthesiser: Synthesiser, cache_dir: Path, clips_dir: Path | None = None):
        self.synthesiser = synthesiser
        self.cache_dir = Path(cache_dir)
        self.clips_dir = Path(clips_dir) if clips_dir is not None else None

    def clip(self, line: SpeechLine, language: str) -> Path | None:
        """The recorded clip for ``line`` when there is one (only for messages without parameters)."""
        if self.clips_dir is None or line.params:
            return None
        path = self.clips_dir / language / f"{line.key}.wav"
        return path if path.is_file() else None

    def sound(self, line: SpeechLine, tr: Translator) -> tuple[bytes, str]:
        """The WAV bytes of ``line`` in ``tr``'s language and where they came from (clip, cache, synthesis)."""
        text = line.text(tr)  # checked even when a clip plays: the guard is on the line, not the source
        clip = self.clip(line, tr.language)
        if clip is not None:
            return clip.read_bytes(), "clip"
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        cached = self.cache_dir / tr.language / f"{line.key}.{digest}.wav"
        if cached.is_file():
            return cached.read_bytes(), "cache"
        wav = self.synthesiser.synthesise(text, tr.language)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(wav)
        tmp.replace(cached)
        return wav, "synthesis"


_WAKE = object()


@dataclass(frozen=True)
class _Utterance:
    generation: int
    line: SpeechLine
    language: str
    asked_at: float


class VoiceGuide:
    """Speaks lines on a worker thread; :meth:`say` returns at once and never blocks the caller.

    ``on_start(line, seconds_since_asked)`` is told when each sound starts (the bench's latency figure)."""

    def __init__(self, audio: AudioOutput, library: SoundLibrary,
                 on_start: Callable[[SpeechLine, float], None] | None = None):
        self.audio = audio
        self.library = library
        self.on_start = on_start
        self._translators = {lang: Translator(lang) for lang in ESPEAK_VOICES}
        self._queue: queue.Queue[_Utterance | object | None] = queue.Queue()
        self._generation = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._to_prepare: list[tuple[SpeechLine, str]] = []
        self._prepared: set[tuple[SpeechLine, str]] = set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Silence and end the worker."""
        self.silence()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def say(self, lines: Sequence[SpeechLine], language: str, interrupt: bool = True) -> None:
        """Speak ``lines`` in ``language``, after cutting short what was said before (unless not ``interrupt``)."""
        now = time.monotonic()
        with self._lock:
            if interrupt:
                self._generation += 1
            generation = self._generation
        if interrupt:
            self.audio.stop()
        for line in lines:
            self._idle.clear()
            self._queue.put(_Utterance(generation, line, language, now))

    def prepare(self, lines: Sequence[SpeechLine], languages: Sequence[str] = ("id", "en")) -> None:
        """Synthesise ``lines`` into the cache ahead of need, on the voice's thread whenever it has nothing to
        say: a screen's first words then start from the cache instead of a cold espeak-ng (about 0.1-0.4 s)."""
        with self._lock:
            wanted = [(line, language) for language in languages for line in lines]
            self._to_prepare.extend(item for item in wanted if item not in self._prepared)
            self._prepared.update(wanted)
        self._queue.put(_WAKE)  # the worker may be waiting with nothing to prepare

    def preparing(self) -> int:
        """How many lines still wait to be prepared."""
        with self._lock:
            return len(self._to_prepare)

    def silence(self) -> None:
        """Stop speaking and forget what was waiting."""
        with self._lock:
            self._generation += 1
        self.audio.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Until nothing is waiting or playing (tests, the demo)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=0.05 if self._to_prepare else None)
            except queue.Empty:
                self._prepare_one()
                continue
            if item is None:
                return
            if not isinstance(item, _Utterance):  # _WAKE: something to prepare
                continue
            try:
                if item.generation == self._generation:
                    self._speak(item)
            finally:
                if self._queue.empty():
                    self._idle.set()

    def _prepare_one(self) -> None:
        with self._lock:
            if not self._to_prepare:
                return
            line, language = self._to_prepare.pop(0)
        try:
            self.library.sound(line, self._translators.get(language, self._translators["id"]))
        except (UnsafeSpeech, SpeechFailed, OSError) as exc:
            log_event(log, "voice.prepare_failed", logging.WARNING, key=line.key, error=type(exc).__name__)

    def _speak(self, item: _Utterance) -> None:
        tr = self._translators.get(item.language, self._translators["id"])
        try:
            wav, source = self.library.sound(item.line, tr)
        except UnsafeSpeech as exc:
            log_event(log, "voice.refused", logging.ERROR, key=item.line.key, why=str(exc))
            return
        except (SpeechFailed, OSError) as exc:
            log_event(log, "voice.no_sound", logging.WARNING, key=item.line.key, error=type(exc).__name__)
            return
        if item.generation != self._generation:
            return  # the screen moved on while this was being made
        if self.on_start is not None:
            self.on_start(item.line, time.monotonic() - item.asked_at)
        log_event(log, "voice.say", logging.DEBUG, key=item.line.key, source=source, language=tr.language)
        try:
            self.audio.play(wav, item.line.key)
        except DeviceError as exc:
            log_event(log, "voice.play_failed", logging.WARNING, key=item.line.key, reason=exc.reason)
