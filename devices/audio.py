"""Audio output: the kind of device that speaks to the resident (voice guidance), and its drivers.

A sound is a WAV file's bytes (16-bit PCM, as espeak-ng writes them). :meth:`AudioOutput.play` blocks until
the sound has played or :meth:`AudioOutput.stop` cut it short, so the caller plays from a worker thread of
its own, never the UI thread. The volume (0-100) scales the samples before they leave, so it works the same
on every sound stack.

- ``alsa``: the system's sound stack through a player process (``aplay`` for ALSA, ``paplay`` for
  PulseAudio/PipeWire), fed on stdin, bounded by the sound's own length plus a margin.
- ``simulated``: writes each played sound to ``<output_dir>/<n>-<label>.wav`` in the order played (the demo
  and the tests listen to those), and keeps the labels it played.
"""

from __future__ import annotations

import array
import io
import shutil
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import Field

from devices.base import (
    DEVICE_MISSING,
    LIBRARY_MISSING,
    OFFLINE_REPORT,
    Device,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    SelfTestLevel,
    SelfTestResult,
)
from devices.registry import BuildContext, DeviceKind, DriverConfig, driver, register_kind

#: Seconds a player may take beyond the sound's own length (start-up, buffers) before it is killed.
PLAY_MARGIN_S = 3.0


@runtime_checkable
class AudioOutput(Device, Protocol):
    """Plays sounds: :meth:`play` blocks until played or stopped; :meth:`stop` may come from any thread."""

    volume: int

    def play(self, wav: bytes, label: str = "sound") -> None: ...
    def stop(self) -> None: ...
    def set_volume(self, percent: int) -> None: ...


register_kind(DeviceKind("audio_output", AudioOutput, "audio_output",
                         "Loudspeaker or earphone socket for voice guidance; null when this kiosk has none."))


def wav_seconds(wav: bytes) -> float:
    """How long a WAV sound lasts; DeviceError when the bytes are no WAV."""
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            return reader.getnframes() / float(reader.getframerate() or 1)
    except (wave.Error, EOFError) as exc:
        raise DeviceError(f"not a WAV sound: {exc}") from exc


def scaled(wav: bytes, percent: int) -> bytes:
    """The sound at ``percent`` of its volume (16-bit PCM samples scaled; other widths pass unchanged)."""
    if percent >= 100:
        return wav
    with wave.open(io.BytesIO(wav)) as reader:
        params = reader.getparams()
        frames = reader.readframes(reader.getnframes())
    if params.sampwidth != 2:
        return wav
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    factor = max(0, percent) / 100.0
    samples = array.array("h", (int(s * factor) for s in samples))
    if sys.byteorder == "big":
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setparams(params)
        writer.writeframes(samples.tobytes())
    return out.getvalue()


class _Volume:
    volume: int = 80

    def set_volume(self, percent: int) -> None:
        """0 (silent) to 100."""
        self.volume = max(0, min(100, int(percent)))


