"""Voice guidance: the audio output devices, espeak-ng, the cache and the recorded clips, the guard that keeps
personal data out of speech, and a voice that never holds up its caller."""

from __future__ import annotations

import threading
import time
import wave
from dataclasses import replace

import pytest

from devices import registry
from devices.audio import PlayerAudioOutput, SimulatedAudioOutput, tone, wav_seconds
from devices.base import DeviceOffline, DeviceState
from kiosk.flow import DocProgress, DocumentItem, FlowState, Media, Message, Phase, Screen
from kiosk.i18n import Translator
from kiosk.voice import Espeak, SoundLibrary, SpeechLine, UnsafeSpeech, VoiceGuide, check_speakable
from kiosk.voice_script import digit_count, lines_for

needs_espeak = pytest.mark.skipif(not Espeak().available(), reason="espeak-ng is not installed (./dev installs it)")


class Recording:
    """Wraps a synthesiser and keeps every text handed to it."""

    def __init__(self, inner, delay_s: float = 0.0):
        self.inner = inner
        self.delay_s = delay_s
        self.texts: list[tuple[str, str]] = []

    def synthesise(self, text: str, language: str) -> bytes:
        self.texts.append((language, text))
        time.sleep(self.delay_s)
        return self.inner.synthesise(text, language) if self.inner else tone(0.2)


def test_the_audio_output_kind_and_its_drivers_are_registered(tmp_path):
    kind = next(k for k in registry.kinds() if k.name == "audio_output")
    assert kind.key == "audio_output" and not kind.many
    names = {spec.name: spec.config_model for spec in registry.drivers("audio_output")}
    assert set(names) == {"alsa", "simulated"}
    device = names["simulated"](driver="simulated").build(registry.BuildContext("voice", tmp_path))
    assert isinstance(device, SimulatedAudioOutput) and device.output_dir == tmp_path / "printed" / "voice"


def test_the_simulated_output_writes_each_sound_in_order_at_its_volume(tmp_path):
    audio = SimulatedAudioOutput("voice", tmp_path)
    audio.set_volume(50)
    audio.play(tone(), "speech.attract")
    audio.play(tone(), "speech.nik_entry")
    assert [p.name for _, p in audio.played] == ["0001-speech.attract.wav", "0002-speech.nik_entry.wav"]
    with wave.open(str(audio.played[0][1])) as quiet, wave.open(__import__("io").BytesIO(tone())) as loud:
        assert max(quiet.readframes(400)) <= max(loud.readframes(400))
    audio.fault = "offline"
    with pytest.raises(DeviceOffline):
        audio.play(tone())
    assert audio.status().state is DeviceState.OFFLINE


def test_the_real_driver_plays_through_the_system_player_and_fails_as_a_device_error(tmp_path, monkeypatch):
    # A stand-in 'aplay' on PATH that keeps what it was fed: the driver's own process handling runs for real.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aplay").write_text(f"#!/bin/sh\ncat > {tmp_path}/fed.wav\n")
    (bin_dir / "aplay").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    audio = PlayerAudioOutput("voice", device="null", volume=100)
    audio.play(tone(), "x")
    assert (tmp_path / "fed.wav").read_bytes() == tone()
    (bin_dir / "aplay").write_text("#!/bin/sh\necho 'no soundcards found' >&2\nexit 1\n")
    with pytest.raises(DeviceOffline, match="no soundcards"):
        audio.play(tone())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert audio.status().state is DeviceState.OFFLINE


def test_stop_cuts_a_playing_sound_short(tmp_path):
    audio = SimulatedAudioOutput("voice", tmp_path, realtime=True)
    player = threading.Thread(target=audio.play, args=(tone(seconds=3.0),))
    player.start()
    deadline = time.monotonic() + 5
    while not audio.played and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    audio.stop()
    player.join(5)
    assert not player.is_alive() and time.monotonic() - started < 1.0


@needs_espeak
@pytest.mark.parametrize("language", ["id", "en"])
def test_espeak_speaks_each_language_offline(language):
    text = Translator(language)("speech.take_card")
    wav = Espeak().synthesise(text, language)
    assert wav_seconds(wav) > 1.0


def test_a_sound_is_synthesised_once_then_cached_and_a_recorded_clip_replaces_it(tmp_path):
    synth = Recording(None)
    library = SoundLibrary(synth, tmp_path / "cache", tmp_path / "clips")
    tr = Translator("id")
    line = SpeechLine("speech.take_documents")
    assert library.sound(line, tr)[1] == "synthesis"
    assert library.sound(line, tr)[1] == "cache"
    assert library.sound(line, Translator("en"))[1] == "synthesis"  # cached per language
    assert len(synth.texts) == 2
    clip = tmp_path / "clips" / "id" / "speech.take_documents.wav"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(tone(0.3))
    assert library.sound(line, tr) == (clip.read_bytes(), "clip")
    assert library.sound(digit_count(3, 16), tr)[1] == "synthesis"  # a message with numbers has no clip


