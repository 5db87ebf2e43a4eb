"""Render every screen in both languages from made-up states; report overflow and lock-down as JSON.

Run as a child process by test_screens.py (Kivy keeps one window per process).
Usage: python render_all.py OUT_DIR
"""

from __future__ import annotations

import ctypes
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from kiosk.ui import prepare_kivy

OUT = Path(sys.argv[1])
#: The languages to render (``id,en`` unless the second argument names fewer).
LANGUAGES = sys.argv[2].split(",") if len(sys.argv) > 2 else ["id", "en"]
prepare_kivy(width=1280, height=800, fullscreen=False, home=OUT / "kivy-home")

from kivy.base import EventLoop  # noqa: E402
from kivy.core.window import Window  # noqa: E402

from kiosk.controller import Controller  # noqa: E402
from kiosk.demo.robot import frames, overflowing, overlapping, screenshot, visible, walk  # noqa: E402
from kiosk.flow import (  # noqa: E402
    DocProgress,
    DocStatus,
    DocumentItem,
    Flow,
    FlowSettings,
    HelpStatus,
    Media,
    Message,
    Nik,
    OfficerRequestItem,
    OfficerVisit,
    Phase,
    PrinterAvailability,
    Screen,
)
from kiosk.service_model import TicketInfo, VerifyInfo, VerifyOutcome  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402


def too_small(root, u: float, text_px: float = 24) -> list[str]:
    """Touch targets under 48 px and text under ``text_px`` (24 px; 36 in the accessibility mode), at 1080 lines."""
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    found = []
    for widget in walk(root):
        if not isinstance(widget, Label) or not visible(widget):
            continue
        if isinstance(widget, Button) and min(widget.width, widget.height) / u < 48 - 0.5:
            found.append(f"button {widget.text[:30]!r} {widget.width:.0f}x{widget.height:.0f}")
        if widget.text and widget.font_size / u < text_px - 0.5:
            found.append(f"text {widget.text[:30]!r} at {widget.font_size / u:.0f} px")
    return found

def out_of_reach(root, top_fraction: float) -> list[str]:
    """Controls (enabled, visible buttons) whose top edge is above ``top_fraction`` of the window's height."""
    from kivy.uix.button import Button

    limit = Window.height * top_fraction
    return [f"button {w.text[:30]!r} top at {w.to_window(w.x, w.top)[1] / Window.height:.2f}"
            for w in walk(root) if isinstance(w, Button) and visible(w) and not w.disabled
            and w.to_window(w.x, w.top)[1] > limit + 0.5]


LONG_NAME = "M********** A********** S**********"
DOCS = (
    DocumentItem("d1", "kk", "2026-11-20", Media.A4, title="Kartu Keluarga", title_en="Family Card (KK)"),
    DocumentItem("d2", "akta_kelahiran", "2026-11-20", Media.A4, title="Kutipan Akta Kelahiran",
                 title_en="Birth Certificate"),
    DocumentItem("d3", "ktp_el", "2026-11-21", Media.CARD, status=DocStatus.UNAVAILABLE, reason="ribbon-empty",
                 title="KTP Elektronik", title_en="Electronic ID card (KTP-el)"),
    DocumentItem("d4", "kia", "2026-01-02", Media.CARD, status=DocStatus.PRINTED, title="Kartu Identitas Anak",
                 title_en="Child ID card (KIA)"),
    DocumentItem("d5", "akta_perceraian", "2026-11-22", Media.A4, title="Kutipan Akta Perceraian",
                 title_en="Divorce Certificate"),
)
#: Types beyond the first five, titled by the service, on a kiosk without a card printer.
CATALOGUE_DOCS = (
    DocumentItem("n1", "surat_keterangan_pindah_luar_negeri", "2026-11-20", Media.A4,
                 title="Surat Keterangan Pindah ke Luar Negeri", title_en="Certificate of Moving Abroad"),
    DocumentItem("n2", "akta_pengesahan_anak", "2026-11-20", Media.A4,
                 title="Kutipan Akta Pengesahan Anak", title_en="Certificate of Child Legitimation"),
    DocumentItem("n3", "kia", "2026-11-21", Media.CARD, status=DocStatus.NOT_HERE,
                 title="Kartu Identitas Anak", title_en="Child ID card (KIA)"),
)
PRINTERS = (
    PrinterAvailability(Media.A4, True),
    PrinterAvailability(Media.CARD, False, "ribbon-empty"),
)
DOWN = (
    PrinterAvailability(Media.A4, False, "media-jam"),
    PrinterAvailability(Media.CARD, False, "blanko-empty"),
)
OFFICER = OfficerVisit(session="o", officer_id="OPSI-001", masked_name="A*** S*******", requests=(
    OfficerRequestItem("SUB-2026-0101", "U. S.", ("Kartu Keluarga",), ("Family Card (KK)",)),
    OfficerRequestItem("SUB-2026-0107", "S. R. W.", ("Kartu Keluarga", "Kutipan Akta Kelahiran"),
                       ("Family Card (KK)", "Birth Certificate")),
))
now = time.monotonic()
base = Flow().initial(PRINTERS)
session = replace(base, nik=Nik("3273015503850002"), session="s", masked_name=LONG_NAME, documents=DOCS,
                  selected=frozenset({"d1", "d2", "d5"}), last_activity=now)
