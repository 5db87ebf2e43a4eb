"""The headless demo's scripted resident: taps through every screen, with screenshots.

Everything goes through the window as touches on the buttons a resident sees, found by their
translated text; devices are faulted the way a real printer fails. Writes ``OUT/screens/NN-name.png``
and ``OUT/screens/report.json`` (what each step saw; no personal data).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.uix.label import Label

from central.vocabulary import Media
from devices.simulated import (
    SimulatedBarcodeReader,
    SimulatedCardPrinter,
    SimulatedDocumentPrinter,
    SimulatedReceiptPrinter,
)
from kiosk.assembly import Kiosk
from kiosk.demo import DEMO_TECHNICIAN_PIN
from kiosk.demo.card_steps import run_card_steps, technician_readers
from kiosk.demo.fleet_steps import central_gone, run_fleet_steps
from kiosk.demo.officer_steps import run_officer_steps
from kiosk.demo.robot import Touch, find_button, frames, key, screenshot, simulated, tap, wait_until, walk
from kiosk.flow import Phase, Screen
from kiosk.logs import event as log_event
from kiosk.ui.navigator import Navigator
from printjobs.store import PrintStore

if TYPE_CHECKING:
    from central.testing import RunningCentral

log = logging.getLogger(__name__)

class Script:
    """A resident (and a technician) at the assembled kiosk: touches through the window, checks in a report."""

    def __init__(self, kiosk: Kiosk, central: RunningCentral, out: Path):
        self.app = kiosk.app
        self.runtime = kiosk.runtime
        self.central = central
        self.dir = out / "screens"
        self.count = 0
        self.report: dict[str, Any] = {"screens": [], "checks": {}}

    # ----- looking
    @property
    def state(self):
        return self.app.controller.state

    @property
    def navigator(self) -> Navigator:
        assert self.app.navigator is not None, "the app has not been built"
        return self.app.navigator

    @property
    def store(self) -> PrintStore:
        assert self.runtime.store is not None, "the demo's journal is unusable"
        return self.runtime.store

    def tr(self, key: str, **params: Any) -> str:
        return self.navigator.context(self.state).tr(key, **params)

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
        document_printer = simulated(self.runtime.devices.document_printer, SimulatedDocumentPrinter)
        card_printer = simulated(self.runtime.devices.card_printer, SimulatedCardPrinter)

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
        self.call_for_help()

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
        wait_until(lambda: self.state.idle_warning_since is not None, 30, "the idle warning again")
        self.press("idle.end")  # 'Selesai' on the warning ends the session at once
        self.wait_screen(Screen.ATTRACT, timeout=5)

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
        reader = simulated(self.runtime.devices.barcode_readers[0], SimulatedBarcodeReader)
        woman = self.central.resident("ready_woman")
        link = next(m.qr_link for m in self.central.outbox() if m.qr_token == woman["qr_token"])
        reader.inject(link.encode())
        self.wait_screen(Screen.DOCUMENTS)
        self.shot("documents-after-qr-login")
        self.press("common.cancel")
        self.wait_screen(Screen.ATTRACT)

        run_card_steps(self)  # the KTP-el + finger login

        # Types beyond the first five, shown by the titles of the central service's catalogue.
        family = self.central.resident("ready_family")
        self.login(family["nik"], family["pin"])
        self.wait_screen(Screen.DOCUMENTS)
        self.report["checks"]["catalogue_titles"] = sorted(d.title for d in self.state.documents)
        self.shot("documents-new-types")
        self.press("common.cancel")
        self.wait_screen(Screen.ATTRACT)
        self.switched_off_printer(family)
        reader.inject(b"%%??DROP TABLE warga;--??%%")
        wait_until(lambda: self.state.message is not None, 10, "the unknown-scan message")
        self.report["checks"]["garbage_scan_message"] = self.state.message.key
        self.shot("attract-unknown-scan")

        self.technician_area()
        self.beyond_printing()
        run_officer_steps(self)  # an officer prints a KK for a resident without a phone
        run_fleet_steps(self, self.dir.parent)  # the operator: out of service, closed, capped, a config push

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
        self.keypad_session()
        central_gone(self)  # last: the central service stops answering


    def keypad_session(self) -> None:
        """A resident who cannot see the screen well: the accessibility mode, by the USB keypad alone (no
        touch), attract to done; what voice guidance said is in ``OUT/speech/`` (one WAV per utterance)."""
        from kiosk.ui import keys as k

        woman = self.central.resident("ready_woman")
        voice = self.runtime.voice
        checks = self.report["checks"]

        def listen() -> None:  # the resident hears each screen out before the next key
            frames(2)
            if voice is not None:
                wait_until(lambda: voice.wait_idle(0), 30, "voice guidance to finish")

        self.wait_screen(Screen.ATTRACT)
        key(k.ACCESSIBILITY)
        frames(2)
        checks["keypad_accessible"] = self.state.accessible
        self.shot("a11y-attract")
        listen()
        key(13)  # Enter: the main button, 'Sentuh di sini untuk mulai'
        self.wait_screen(Screen.NIK_ENTRY)
        listen()
        for digit in woman["nik"][:5]:
            key(256 + int(digit))  # the keypad's digits
        self.shot("a11y-nik-five-digits")
        for digit in woman["nik"][5:]:
            key(48 + int(digit))  # or the top row's
        key(13)
        self.wait_screen(Screen.PIN_ENTRY)
        listen()
        for digit in woman["pin"]:
            key(256 + int(digit))
        self.shot("a11y-pin")
        key(13)
        self.wait_screen(Screen.DOCUMENTS)
        listen()
        key(270)  # keypad '+': the focus moves over the controls, with an outline
        self.shot("a11y-documents-focus")
        keypad = self.app.keys
        while not k.is_primary(keypad.focused):
            key(270)
        key(13)  # 'Cetak'
        self.wait_screen(Screen.CONFIRM)
        self.shot("a11y-confirm")
        listen()
        key(k.ACCESSIBILITY)  # '*' off the attract screen: 'Panggil petugas' (the header holds no button here)
        wait_until(lambda: self.state.help is not None and self.state.help.value != "sending", 30,
                   "the keypad's help call")
        checks["keypad_help"] = [self.state.screen.value, self.state.help.value]
        listen()
        key(13)  # Enter: 'Tutup' on the help panel, back to the confirm screen as it was
        frames(2)
        checks["keypad_help_closed"] = [self.state.screen.value, self.state.help]
        key(13)  # 'Ya, cetak'
        self.wait_screen(Screen.PRINTING)
        self.wait_screen(Screen.DONE, timeout=120)
        checks["keypad_session_phases"] = [p.phase.value for p in self.state.progress]
        wait_until(lambda: self.state.slip_printed is not None, 30, "the printed-documents slip")
        self.shot("a11y-done")
        listen()
        for _ in range(20):  # to the face 'Sangat puas' with '+', then Enter: the optional rating
            if getattr(keypad.focused, "text", "") == self.tr("rating.4"):
                break
            key(270)
        key(13)
        frames(2)
        checks["keypad_rating"] = self.state.rated
        self.shot("a11y-rated")
        listen()
        key(13)  # 'Selesai'
        self.wait_screen(Screen.ATTRACT)
        checks["keypad_accessible_after"] = self.state.accessible
        audio = self.runtime.devices.audio_output()
        checks["spoken"] = [label for label, _ in getattr(audio, "played", [])]

    def call_for_help(self) -> None:
        """'Panggil petugas' in the middle of a session: the call goes out, the documents stay as they were;
        a second press says the call is on its way; 'Tutup' and the resident carries on."""
        checks = self.report["checks"]
        before = (self.state.screen, self.state.documents, self.state.selected)
        self.press("help.call")
        wait_until(lambda: self.state.help is not None and self.state.help.value != "sending", 30,
                   "the help call's answer")
        checks["help_call"] = self.state.help.value
        self.shot("help-called")
        self.press("help.close")
        self.press("help.on_its_way")
        checks["help_call_again"] = self.state.help.value if self.state.help else None
        self.press("help.close")
        checks["help_session_kept"] = (self.state.screen, self.state.documents, self.state.selected) == before

    def switched_off_printer(self, resident: dict) -> None:
        """The A4 printer loses its power between two residents: the next one sees its documents marked
        unavailable (the card still prints) before anything is sent, then it is switched back on."""
        document_printer = simulated(self.runtime.devices.document_printer, SimulatedDocumentPrinter)
        a4_up = lambda: any(p.media is Media.A4 and p.available for p in self.state.printers)  # noqa: E731
        document_printer.set_fault("switched-off")
        wait_until(lambda: not a4_up(), 30, "the switched-off printer to be seen")
        self.shot("attract-printer-switched-off")
        self.login(resident["nik"], resident["pin"])
        self.wait_screen(Screen.DOCUMENTS)
        self.report["checks"]["switched_off_documents"] = sorted(
            (d.media.value, d.status.value, d.reason or "") for d in self.state.documents if d.media is not None)
        self.shot("documents-printer-switched-off")
        self.press("common.cancel")
        self.wait_screen(Screen.ATTRACT)
        document_printer.set_fault(None)
        wait_until(a4_up, 30, "the printer to be back")

    def technician_area(self) -> None:
        """The technician's visit: corner hold, a wrong PIN, the panel, a paper-out fixed by a reload,
        a test print, an uncertain job resolved, the export to a USB stick."""
        from kivy.core.window import Window

        store = self.store
        document_printer = simulated(self.runtime.devices.document_printer, SimulatedDocumentPrinter)
        # A card job that was being sent when the kiosk restarted: after recovery it is UNCERTAIN.
        woman_ktp = self.central.resident("ready_woman")["documents"][0]["id"]
        job = store.create_job(woman_ktp, "KTP_EL", Media.CARD, "card_printer", "")
        store.fetched(job.job_id, [b"front", b"back"])
        store.sending(job.job_id)
        store.recover()
        document_printer.set_fault("media-empty")

        corner = Touch(4, Window.height - 4)
        corner.touch_down()
        wait_until(lambda: self.state.screen is Screen.TECHNICIAN, 10, "the technician area")
        corner.touch_up()
        frames(3)  # the first layout of a screen shown for the first time
        screen = self.app.screens[Screen.TECHNICIAN]
        self.type_digits("1111")
        self.press("common.next")
        wait_until(lambda: not screen.busy and screen.message, 30, "the wrong technician PIN answer")
        self.report["checks"]["technician_wrong_pin"] = screen.technician == ""
        self.shot("technician-wrong-pin")
        self.type_digits(DEMO_TECHNICIAN_PIN)
        self.press("common.next")
        wait_until(lambda: screen.technician and not screen.busy and screen.ids.rows.children, 30,
                   "the diagnostics panel")
        self.report["checks"]["technician_saw_media_empty"] = any(
            "media-empty" in d.reasons for d in screen._report.devices)
        self.shot("technician-panel")

        tap(find_button(screen.ids.rows.children[-1], self.tr("tech.reload")))  # the document printer's row
        frames(3)
        reload_view = next(w for w in Window.children if w.__class__.__name__ == "ReloadView")
        for digit in "500":
            tap(find_button(reload_view, digit))
        self.shot("technician-reload")
        tap(find_button(reload_view, self.tr("tech.save")))
        wait_until(lambda: not screen.busy and document_printer.fault is None, 30, "the reload")
        wait_until(lambda: reload_view.parent is None, 5, "the reload view to close")  # it fades out first
        frames(2)
        printed_before = len(list(document_printer.output_dir.glob("*.pdf")))
        tap(find_button(screen.ids.rows.children[-1], self.tr("tech.test_print")))
        wait_until(lambda: not screen.busy and "tes" in screen.message.lower(), 60, "the test print")
        frames(2)
        self.report["checks"]["technician_test_page"] = (
            len(list(document_printer.output_dir.glob("*.pdf"))) == printed_before + 1)
        tap(find_button(screen.ids.jobs, self.tr("tech.not_printed")))
        wait_until(lambda: not screen.busy and not screen.ids.jobs.children, 30, "the uncertain job resolved")
        frames(2)
        self.report["checks"]["technician_resolved"] = store.journal.get(job.job_id).state.value
        # A blanko found damaged in the hopper: recorded with its cause, outside any job.
        spoiled_row = next(row for row in screen.ids.rows.children if row.title == self.tr("tech.spoiled_title"))
        tap(find_button(spoiled_row, self.tr("spoil.damaged")))
        wait_until(lambda: not screen.busy and screen.message == self.tr(
            "tech.spoiled_recorded", cause=self.tr("spoil.damaged")), 30, "the spoiled card recorded")
        frames(2)
        self.shot("technician-spoiled-card")
        month = store.audit.entries()[-1].at[:7]
        self.report["checks"]["technician_spoiled"] = store.audit.summary(month).get("card_spoiled.damaged", 0)
        technician_readers(self)
        usb = self.runtime.config.technician.export_dir
        self.press("tech.export")  # no stick yet
        wait_until(lambda: not screen.busy and screen.message == self.tr("tech.no_usb", path=usb), 30, "no stick")
        self.report["checks"]["technician_no_usb_message"] = True
        usb.mkdir(parents=True)  # the stick is plugged in and mounted
        self.press("tech.export")
        wait_until(lambda: not screen.busy and screen.message.startswith(self.tr("tech.exported", folder="")), 30,
                   "the export")
        self.report["checks"]["technician_export"] = sorted(
            p.name for p in next((self.runtime.config.technician.export_dir).iterdir()).iterdir())
        self.shot("technician-after-fixes")
        self.press("tech.exit")
        self.wait_screen(Screen.ATTRACT)


    def beyond_printing(self) -> None:
        """Queue check-in (typed, then a scanned expired booking), the three verification colours, scanner
        garbage, 'Lupa PIN?' for a registered and an unregistered NIK, and the slip of the first session."""
        reader = simulated(self.runtime.devices.barcode_readers[0], SimulatedBarcodeReader)
        checks = self.report["checks"]
        receipts = simulated(self.runtime.devices.receipt_printer, SimulatedReceiptPrinter).output_dir
        checks["slip_printed"] = any("DOKUMEN TERCETAK" in p.read_text() for p in receipts.glob("receipt-*.txt"))

        self.press("attract.queue")
        self.wait_screen(Screen.QUEUE)
        self.type_digits("0901")
        self.shot("queue-entry")
        self.press("queue.take")
        wait_until(lambda: self.state.ticket is not None and self.state.ticket.printed is not None, 30, "the ticket")
        checks["queue_ticket"] = [self.state.ticket.number, self.state.ticket.printed]
        self.shot("queue-ticket")
        self.press("common.finish")
        self.wait_screen(Screen.ATTRACT)
        reader.inject(b"ANTRI-0905")  # yesterday's booking, scanned on the attract screen
        wait_until(lambda: self.state.screen is Screen.QUEUE and not self.state.busy and self.state.message, 30,
                   "the expired-booking answer")
        checks["queue_expired_message"] = self.state.message.key
        self.shot("queue-expired")
        self.press("common.back")
        self.wait_screen(Screen.ATTRACT)

        codes = self.central.summary["verify_codes"]
        self.press("attract.verify")
        self.wait_screen(Screen.VERIFY)
        self.shot("verify-scan")
        outcomes = []
        for name, code in (("active", codes["active"][0]), ("superseded", codes["superseded"][0]),
                           ("unknown", "00000000DEADBEEF")):
            before = self.state.verification  # the answer shown now: the new one must replace it
            reader.inject(f"https://adm-central.example.go.id/v1/verify/{code}".encode())
            wait_until(lambda b=before: self.state.verification is not None and self.state.verification is not b,
                       30, f"the {name} verification")
            outcomes.append(self.state.verification.outcome.value)
            self.shot(f"verify-{name}")
        checks["verify_outcomes"] = outcomes
        reader.inject(b"\x1b]garbage\x07")  # control bytes: the reader drops the line
        reader.inject(b"hello?")
        wait_until(lambda: self.state.message is not None, 10, "the wrong-scan message")
        checks["verify_garbage"] = [self.state.screen.value, self.state.message.key]
        self.press("common.finish")
        self.wait_screen(Screen.ATTRACT)

        answers: list[list[str | None]] = []
        for nik in (self.central.resident("ready")["nik"], "3273021708859999"):
            self.press("attract.start")
            self.wait_screen(Screen.NIK_ENTRY)
            self.type_digits(nik)
            self.press("common.next")
            self.wait_screen(Screen.PIN_ENTRY)
            self.press("pin.forgot")
            self.wait_screen(Screen.PIN_RESET)
            if not answers:
                self.shot("pin-reset")
            self.press("pin_reset.send")
            wait_until(lambda: self.state.pin_request_sent or (not self.state.busy and self.state.message), 30,
                       "the PIN request answer")
            answers.append([self.state.screen.value, self.state.message.key if self.state.message else None])
            if len(answers) == 1:
                self.shot("pin-reset-sent")
            self.press("common.finish")
            self.wait_screen(Screen.ATTRACT)
        checks["pin_reset_answers"] = answers


def run_script(kiosk: Kiosk, central: RunningCentral, out: Path) -> int:
    """Run the scripted session on an assembled kiosk whose app has not started yet; 0 when every step passed."""
    app = kiosk.app
    app._run_prepare()  # App.run() without its event loop: the script pumps the frames itself
    script = Script(kiosk, central, out)
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
