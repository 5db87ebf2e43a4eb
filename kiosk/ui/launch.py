"""Start the kiosk UI on a runtime: interactively (``adm-kiosk run``, the windowed demo) or scripted."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.logs import event as log_event
from kiosk.ui import prepare_kivy

log = logging.getLogger(__name__)


def _session_metrics(metrics, old, new) -> None:
    """Count sessions from the flow's own transitions (no personal data: only that one began or ended)."""
    from kiosk.flow import Screen

    if not old.in_session and new.in_session:
        metrics.session_started()
    elif old.in_session and not new.in_session:
        outcome = "completed" if old.screen is Screen.DONE else (
            "idle_logout" if old.idle_warning_since is not None else "logged_out")
        metrics.session_ended(outcome)


def technician_services(config: Config, runtime: Any):
    from kiosk.technician import TechnicianGate
    from kiosk.ui.technician import TechnicianServices

    section = config.technician
    gate = TechnicianGate(section.technicians, section.max_attempts, section.lockout_s)
    return TechnicianServices(gate=gate, diagnostics=runtime.diagnostics, last_scan=runtime.last_scan)


def launch(config: Config, *, out: Path | None = None, headless: bool = False, central: Any = None) -> int:
    """Build runtime and app from ``config`` and run until the app stops; returns an exit code.

    Tells systemd READY once the attract screen has drawn, pings the watchdog from the UI clock (a hung
    main thread stops the pings), stops cleanly on SIGTERM, serves metrics and sends heartbeats."""
    import faulthandler
    import signal

    from kiosk import __version__, sdnotify
    from kiosk import metrics as kiosk_metrics

    faulthandler.enable()  # the watchdog's SIGABRT then leaves the main thread's stack in the journal
    display = config.kiosk.display
    prepare_kivy(width=display.width, height=display.height, fullscreen=display.fullscreen,
                 home=config.storage.state_dir / "kivy")

    from kiosk.controller import Controller
    from kiosk.flow import Flow
    from kiosk.runtime import KioskRuntime
    from kiosk.ui.app import KioskApp

    holder: dict[str, KioskApp] = {}
    runtime = KioskRuntime(config, post=lambda event: holder["app"].post(event))
    flow = Flow(runtime.flow_settings())
    controller = Controller(flow, flow.initial(runtime.monitor.check()), runtime.effects.perform)
    metrics = kiosk_metrics.get_metrics()
    metrics.set_info(__version__, config.kiosk.id)
    controller.subscribe(lambda old, new: _session_metrics(metrics, old, new))
    app = KioskApp(controller, location=config.kiosk.location, help_location=config.kiosk.help_location,
                   on_first_frame=lambda: sdnotify.ready("attract screen shown"),
                   on_tick=sdnotify.watchdog_pinger(), technician=technician_services(config, runtime))
    holder["app"] = app
    signal.signal(signal.SIGTERM, lambda *_: app.post_stop())
    runtime.monitor.last = controller.state.printers
    runtime.start()
    server = kiosk_metrics.MetricsServer.from_config(metrics, config.metrics).start() if config.metrics.enabled \
        else None
    heartbeat = kiosk_metrics.HeartbeatLoop(runtime.send_heartbeat, config.central.heartbeat_interval_s,
                                            metrics).start()
    log_event(log, "kiosk.start", kiosk=config.kiosk.id, recovered_uncertain=len(runtime.recovery.uncertain))
    try:
        if headless and out is not None:
            from kiosk.ui.demo_script import run_script

            return run_script(app, runtime, central, out)
        app.run()
        return 0
    finally:
        sdnotify.stopping("stopping")
        heartbeat.stop()
        if server is not None:
            server.stop()
        runtime.stop()
        log_event(log, "kiosk.stop")