@pytest.mark.parametrize("line", [
    SpeechLine("pin.for_nik", {"nik": "3273015503850002"}),       # a text parameter that is not allowed
    SpeechLine("documents.hello", {"name": "BUDI"}),              # a name
    SpeechLine("3273015503850002"),                               # not a message key
    SpeechLine("speech.digit", {"n": 3273, "of": 16}),            # four digits in a row once translated
    SpeechLine("speech.digit", {"n": 1.5, "of": 16}),             # neither a number nor a text
])
def test_speech_refuses_anything_that_could_say_a_nik_pin_or_name(line):
    with pytest.raises(UnsafeSpeech):
        line.text(Translator("id"))


def test_a_keypad_speaks_how_many_digits_never_which():
    tr = Translator("id")
    assert digit_count(5, 16).text(tr) == "angka ke-5 dari 16"
    assert digit_count(0, 6).text(tr) == "belum ada angka, dari 6"
    assert digit_count(1, 6).text(Translator("en")) == "digit 1 of 6"
    check_speakable(digit_count(16, 16))


def test_voice_never_holds_up_its_caller_and_a_new_screen_cuts_the_old_speech(tmp_path):
    audio = SimulatedAudioOutput("voice", tmp_path, realtime=True)
    voice = VoiceGuide(audio, SoundLibrary(Recording(None, delay_s=0.3), tmp_path / "cache"))
    voice.start()
    try:
        started = time.monotonic()
        voice.say([SpeechLine("speech.attract"), SpeechLine("speech.nik_entry")], "id")
        voice.say([SpeechLine("speech.pin_entry")], "id")
        assert time.monotonic() - started < 0.05
        assert voice.wait_idle(5)
        spoken = [label for label, _ in audio.played]
        assert spoken[-1] == "speech.pin_entry" and "speech.nik_entry" not in spoken
    finally:
        voice.stop()


ACCESSIBLE = FlowState(screen=Screen.ATTRACT, accessible=True)


def test_the_script_speaks_screens_messages_progress_and_the_final_reminders_only_in_the_mode():
    assert lines_for(None, replace(ACCESSIBLE, accessible=False)) == []
    assert lines_for(None, ACCESSIBLE) == [SpeechLine("speech.attract")]
    pin = replace(ACCESSIBLE, screen=Screen.PIN_ENTRY)
    wrong = replace(pin, message=Message("login.invalid", {"attempts_left": 2}))
    assert lines_for(pin, wrong) == [SpeechLine("login.invalid", {"attempts_left": 2})]
    docs = (DocumentItem("a", "kk", "2026-01-01", Media.A4), DocumentItem("c", "ktp_el", "2026-01-01", Media.CARD))
    printing = replace(ACCESSIBLE, screen=Screen.PRINTING, documents=docs,
                       progress=(DocProgress("a", Phase.PRINTING), DocProgress("c")))
    one_done = replace(printing, progress=(DocProgress("a", Phase.DONE), DocProgress("c", Phase.PRINTING)))
    assert lines_for(printing, one_done) == [SpeechLine("speech.doc_done", {"n": 1, "of": 2}),
                                             SpeechLine("speech.doc_printing", {"n": 2, "of": 2})]
    done = replace(one_done, screen=Screen.DONE, progress=(DocProgress("a", Phase.DONE), DocProgress("c", Phase.DONE)))
    said = lines_for(one_done, done)
    assert said[0] == SpeechLine("speech.done")
    assert said[1:3] == [SpeechLine("speech.take_card"), SpeechLine("speech.take_documents")]
    assert said[-1] == SpeechLine("speech.rating")  # the optional rating is offered last
    tr = Translator("id")
    assert [line.text(tr) for line in said[1:3]] == ["Ambil kartu Anda di slot printer kartu.", "Ambil dokumen Anda."]
    assert lines_for(done, replace(done, rated=4)) == [SpeechLine("rating.thanks")]


def test_a_message_with_the_help_location_speaks_the_configured_place_not_a_parameter_from_the_flow():
    failed = replace(ACCESSIBLE, screen=Screen.DONE, message=Message("done.some_failed", {"help": "x", "nik": "1"}))
    line = lines_for(None, failed, help_location="Loket 2")[1]
    assert line == SpeechLine("done.some_failed", {"help": "Loket 2"})


def test_every_kiosk_screen_has_a_spoken_introduction_in_both_languages():
    from kiosk.flow_model import OFFICER_SCREENS
    from kiosk.voice_script import SCREEN_SPEECH

    resident = set(Screen) - {Screen.TECHNICIAN} - OFFICER_SCREENS  # staff screens: the mode is off there
    assert set(SCREEN_SPEECH) == resident
    for language in ("id", "en"):
        tr = Translator(language)
        for key in SCREEN_SPEECH.values():
            assert tr.has(key), (language, key)



def test_lines_prepared_ahead_are_spoken_from_the_cache(tmp_path):
    from kiosk.voice_script import lines_to_prepare

    synth = Recording(None)
    audio = SimulatedAudioOutput("voice", tmp_path / "out")
    voice = VoiceGuide(audio, SoundLibrary(synth, tmp_path / "cache"))
    voice.start()
    try:
        lines = lines_to_prepare()
        voice.prepare(lines, ("id",))
        voice.prepare(lines, ("id",))  # asked twice, made once
        deadline = time.monotonic() + 10
        while len(synth.texts) < len(lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(synth.texts) == len(lines)
        voice.say([digit_count(7, 16)], "id")
        assert voice.wait_idle(5)
        assert len(synth.texts) == len(lines) and audio.played[-1][0] == "speech.digit"
    finally:
        voice.stop()