class PlayerAudioOutput(_Volume):
    """The system's sound stack through a player process that reads a WAV on stdin."""

    kind = "audio_output"
    driver = "alsa"

    def __init__(self, name: str, player: str = "aplay", device: str | None = None, volume: int = 80) -> None:
        self.name = name
        self.player = player
        self.device = device
        self.set_volume(volume)
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._played = 0

    def _command(self) -> list[str]:
        if self.player == "paplay":
            return ["paplay", *([f"--device={self.device}"] if self.device else []), "/dev/stdin"]
        return ["aplay", "-q", *(["-D", self.device] if self.device else []), "-"]

    def open(self) -> None:
        """Nothing to open: each sound starts its own player."""

    def close(self) -> None:
        """Stops what is playing."""
        self.stop()

    def play(self, wav: bytes, label: str = "sound") -> None:
        """Play ``wav``; DeviceOffline when the player is missing or fails, DeviceTimeout when it hangs."""
        limit = wav_seconds(wav) + PLAY_MARGIN_S
        if shutil.which(self.player) is None:
            raise DeviceOffline(f"{self.player} is not installed", LIBRARY_MISSING)
        with self._lock:
            self._process = subprocess.Popen(self._command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE)
            process = self._process
        try:
            _out, err = process.communicate(scaled(wav, self.volume), timeout=limit)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            process.communicate()
            raise DeviceTimeout(f"{self.player}: still playing after {limit:.1f} s") from exc
        except BrokenPipeError:
            err = b""  # stopped while we were still writing
        finally:
            with self._lock:
                self._process = None
        if process.returncode not in (0, -9, -15):  # killed by stop(): not a failure
            raise DeviceOffline(f"{self.player} failed: {err.decode(errors='replace').strip()[:200]}",
                                OFFLINE_REPORT)
        self._played += 1

    def stop(self) -> None:
        """Cut the sound that is playing short (from any thread)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()

    def status(self) -> DeviceStatus:
        """OFFLINE when the player program is missing; READY otherwise (a sound card is found when it plays)."""
        counters = {"played": self._played}
        if shutil.which(self.player) is None:
            return DeviceStatus(DeviceState.OFFLINE, (LIBRARY_MISSING,), f"{self.player} not installed",
                                counters=counters)
        if self.player == "aplay" and self.device is None and not Path("/dev/snd").exists():
            return DeviceStatus(DeviceState.OFFLINE, (DEVICE_MISSING,), "no sound card (/dev/snd)",
                                counters=counters)
        return DeviceStatus(DeviceState.READY, (), f"{self.player} {self.device or 'default'}", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """internal: status; external/interactive: a short tone the technician should hear."""
        level = SelfTestLevel(level)
        if level is SelfTestLevel.INTERNAL:
            status = self.status()
            return SelfTestResult(level, status.state.usable, status.message)
        try:
            self.play(tone(), "selftest")
        except DeviceError as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, "a tone played: did it sound?", needs_confirmation=True)


class SimulatedAudioOutput(_Volume):
    """Writes each played sound to ``output_dir`` as ``<n>-<label>.wav``; ``realtime`` plays for the sound's
    length (stop cuts it short), otherwise a sound is 'played' at once."""

    kind = "audio_output"
    driver = "simulated"

    def __init__(self, name: str, output_dir: Path, realtime: bool = False, fault: str | None = None,
                 volume: int = 80) -> None:
        self.name = name
        self.output_dir = Path(output_dir)
        self.realtime = realtime
        self.fault = fault
        self.set_volume(volume)
        self.played: list[tuple[str, Path]] = []
        self.started_at: list[float] = []
        self._stopped = threading.Event()
        self._lock = threading.Lock()

    def open(self) -> None:
        """Creates the output directory."""
        self.output_dir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Stops what is playing."""
        self.stop()

    def play(self, wav: bytes, label: str = "sound") -> None:
        """Write the sound (at the set volume) as the next numbered file; DeviceOffline in the offline fault."""
        seconds = wav_seconds(wav)
        if self.fault == "offline":
            raise DeviceOffline("simulated: offline")
        self._stopped.clear()
        with self._lock:
            self.started_at.append(time.monotonic())
            self.output_dir.mkdir(parents=True, exist_ok=True)
            path = self.output_dir / f"{len(self.played) + 1:04d}-{label}.wav"
            path.write_bytes(scaled(wav, self.volume))
            self.played.append((label, path))
        if self.realtime:
            self._stopped.wait(seconds)

    def stop(self) -> None:
        """Cut the sound that is playing short."""
        self._stopped.set()

    def status(self) -> DeviceStatus:
        """READY, or OFFLINE in the offline fault; counts the sounds played."""
        counters = {"played": len(self.played)}
        if self.fault == "offline":
            return DeviceStatus(DeviceState.OFFLINE, (OFFLINE_REPORT,), "simulated: offline", counters=counters)
        return DeviceStatus(DeviceState.READY, (), f"simulated: {self.output_dir}", counters=counters)

    def self_test(self, level: SelfTestLevel | str) -> SelfTestResult:
        """Plays (writes) a test tone."""
        level = SelfTestLevel(level)
        try:
            self.play(tone(), "selftest")
        except DeviceError as exc:
            return SelfTestResult(level, False, str(exc))
        return SelfTestResult(level, True, "test tone written")


def tone(seconds: float = 0.4, hz: int = 660, rate: int = 16000) -> bytes:
    """A short sine tone as WAV (the self-test's sound)."""
    import math

    samples = array.array("h", (int(12000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate))))
    if sys.byteorder == "big":
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())
    return out.getvalue()


@driver("audio_output", "alsa")
class PlayerAudioConfig(DriverConfig):
    """The system's sound stack: ALSA through aplay, or PulseAudio/PipeWire through paplay."""

    driver: Literal["alsa"]
    player: Literal["aplay", "paplay"] = Field("aplay", description="aplay (ALSA) or paplay (PulseAudio, PipeWire).")
    device: str | None = Field(None, description="ALSA PCM ('plughw:0,0') or PulseAudio sink; default: the system's.")
    volume: int = Field(80, ge=0, le=100, description="Volume in percent at start.")

    def build(self, context: BuildContext) -> PlayerAudioOutput:
        return PlayerAudioOutput(context.name, self.player, self.device, self.volume)


@driver("audio_output", "simulated")
class SimulatedAudioConfig(DriverConfig):
    """Writes every played sound to a file (demo, tests, training)."""

    driver: Literal["simulated"]
    output_dir: Path | None = Field(None, description="Where played sounds go; default <state_dir>/printed/<device>.")
    realtime: bool = Field(False, description="Take as long as the sound lasts to 'play' it.")
    fault: Literal["offline"] | None = Field(None, description="Fault the device starts in.")
    volume: int = Field(80, ge=0, le=100, description="Volume in percent at start.")

    def build(self, context: BuildContext) -> SimulatedAudioOutput:
        return SimulatedAudioOutput(context.name, context.output_dir(self.output_dir), self.realtime, self.fault,
                                    self.volume)
