"""The composition root (:mod:`kiosk.assembly`): what it wires, seen without a window."""

from __future__ import annotations

import gc
import subprocess
import sys
from types import SimpleNamespace

import pytest

from kiosk.assembly import Kiosk, _ready, session_metrics
from kiosk.flow import Screen


class RecordingMetrics:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def session_started(self) -> None:
        self.seen.append("started")

    def session_ended(self, outcome: str) -> None:
        self.seen.append(outcome)


def state(in_session: bool, screen: Screen = Screen.NIK_ENTRY, idle_warning_since: float | None = None):
    return SimpleNamespace(in_session=in_session, screen=screen, idle_warning_since=idle_warning_since)


def test_sessions_are_counted_from_the_flows_own_transitions():
    metrics = RecordingMetrics()
    count = session_metrics(metrics)
    attract = state(False, Screen.ATTRACT)
    count(attract, state(True))
    count(state(True), state(True, Screen.PIN_ENTRY))  # a step inside a session counts nothing
    count(state(True, Screen.DONE), attract)
    count(attract, state(True))
    count(state(True, idle_warning_since=12.0), attract)
    count(attract, state(True))
    count(state(True, Screen.DOCUMENTS), attract)
    assert metrics.seen == ["started", "completed", "started", "idle_logout", "started", "logged_out"]


def test_the_entry_points_load_neither_kivy_nor_the_ui_nor_the_demo_on_import():
    # Kivy reads its configuration once, when first imported: kiosk.assembly configures it for the kiosk
    # before the UI is imported, and `adm-kiosk run` never loads the demo.
    code = ("import sys, kiosk.assembly, kiosk.cli\nkiosk.cli.build_parser()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy' or m.startswith(('kiosk.ui', "
            "'kiosk.demo'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_what_the_start_made_stays_out_of_the_collectors_full_passes_until_the_kiosk_stops(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    gc.unfreeze()
    started = [[n] for n in range(50_000)]  # what a start leaves behind: widgets, rules, modules
    _ready(None, None)  # the first frame is drawn  # type: ignore[arg-type]
    try:
        # Kept out: a full pass (generation 2) walks what came after the start only.
        assert gc.get_freeze_count() >= len(started)
        assert not any(obj is started for obj in gc.get_objects(generation=2))
    finally:
        Kiosk(config=None, runtime=None, controller=None, app=None, metrics=None).stop()  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
    assert any(obj is started for obj in gc.get_objects(generation=2))
