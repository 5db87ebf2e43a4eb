"""One session by the USB keypad alone, in the accessibility mode, on the real app: attract to done.

Run as a child process by test_keypad.py (Kivy keeps one window per process): the reference central service
on loopback, the demo's simulated devices and the scripted resident's :meth:`Script.keypad_session`. Every text
handed to the synthesiser (real espeak-ng) is kept, with the resident's NIK, PIN and name, in the report.
Usage: python keypad_session.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from central.testing import start_central
from kiosk.assembly import run
from kiosk.demo import demo_config

OUT = Path(sys.argv[1])


class RecordingSynthesiser:
    """The real synthesiser, keeping every text it is handed and when."""

    def __init__(self, inner):
        self.inner = inner
        self.texts: list[list[str]] = []

    def synthesise(self, text: str, language: str) -> bytes:
        self.texts.append([language, text])
        return self.inner.synthesise(text, language)


def drive(kiosk) -> int:
    from kiosk.demo.robot import frames
    from kiosk.demo.script import Script

    voice = kiosk.runtime.voice
    recorder = RecordingSynthesiser(voice.library.synthesiser)
    voice.library.synthesiser = recorder
    latencies: list[list] = []
    voice.on_start = lambda line, seconds: latencies.append([line.key, round(seconds * 1000, 1)])
    touches = []
    kiosk.app._run_prepare()
    kiosk.app.root.bind(on_touch_down=lambda *_a: touches.append(time.monotonic()))
    script = Script(kiosk, central, OUT)
    report: dict = {}
    try:
        script.keypad_session()
        report["failed"] = None
    except (LookupError, TimeoutError) as exc:
        report["failed"] = str(exc)
    finally:
        resident = central.resident("ready_woman")
        report.update(checks=script.report["checks"], screens=script.report["screens"], synthesised=recorder.texts,
                      latencies_ms=latencies, touches=len(touches),
                      secrets={"nik": resident["nik"], "pin": resident["pin"], "name": resident["name"]})
        (OUT / "report.json").write_text(json.dumps(report, indent=1))
        kiosk.app.stop()
        frames(2)
    return 0


central = start_central(OUT / "central")
try:
    config = demo_config(OUT, central.client_config(), headless=True)
    sys.exit(run(config, drive=drive))
finally:
    central.stop()
