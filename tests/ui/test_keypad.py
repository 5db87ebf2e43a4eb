"""A whole session by the USB keypad alone, in the accessibility mode, with voice guidance: the real app
headless, the reference central service, simulated printers and audio output, real espeak-ng."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import wave
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
pytestmark = [pytest.mark.ui, pytest.mark.heavy]  # a whole session by keys, spoken by espeak-ng, like the demo


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("keypad")
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "KIVY_WINDOW", "DISPLAY")}
    result = subprocess.run([sys.executable, str(HERE / "keypad_session.py"), str(out)], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["failed"] is None, report
    return out, report


def test_a_whole_session_attract_to_done_by_keys_alone(session):
    _out, report = session
    checks = report["checks"]
    assert report["touches"] == 0
    assert checks["keypad_accessible"] is True
    assert checks["keypad_session_phases"] == ["done"]
    assert checks["keypad_accessible_after"] is False  # the mode ended with the session
    screens = [s["screen"] for s in report["screens"]]
    assert screens == ["attract", "nik_entry", "pin_entry", "documents", "confirm", "done", "done"]
    assert checks["keypad_rating"] == 4  # the optional rating, by keys too
    # '*' off the attract screen calls for help; Enter closes the panel; the confirm screen is as it was.
    assert checks["keypad_help"][0] == "confirm" and checks["keypad_help"][1] in ("sent", "already")
    assert checks["keypad_help_closed"] == ["confirm", None]


def test_every_screen_and_the_final_reminders_were_spoken_one_file_each(session):
    out, report = session
    spoken = report["checks"]["spoken"]
    for key in ("speech.attract", "speech.nik_entry", "speech.pin_entry", "speech.documents", "speech.confirm",
                "speech.printing", "speech.done", "speech.take_card", "speech.take_documents", "speech.rating",
                "rating.thanks"):
        assert key in spoken, key
    assert spoken.index("speech.take_card") > spoken.index("speech.done")
    files = sorted((out / "speech").glob("*.wav"))
    assert [f.name.split("-", 1)[1].removesuffix(".wav") for f in files] == spoken
    with wave.open(str(next(f for f in files if f.name.endswith("speech.take_card.wav")))) as sound:
        assert sound.getnframes() / sound.getframerate() > 1.0  # real speech, not a blip


def test_no_text_handed_to_the_synthesiser_says_the_nik_pin_or_name(session):
    _out, report = session
    secrets = report["secrets"]
    texts = [text for _language, text in report["synthesised"]]
    assert texts, "nothing was synthesised"
    assert any("angka ke-5 dari 16" == t for t in texts)  # how many digits, never which
    assert "Ambil kartu Anda di slot printer kartu." in texts
    name_parts = [p.lower() for p in secrets["name"].split() if len(p) > 2]
    for text in texts:
        assert not re.search(r"\d{4,}", text), text
        assert secrets["nik"] not in text and secrets["pin"] not in text
        assert not any(part in text.lower() for part in name_parts), text
        assert all(secrets["nik"][i:i + 4] not in text for i in range(0, 13))


def test_speech_starts_soon_after_each_screen_change(session):
    _out, report = session
    starts = [ms for key, ms in report["latencies_ms"] if key.startswith("speech.")]
    assert starts and max(starts) < 3000  # espeak-ng from cold, on two busy cores; bench/ measures the budget
