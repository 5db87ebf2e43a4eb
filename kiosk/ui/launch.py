"""Start the kiosk UI on a runtime: interactively (``adm-kiosk run``, the windowed demo) or scripted."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.logs import event as log_event
from kiosk.ui import prepare_kivy

log = logging.getLogger(__name__)


def launch(config: Config, *, out: Path | None = None, headless: bool = False, central: Any = None,
           on_first_frame=None, on_tick=None) -> int:
    """Build runtime and app from ``config`` and run until the app stops; returns an exit code."""
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
    app = KioskApp(controller, location=config.kiosk.location, help_location=config.kiosk.help_location,
                   on_first_frame=on_first_frame, on_tick=on_tick)
    holder["app"] = app
    runtime.monitor.last = controller.state.printers
    runtime.start()
    log_event(log, "kiosk.start", kiosk=config.kiosk.id, recovered_uncertain=len(runtime.recovery.uncertain))
    try:
        if headless and out is not None:
            from kiosk.ui.demo_script import run_script

            return run_script(app, runtime, central, out)
        app.run()
        return 0
    finally:
        runtime.stop()
        log_event(log, "kiosk.stop")