progress = (DocProgress("d1", Phase.DONE, 1.0), DocProgress("d2", Phase.PRINTING, 0.4),
            DocProgress("d5", Phase.FAILED, 0.0, "device.media-jam"))
STATES = {
    "attract": replace(base, screen=Screen.ATTRACT),
    "attract_message": replace(base, screen=Screen.ATTRACT, message=Message("scan.unknown", severity="warning")),
    "nik_entry": replace(base, screen=Screen.NIK_ENTRY, message=Message("nik.birth_date")),
    "pin_entry": replace(session, screen=Screen.PIN_ENTRY, message=Message("login.locked", {"minutes": 15})),
    "documents": replace(session, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down")),
    "documents_catalogue": replace(session, screen=Screen.DOCUMENTS, documents=CATALOGUE_DOCS,
                                   printers=(PrinterAvailability(Media.A4, True),
                                             PrinterAvailability(Media.CARD, False, "not-installed")),
                                   selected=frozenset({"n1", "n2"})),
    "confirm": replace(session, screen=Screen.CONFIRM),
    "printing": replace(session, screen=Screen.PRINTING, progress=progress),
    "done": replace(session, screen=Screen.DONE, progress=progress, done_since=now),
    "idle_warning": replace(session, screen=Screen.DOCUMENTS, idle_warning_since=now),
    "out_of_service": replace(base, screen=Screen.OUT_OF_SERVICE, printers=DOWN),
    "technician": replace(base, screen=Screen.TECHNICIAN),
    "done_with_slip": replace(session, screen=Screen.DONE, progress=progress, done_since=now, slip_printed=True),
    "queue": replace(base, screen=Screen.QUEUE, message=Message("queue.early_hours", {"hours": 23})),
    "queue_ticket": replace(base, screen=Screen.QUEUE, ticket=TicketInfo(
        "A-127", "Konsultasi Kartu Keluarga dan Akta Perkawinan", "12", "09:30-10:00", 14, "2026-11-23T09:12+07:00",
        "https://adm-central.example.go.id/antrean/A-127", printed=False), message=Message("queue.not_printed")),
    "verify": replace(base, screen=Screen.VERIFY, message=Message("verify.scan_wrong", severity="warning")),
    "verify_active": replace(base, screen=Screen.VERIFY, verification=VerifyInfo(
        VerifyOutcome.ACTIVE, "akta_kelahiran", "2026-11-20", 1, LONG_NAME, "Kutipan Akta Kelahiran",
        "Birth Certificate")),
    "verify_superseded": replace(base, screen=Screen.VERIFY, verification=VerifyInfo(
        VerifyOutcome.SUPERSEDED, "kk", "2025-09-30", 1, "", "Kartu Keluarga", "Family Card (KK)")),
    "verify_unknown": replace(base, screen=Screen.VERIFY, verification=VerifyInfo(VerifyOutcome.UNKNOWN)),
    "finger_reading": replace(base, screen=Screen.FINGER, busy=True),
    "finger": replace(session, screen=Screen.FINGER, session=None, busy=True),
    "finger_no_match": replace(session, screen=Screen.FINGER, session=None, busy=True, finger_failures=1,
                               message=Message("finger.no_match", {"tries_left": 3})),
    "finger_timeout": replace(session, screen=Screen.FINGER, session=None,
                              message=Message("finger.timeout", severity="warning")),
    "pin_reset": replace(session, screen=Screen.PIN_RESET, reset_from=Screen.PIN_ENTRY,
                         message=Message("central.protocol")),
    "pin_reset_sent": replace(session, screen=Screen.PIN_RESET, pin_request_sent=True,
                              message=Message("pin_reset.sent", severity="info")),
    # the officer role
    "officer_login": replace(base, screen=Screen.OFFICER_LOGIN, officer=OfficerVisit(card="c" * 32),
                             message=Message("officer.invalid", {"attempts_left": 3})),
    "officer_requests": replace(base, screen=Screen.OFFICER_REQUESTS, officer=OFFICER),
    "officer_check": replace(base, screen=Screen.OFFICER_CHECK, officer=replace(OFFICER, chosen="SUB-2026-0101"),
                             message=Message("officer.check_invalid", {"attempts_left": 4})),
    # The call for help over a screen in a session: sent (the button says so), and not sent (where to go).
    "help_sent": replace(session, screen=Screen.PRINTING, progress=progress, help=HelpStatus.SENT,
                         help_called_at=now),
    "help_failed": replace(session, screen=Screen.CONFIRM, help=HelpStatus.FAILED),
}

# With both readers: the attract screen shows the KTP-el login too.
controller = Controller(Flow(FlowSettings(card_login=True)), STATES["attract"], perform=lambda effect: None)
app = KioskApp(controller, location="Mal Pelayanan Publik Kabupaten Contoh, Lantai 2",
               help_location="petugas Disdukcapil di loket pelayanan nomor 3",
               help_location_en="the Disdukcapil officer at service counter number 3")
app._run_prepare()
frames(5)

report: dict = {"overflow": {}, "small": {}, "lockdown": {}, "status_before": EventLoop.status}


def heap_in_use() -> int:
    """Bytes the C heap has handed out (glibc's mallinfo2): where the GL driver keeps its frames."""
    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

    mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def texts_with(parts: list[str]) -> list[str]:
    """Texts of any label on any screen (shown or not, pooled rows included) containing one of ``parts``."""
    widgets = [w for screen in app.screens.values()
               for top in (screen, *(getattr(screen, "pool", None) and screen.pool.rows or ())) for w in walk(top)]
    return sorted({w.text for w in widgets if hasattr(w, "texture_size") and any(x in w.text for x in parts)})


# The made-up session drawn at start (kiosk.ui.warmup) leaves nothing behind.
report["left_after_start"] = texts_with(["W*** U*", "Kartu Keluarga", "Akta Kelahiran", "3171"]) + [
    f"typed {name}" for name, value in (("nik", app.screens[Screen.NIK_ENTRY].digits),
                                        ("pin", app.screens[Screen.PIN_ENTRY].pin)) if value]
report["built_at_start"] = sorted(name.value for name in app.screens)
report["start_cover_gone"] = not any(type(w).__name__ == "StartCover" for w in walk(app.root))
report["warmed_screens"] = sorted(name.value for name, screen in app.screens.items()
                                  if any(w.texture is not None for w in walk(screen) if hasattr(w, "texture_size")))

# The checker itself must be able to fail: a long text in a small fixed box.
from kivy.uix.label import Label  # noqa: E402

probe = Label(text="Teks yang terlalu panjang untuk kotaknya", size_hint=(None, None), size=(60, 20))
app.root.add_widget(probe)
frames(2)
report["checker_catches"] = bool(overflowing(probe)) and bool(too_small(probe, app.u))
twin = Label(text="Teks di atas teks", size_hint=(None, None), size=(60, 20))
app.root.add_widget(twin)
frames(1)
report["overlap_catches"] = bool(overlapping(app.root))
app.root.remove_widget(twin)
app.root.remove_widget(probe)

# A label whose text changes to one of the same size draws into a new texture, never the one on screen.
probe = Label(text="Mencetak", size_hint=(None, None), size=(600, 40), text_size=(600, 40))
app.root.add_widget(probe)
frames(2)
before = probe.texture
probe.text = "Selesai!"
frames(2)
report["new_texture_on_change"] = {"same_size": before.size == probe.texture.size,
                                   "new_texture": probe.texture is not before}
app.root.remove_widget(probe)

# Frames already shown are let go: the software renderer's memory stays flat over redraws.
heap_before, heap_peak = heap_in_use(), 0
for _ in range(80):
    app.root.canvas.ask_update()
    frames(1)
    heap_peak = max(heap_peak, heap_in_use())
report["heap_peak_growth_over_80_redraws_mb"] = round((heap_peak - heap_before) / 2**20, 1)

for language in LANGUAGES:
    for name, state in STATES.items():
        state = replace(state, language=language)
        app.navigator.show(None, state)
        frames(3)
        report["overflow"][f"{name}.{language}"] = overflowing(app.root) + overlapping(app.root)
        report["small"][f"{name}.{language}"] = too_small(app.root, app.u)
        report.setdefault("help", {})[f"{name}.{language}"] = {
            "button": app.help_button.text if visible(app.help_button) and not app.help_button.disabled else None,
            "panel": [app.help_panel.title, app.help_panel.body] if app.help_panel.active else None}
        screenshot(OUT / f"{name}.{language}.png")
        if name == "documents_catalogue":  # what the resident reads: the service's titles, 'not printable here'
            report.setdefault("catalogue_texts", {})[language] = sorted(
                {w.text for w in walk(app.root) if hasattr(w, "texture_size") and visible(w) and w.text})

# The accessibility mode: every resident screen again, text 1.5x, high contrast, controls within reach.
A11Y_REACH = 0.81  # no control in the top fifth of the screen (the mode's header band)
for key in ("a11y_overflow", "a11y_small", "a11y_reach"):
    report[key] = {}
for language in LANGUAGES:
    for name, state in STATES.items():
        if name == "technician" or name.startswith("officer_"):  # staff screens: the mode is off there (flow)
            continue
        app.navigator.show(None, replace(state, language=language, accessible=True))
        frames(3)
        report["a11y_overflow"][f"{name}.{language}"] = overflowing(app.root) + overlapping(app.root)
        report["a11y_small"][f"{name}.{language}"] = too_small(app.root, app.u, text_px=36)
        report["a11y_reach"][f"{name}.{language}"] = out_of_reach(app.root, A11Y_REACH)
        screenshot(OUT / f"{name}.{language}.a11y.png")
report["a11y_look"] = {"scale": app.fs, "theme": app.c.name}
app.navigator.show(None, STATES["attract"])
frames(2)
report["a11y_look_after"] = {"scale": app.fs, "theme": app.c.name}

# A logout forgets every text of the session on every screen, shown or not (the rows are pooled).
for name in ("officer_requests", "officer_check", "documents", "printing", "done_with_slip"):
    app.navigator.show(None, STATES[name])
    frames(2)
app.navigator.show(STATES["done_with_slip"], STATES["attract"])
frames(3)
secrets = [LONG_NAME, "Akta", "Kartu Keluarga", "3273", "0002", "U. S.", "SUB-2026", "A*** S"]
report["left_after_logout"] = texts_with(secrets)

# Lock-down: the keys a resident could use to leave, and the window's close button.
app.navigator.show(None, STATES["attract"])
frames(2)
for label, key, modifiers in (("escape", 27, []), ("f1", 282, []), ("alt_f4", 285, ["alt"])):
    Window.dispatch("on_key_down", key, 0, None, modifiers)
    Window.dispatch("on_keyboard", key, 0, None, modifiers)
    frames(2)
    settings = app._app_settings
    report["lockdown"][label] = {
        "running": EventLoop.status == report["status_before"],
        "settings_open": settings is not None and settings.parent is not None,
    }
closed = Window.dispatch("on_request_close")
frames(2)
report["lockdown"]["close"] = {"running": EventLoop.status == report["status_before"], "vetoed": bool(closed)}
report["kivy_logs_disabled"] = not any(h for h in __import__("logging").getLogger("kivy").handlers
                                       if type(h).__name__ == "FileHandler")
report["built_at_end"] = sorted(name.value for name in app.screens)  # on the attract screen, no officer visit
(OUT / "report.json").write_text(json.dumps(report, indent=1))
app.stop()
