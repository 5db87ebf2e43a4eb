"""The headless demo's scripted session: a resident's taps through every screen, with screenshots.

Everything goes through the window as touches on the buttons a resident sees, found by their
translated text; devices are faulted the way a real printer fails. Writes ``OUT/screens/NN-name.png``
and ``OUT/screens/report.json`` (what each step saw; no personal data).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from kivy.uix.label import Label

from kiosk.flow import Phase, Screen
from kiosk.logs import event as log_event
from kiosk.ui.driver import find_button, frames, screenshot, tap, wait_until, walk

log = logging.getLogger(__name__)


class Script:
    def __init__(self, app, runtime, central, out: Path):
        self.app = app
        self.runtime = runtime
        self.central = central
        self.dir = out / "screens"
        self.count = 0
        self.report: dict[str, Any] = {"screens": [], "checks": {}}

    # ----- looking
    @property
    def state(self):
        return self.app.controller.state

    def tr(self, key: str, **params: Any) -> str:
        return self.app.navigator.context(self.state).tr(key, **params)

    def shot(self, name: str) -> None:
        frames(3)
        self.count += 1
        screenshot(self.dir / f"{self.count:02d}-{name}.png")
        self.report["screens"].append({"file": f"{self.count:02d}-{name}.png", "screen": self.state.screen.value,
                                       "language": self.state.language})

    def wait_screen(self, screen: Screen, timeout: float = 30) -> None:
        wait_until(lambda: self.state.screen is screen, timeout, f"screen {screen.value}")
        frames(2)

    def texts(self) -> list[str]:
        return [w.text for w in walk(self.app.root) if isinstance(w, Label) and w.text]

    # ----- touching
    def press(self, key: str, **params: Any) -> None:
        tap(find_button(self.app.root, self.tr(key, **params)))

    def type_digits(self, digits: str) -> None:
        current = self.app.screens[self.state.screen]
        for digit in digits:
            tap(find_button(current, digit))

    def login(self, nik: str, pin: str) -> None:
        self.press("attract.start")
        self.wait_screen(Screen.NIK_ENTRY)
        self.type_digits(nik)
        self.press("common.next")
        self.wait_screen(Screen.PIN_ENTRY)
        self.type_digits(pin)
        self.press("common.next")

    def print_all_and_wait(self, before_confirm=None) -> None:
        self.press("documents.print", count=len(self.state.selected))
        self.wait_screen(Screen.CONFIRM)
        if before_confirm:
            before_confirm()
        self.press("confirm.yes")
        self.wait_screen(Screen.PRINTING)

    # ----- the session
    def run(self) -> None:
        ready = self.central.resident("ready")
        printed_before = self.central.resident("printed")
        document_printer = self.runtime.devices.document_printer
        card_printer = self.runtime.devices.card_printer

        self.wait_screen(Screen.ATTRACT)
        self.shot("attract")

        # A malformed NIK is refused on the kiosk.
        self.press("attract.start")
        self.wait_screen(Screen.NIK_ENTRY)
        self.type_digits("3273013203850001")  # 32nd of March
        self.press("common.next")
        frames(2)
        self.report["checks"]["malformed_nik_message"] = self.state.message.key if self.state.message else None
        self.shot("nik-malformed")
        self.press("keypad.clear")

        # A wrong PIN, then the right one.
        self.type_digits(ready["nik"])
        self.press("common.next")
        self.wait_screen(Screen.PIN_ENTRY)
        wrong = f"{(int(ready['pin']) + 1) % 1_000_000:06d}"
        self.type_digits(wrong)
        self.press("common.next")
        wait_until(lambda: not self.state.busy and self.state.message is not None, 30, "the wrong-PIN answer")
        self.report["checks"]["wrong_pin_message"] = self.state.message.key
        self.shot("pin-wrong")
        self.type_digits(ready["pin"])
        self.press("common.next")
        self.wait_screen(Screen.DOCUMENTS)
        self.shot("documents")

        # Print everything: KK and akta on A4, the KTP-el on the card printer.
        self.print_all_and_wait()
        wait_until(lambda: any(p.phase is Phase.PRINTING for p in self.state.progress), 30, "printing to start")
        self.shot("printing")
        self.wait_screen(Screen.DONE, timeout=120)
        self.report["checks"]["first_session_phases"] = [p.phase.value for p in self.state.progress]
        self.shot("done")
        self.press("common.finish")
        self.wait_screen(Screen.ATTRACT)
        self.report["checks"]["nik_left_in_widgets"] = any(ready["nik"] in t for t in self.texts())

        # The idle warning, and 'Tambah waktu'.
        self.press("attract.start")
        self.wait_screen(Screen.NIK_ENTRY)
        wait_until(lambda: self.state.idle_warning_since is not None, 30, "the idle warning")
        self.shot("idle-warning")
        self.press("idle.more")
        self.report["checks"]["idle_warning_closed"] = self.state.idle_warning_since is None
        self.press("common.back")
        self.wait_screen(Screen.ATTRACT)

        # A paper jam in the middle of a print job.
        self.login(printed_before["nik"], printed_before["pin"])
        self.wait_screen(Screen.DOCUMENTS)
        self.shot("documents-one-printed-before")
        self.print_all_and_wait(before_confirm=lambda: setattr(document_printer, "jam_after",
                                                               document_printer.units_total))
        self.wait_screen(Screen.DONE, timeout=120)
        self.report["checks"]["fault_session_phases"] = [p.phase.value for p in self.state.progress]
        self.shot("done-after-paper-jam")
        self.press("common.finish")
        document_printer.set_fault(None)

        # Nothing can print: out of service, then back.
        document_printer.set_fault("offline")
        card_printer.set_fault("ribbon-empty")
        self.wait_screen(Screen.OUT_OF_SERVICE)
        self.shot("out-of-service")
        document_printer.set_fault(None)
        card_printer.set_fault(None)
        self.wait_screen(Screen.ATTRACT)

        # The QR from the WhatsApp message instead of NIK and PIN; then a scan of garbage.
        reader = self.runtime.devices.barcode_readers[0]
        woman = self.central.resident("ready_woman")
        link = next(m.qr_link for m in self.central.outbox() if m.qr_token == woman["qr_token"])
        reader.inject(link.encode())
        self.wait_screen(Screen.DOCUMENTS)
        self.shot("documents-after-qr-login")
        self.press("common.cancel")
        self.wait_screen(Screen.ATTRACT)
        reader.inject(b"%%??DROP TABLE warga;--??%%")
        wait_until(lambda: self.state.message is not None, 10, "the unknown-scan message")
        self.report["checks"]["garbage_scan_message"] = self.state.message.key
        self.shot("attract-unknown-scan")

        # English, by one button.
        self.press("lang.switch")
        frames(2)
        self.shot("attract-english")
        self.press("attract.start")
        self.wait_screen(Screen.NIK_ENTRY)
        self.shot("nik-english")
        self.press("common.back")
        self.wait_screen(Screen.ATTRACT)
        self.report["checks"]["language_after_logout"] = self.state.language


def run_script(app, runtime, central, out: Path) -> int:
    """Run the scripted session on an app that has not started yet; 0 when every step passed."""
    app._run_prepare()
    script = Script(app, runtime, central, out)
    try:
        script.run()
        code = 0
    except (LookupError, TimeoutError) as exc:
        # A step could not be done: keep a picture of where it stopped and say which step.
        script.report["failed"] = str(exc)
        log_event(log, "demo.step_failed", logging.ERROR, error=type(exc).__name__)
        script.shot("failed-here")
        code = 1
    finally:
        (script.dir / "report.json").parent.mkdir(parents=True, exist_ok=True)
        (script.dir / "report.json").write_text(json.dumps(script.report, indent=1))
        app.stop()
        frames(2)
    return code
