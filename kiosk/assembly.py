"""The composition root: one Config in, the running kiosk out.

Builds the runtime (devices, central client, print store, effects), the flow and its controller, metrics,
the heartbeat, the technician's services and systemd's notifications, and hands the UI what it needs as
constructor arguments. The only module outside :mod:`kiosk.ui` that imports it (tests/test_import_direction.py):
the UI receives services and never reaches for them.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import metrics as kiosk_metrics
from kiosk import sdnotify
from kiosk.config import Config
from kiosk.controller import Controller
from kiosk.flow import Flow, FlowState, Screen
from kiosk.flow_card import awaits_finger
from kiosk.flow_model import NoticeChanged
from kiosk.logs import event as log_event
from kiosk.runtime import KioskRuntime
from kiosk.technician import TechnicianGate, TechnicianServices
from kiosk.voice import SpeechLine, VoiceGuide
from kiosk.voice_script import lines_for, lines_to_prepare

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

log = logging.getLogger(__name__)


def session_metrics(metrics: kiosk_metrics.KioskMetrics) -> Callable[[FlowState, FlowState], None]:
    """A controller listener that counts sessions from the flow's own transitions (no personal data: only
    that one began, and how it ended)."""

    def count(old: FlowState, new: FlowState) -> None:
        if not old.in_session and new.in_session:
            metrics.session_started()
        elif old.in_session and not new.in_session:
            outcome = "completed" if old.screen is Screen.DONE else (
                "idle_logout" if old.idle_warning_since is not None else "logged_out")
            metrics.session_ended(outcome)

    return count


def voice_listener(voice: VoiceGuide, help_location: str,
                   help_location_en: str = "") -> Callable[[FlowState, FlowState], None]:
    """A controller listener that speaks each change in the accessibility mode (:mod:`kiosk.voice_script`);
    it only queues lines for the voice's own thread, so the UI thread never waits for speech."""

    def speak(old: FlowState, new: FlowState) -> None:
        if new.accessible and (not old.accessible or old.language != new.language):
            voice.prepare(lines_to_prepare(), (new.language,))  # while the resident listens to the first words
        lines = lines_for(old, new, help_location_en if new.language == "en" and help_location_en else help_location)
        if lines:
            # A new screen or message cuts short what was being said; printing progress waits its turn.
            cut = old.screen is not new.screen or old.message != new.message or old.accessible != new.accessible
            voice.say(lines, new.language, interrupt=cut)
        elif old.accessible and not new.accessible:
            voice.silence()

    return speak


def technician_services(config: Config, runtime: KioskRuntime) -> TechnicianServices:
    """The technician screen's gate (PINs from config), diagnostics and the reader's last scan."""
    section = config.technician
    gate = TechnicianGate(section.technicians, section.max_attempts, section.lockout_s)
    return TechnicianServices(gate=gate, diagnostics=runtime.diagnostics, last_scan=runtime.last_scan)


@dataclass
class Kiosk:
    """The assembled kiosk: the runtime behind the screens, the controller holding the flow, the app.

    :meth:`start` starts the background work (device monitor, outbox, readers, metrics, heartbeat);
    :meth:`stop` ends it. A scripted run (the demo) looks at ``runtime`` and drives ``app``."""

    config: Config
    runtime: KioskRuntime
    controller: Controller
    app: KioskApp
    metrics: kiosk_metrics.KioskMetrics
    _stoppers: list[Callable[[], object]] = field(default_factory=list, init=False, repr=False)

    def start(self) -> None:
        config = self.config
        self.runtime.monitor.last = self.controller.state.printers
        self._stoppers.append(self.runtime.stop)  # also closes the devices the runtime opened when built
        self.runtime.start()  # with the metrics endpoint and the heartbeat
        log_event(log, "kiosk.start", kiosk=config.kiosk.id, recovered_uncertain=len(self.runtime.recovery.uncertain))

    def stop(self) -> None:
        """Stop what :meth:`start` started, the last started first."""
        while self._stoppers:
            self._stoppers.pop()()
        gc.unfreeze()  # the start's objects are the collector's again (see settle_heap)
        log_event(log, "kiosk.stop")


def assemble(config: Config, config_path: Path | None = None, push_root: Path | None = None) -> Kiosk:
    """Build everything from ``config`` and hand the UI what it needs; nothing runs yet.

    Kivy is configured here (:func:`kiosk.ui.prepare_kivy`), before anything creates its window."""
    from kiosk.ui import prepare_kivy

    display = config.kiosk.display
    prepare_kivy(width=display.width, height=display.height, fullscreen=display.fullscreen,
                 home=config.storage.state_dir / "kivy")
    from kiosk.ui.app import KioskApp

    holder: dict[str, KioskApp] = {}
    metrics = kiosk_metrics.get_metrics()
    runtime = KioskRuntime(config, post=lambda event: holder["app"].post(event), metrics=metrics,
                           config_path=config_path, push_root=push_root, restart=lambda: holder["app"].post_stop())
    flow = Flow(runtime.flow_settings())
    # The notice kept from before a restart (out of service, closed, capped) shows from the first frame.
    notice = runtime.fleet.notice()
    runtime.fleet.shown = notice
    initial, _ = flow.handle(flow.initial(runtime.monitor.check()), NoticeChanged(notice=notice))
    controller = Controller(flow, initial, runtime.effects.perform)
    # A finger taken for a login the flow no longer waits for is dropped, not sent, and a capture nobody waits
    # for is cancelled (see EffectRunner._verify_finger).
    runtime.effects.awaited = lambda attempt: awaits_finger(controller.state, attempt)
    controller.subscribe(session_metrics(metrics))
    voice = runtime.voice
    announce: Callable[[SpeechLine], None] | None = None
    if voice is not None:
        controller.subscribe(voice_listener(voice, config.kiosk.help_location, config.kiosk.help_location_en))

        def announce(line: SpeechLine) -> None:  # a keypad's digit count, a focused control: only in the mode
            if controller.state.accessible:
                voice.say([line], controller.state.language)
    app = KioskApp(controller, location=config.kiosk.location, help_location=config.kiosk.help_location,
                   help_location_en=config.kiosk.help_location_en,
                   on_first_frame=lambda: _ready(config_path, runtime),
                   on_tick=sdnotify.watchdog_pinger(), technician=technician_services(config, runtime),
                   announce=announce)
    holder["app"] = app
    return Kiosk(config=config, runtime=runtime, controller=controller, app=app, metrics=metrics)


def _ready(config_path: Path | None, runtime: KioskRuntime) -> None:
    """The resident screens are up: settle the heap, tell systemd, and keep a config the operator pushed
    (acknowledged next)."""
    settle_heap()
    sdnotify.ready("attract screen shown")
    if config_path is not None:
        from kiosk import config_push

        config_push.reached_ready(runtime.fleet.push_root)
        runtime.fleet.collect_config_push()


def settle_heap() -> None:
    """Collect the start's garbage once, then keep what lives on (Kivy's widgets and rules, every screen, the
    modules: about 250 000 objects) out of the collector's later full passes. A full pass over them took about
    130 ms, on whichever thread allocated, so on the UI's too: a stall a resident would feel in the middle of a
    session. Now it walks only what came after the start. :meth:`Kiosk.stop` gives them back."""
    gc.collect()
    gc.freeze()


def run(config: Config, *, drive: Callable[[Kiosk], int] | None = None, config_path: Path | None = None,
        push_root: Path | None = None) -> int:
    """Assemble the kiosk from ``config``, start it and run the UI until it stops; returns an exit code.

    Tells systemd READY once the attract screen has drawn, pings the watchdog from the UI clock (a hung
    main thread stops the pings), stops cleanly on SIGTERM, serves metrics and sends heartbeats. With
    ``drive``, ``drive(kiosk)`` runs the app instead of :meth:`kivy.app.App.run` and gives the exit code
    (the demo's scripted resident)."""
    import faulthandler
    import signal

    faulthandler.enable()  # the watchdog's SIGABRT then leaves the main thread's stack in the journal
    kiosk = assemble(config, config_path, push_root)
    signal.signal(signal.SIGTERM, lambda *_: kiosk.app.post_stop())
    try:
        kiosk.start()  # inside: what started before a failure (say, the metrics port taken) is stopped
        if drive is not None:
            return drive(kiosk)
        kiosk.app.run()
        return 0
    finally:
        sdnotify.stopping("stopping")
        kiosk.stop()


def show_config_problems(problems: list[str]) -> int:
    """Show ``problems`` full screen until SIGTERM (see :mod:`kiosk.ui.config_error`); returns 2.

    systemd hears READY with the reason once the page is up, and the watchdog stays fed: a kiosk with a
    bad config stays on the screen instead of restarting in a loop."""
    import os
    import tempfile
    from pathlib import Path

    from kiosk.ui import prepare_kivy

    # No usable config, so no state directory from it: systemd's StateDirectory=, else a temporary one.
    home = Path(os.environ.get("STATE_DIRECTORY") or tempfile.gettempdir()) / "kivy-config-error"
    prepare_kivy(width=1920, height=1080, fullscreen=True, home=home)
    from kiosk.ui.config_error import show_config_error

    try:
        return show_config_error(problems,
                                 on_shown=lambda: sdnotify.ready(f"config error: {len(problems)} problem(s)"),
                                 on_tick=sdnotify.watchdog_pinger())
    finally:
        sdnotify.stopping("stopping")
