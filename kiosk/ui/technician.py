"""The technician area: PIN first, then devices, self-tests, reloads, uncertain jobs, the central
service and the USB export. Reached by a 5 s press on the top-left corner of the attract screen.

Every blocking call (device status, self-tests, the heartbeat) runs on a worker thread; results come
back on the main thread. Every action goes to the audit log with the technician's id.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from devices.base import DeviceError, SelfTestResult
from kiosk.diagnostics import DiagnosticsReport
from kiosk.flow import FlowState, TechnicianClosed
from kiosk.i18n import Translator
from kiosk.logs import event as log_event
from kiosk.message_keys import N_
from kiosk.technician import GateAnswer, TechnicianServices
from kiosk.ui.base import KioskScreen, ViewContext, keyed
from kiosk.ui.documents import reason_text
from printjobs.errors import PrintJobError

log = logging.getLogger(__name__)

#: What a worker-thread job returns and its main-thread continuation takes.
R = TypeVar("R")

#: Dukcapil's four causes of a spoiled blanko, in the monthly report's order.
SPOIL_CAUSES = ("failed_encode", "damaged", "failed_print", "data_changed")
#: Which consumables each printer can be reloaded with.
RELOADABLE = {"document_printer": ("paper",), "card_printer": ("blanko", "ribbon"), "receipt_printer": ("receipt",)}


def device_title(name: str, kind: str, tr: Translator) -> str:
    if kind == "barcode_reader":
        return tr("device.name.reader", name=name)
    return tr(f"device.name.{name}") if tr.has(f"device.name.{name}") else name


def _buttons(box: BoxLayout, items: list[tuple[str, Callable[[], None]]], primary: str | None = None) -> None:
    """Fill ``box`` with one button per (text, action); the one whose text is ``primary`` stands out."""
    box.clear_widgets()
    u = Window.height / 1080
    for text, action in items:
        kind = Factory.BigButton if text == primary else Factory.SecondaryButton
        button = kind(text=text, size_hint_y=1, font_size=24 * u)
        button.bind(on_release=lambda _b, act=action: act())
        box.add_widget(button)


class Hideable(BoxLayout):
    """A panel that, while not ``shown``, draws nothing and takes no touches (its children included)."""

    shown = BooleanProperty(True)

    def on_touch_down(self, touch):
        return super().on_touch_down(touch) if self.shown else False

    def on_touch_move(self, touch):
        return super().on_touch_move(touch) if self.shown else False

    def on_touch_up(self, touch):
        return super().on_touch_up(touch) if self.shown else False


class TechDeviceRow(BoxLayout):
    title = StringProperty("")
    state_text = StringProperty("")
    detail = StringProperty("")
    good = BooleanProperty(True)
    actions = ListProperty([])  # (text, callback)

    def on_kv_post(self, _base: Any) -> None:
        _buttons(self.ids.buttons, self.actions)


class TechJobRow(BoxLayout):
    text = StringProperty("")
    printed_text = StringProperty("")
    not_printed_text = StringProperty("")
    answer_action = ObjectProperty(None, allownone=True)


class ReloadView(ModalView):
    """Choose a consumable, type the count now in the printer, save."""

    title = StringProperty("")
    hint = StringProperty("")
    save_text = StringProperty("")
    cancel_text = StringProperty("")
    count = StringProperty("")
    kind = StringProperty("")
    kinds = ListProperty([])  # (kind, label)
    save_action = ObjectProperty(None, allownone=True)
    delete_text = StringProperty("")
    clear_text = StringProperty("")

    def on_kv_post(self, _base: Any) -> None:
        self._kind_buttons()

    def on_kind(self, *_args: Any) -> None:
        if "kinds" in self.ids:
            self._kind_buttons()

    def _kind_buttons(self) -> None:
        chosen = dict(self.kinds).get(self.kind)
        _buttons(self.ids.kinds, [(label, partial(setattr, self, "kind", kind)) for kind, label in self.kinds],
                 primary=chosen)

    def on_key(self, key: str) -> None:
        self.count = keyed(self.count, key, 4)

    def save(self) -> None:
        if self.save_action and self.kind and self.count:
            self.save_action(self.kind, int(self.count))
        self.dismiss()


class TechnicianScreen(KioskScreen):
    KEYS = ("tech.title", "tech.pin_title", "tech.pin_hint", "tech.exit", "tech.refresh", "tech.devices",
            "tech.central", "tech.uncertain", "tech.faults", "tech.export", "keypad.delete", "keypad.clear",
            "common.next")

    services: TechnicianServices | None = None
    technician = StringProperty("")
    pin = StringProperty("")
    message = StringProperty("")
    central_text = StringProperty("")
    faults_text = StringProperty("")
    scan_text = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="technician")
        self._tr: Translator | None = None
        self._report: DiagnosticsReport | None = None

    @property
    def tr(self) -> Translator:
        """The translator of the last render; every touch and every result comes after one."""
        assert self._tr is not None
        return self._tr

    @property
    def live_services(self) -> TechnicianServices:
        """The services; the app hands them over before the screen is shown, so every action has them."""
        assert self.services is not None
        return self.services

    # ----- rendering
    def render(self, state: FlowState, ctx: ViewContext) -> None:
        language_changed = self._tr is None or self._tr.language != ctx.tr.language
        self._tr = ctx.tr
        if language_changed and self._report is not None:
            self._show(self._report)
        scan = self.services.last_scan() if self.services and self.technician else None
        self.scan_text = ctx.tr("tech.last_scan", scan=scan) if scan else ctx.tr("tech.scan_prompt")

    def on_leave(self, *args: Any) -> None:
        self.wipe()

    def close(self) -> None:
        """The app drops this screen when the technician has left: its worker ends after what it runs."""
        self._pool.shutdown(wait=False)

    def wipe(self) -> None:
        self.technician = ""
        self.pin = ""
        self.message = ""
        self._report = None
        if "rows" in self.ids:
            self.ids.rows.clear_widgets()
            self.ids.jobs.clear_widgets()

    # ----- PIN
    def on_key(self, key: str) -> None:
        self.pin = keyed(self.pin, key, 12)

    def submit_pin(self) -> None:
        pin, self.pin = self.pin, ""
        services = self.services
        if services is None or self.busy:
            return
        self._work(lambda: services.gate.check(pin), self._pin_answer)

    def _pin_answer(self, answer: GateAnswer) -> None:
        tr = self.tr
        if answer.ok:
            self.technician = answer.technician
            self.message = tr("tech.signed_in", technician=answer.technician)
            self.refresh()
        elif answer.locked_for_s is not None:
            self.message = tr("tech.locked", minutes=max(1, math.ceil(answer.locked_for_s / 60)))
        else:
            self.message = tr("tech.wrong_pin", attempts_left=answer.attempts_left)

    def leave(self) -> None:
        self.emit(TechnicianClosed)

    # ----- the panel
    def refresh(self) -> None:
        if self.services and self.technician:
            self._work(self.live_services.diagnostics.report, self._show)

    def _show(self, report: DiagnosticsReport) -> None:
        tr = self.tr
        self._report = report
        rows = self.ids.rows
        rows.clear_widgets()
        for device in report.devices:
            reasons = ", ".join(reason_text(r, tr) for r in device.reasons)
            levels = ", ".join(f"{tr('consumable.' + k) if tr.has('consumable.' + k) else k} {v}"
                               for k, v in device.consumables.items())
            actions = []
            if device.kind == "barcode_reader":
                actions.append((tr("tech.test_scan"), lambda n=device.name: self.self_test(n, "interactive")))
            elif device.kind == "card_reader":  # external: reads the card on the reader (says whether, not what)
                actions.append((tr("tech.test_internal"), lambda n=device.name: self.self_test(n, "internal")))
                actions.append((tr("tech.test_card"), lambda n=device.name: self.self_test(n, "external")))
            elif device.kind == "fingerprint_reader":
                actions.append((tr("tech.test_internal"), lambda n=device.name: self.self_test(n, "internal")))
                actions.append((tr("tech.test_finger"), lambda n=device.name: self.self_test(n, "interactive")))
            else:
                actions.append((tr("tech.test_internal"), lambda n=device.name: self.self_test(n, "internal")))
                actions.append((tr("tech.test_print"), lambda n=device.name: self.self_test(n, "external")))
                if device.name in RELOADABLE:
                    actions.append((tr("tech.reload"), lambda n=device.name: self.open_reload(n)))
            rows.add_widget(TechDeviceRow(
                title=device_title(device.name, device.kind, tr),
                state_text=tr(f"state.{device.state}") if tr.has(f"state.{device.state}") else device.state,
                detail="  ·  ".join(x for x in (reasons, levels) if x), good=device.ok, actions=actions))
            if device.kind == "card_printer":  # a spoiled blanko found outside a job: one of Dukcapil's four causes
                rows.add_widget(TechDeviceRow(
                    title=tr("tech.spoiled_title"), detail=tr("tech.spoiled_hint"), good=True,
                    actions=[(tr(f"spoil.{cause}"), lambda n=device.name, c=cause: self.spoiled(n, c))
                             for cause in SPOIL_CAUSES]))
        jobs = self.ids.jobs
        jobs.clear_widgets()
        for job in report.uncertain_jobs:
            jobs.add_widget(TechJobRow(
                # The type as the journal keeps it: the catalogue's code (no catalogue is needed offline).
                text=tr("tech.uncertain_row", type=job["document_type"],
                        printer=device_title(job["printer"], "", tr)),
                printed_text=tr("tech.printed"), not_printed_text=tr("tech.not_printed"),
                answer_action=lambda printed, j=job["job_id"]: self.resolve(j, printed)))
        self.ids.jobs_none.text = "" if report.uncertain_jobs else tr("tech.uncertain_none")
        central = report.central
        if central is not None:
            lines = [tr("tech.central_ok", latency=f"{central.latency_ms:.0f}") if central.reachable
                     else tr("tech.central_down", error=central.error or "-")]
            if central.certificate_expires:
                lines.append(tr("tech.cert", date=central.certificate_expires, days=central.certificate_days_left))
            lines.append(tr("tech.outbox", count=central.outbox_backlog))
            self.central_text = "\n".join(lines)
        faults = [f"{device_title(f['device'], '', tr)}: {reason_text(f['reason'], tr)}"
                  for f in report.recent_faults[-5:]]
        self.faults_text = "\n".join(faults) or tr("tech.faults_none")

    def self_test(self, name: str, level: str) -> None:
        def done(result: SelfTestResult) -> None:
            key = N_("tech.test_passed") if result.passed else N_("tech.test_failed")
            self.message = self.tr(key, device=device_title(name, "", self.tr), detail=result.detail)
            self.refresh()

        self._work(lambda: self.live_services.diagnostics.self_test(name, level, self.technician), done)

    def open_reload(self, name: str) -> None:
        tr = self.tr
        kinds = [(k, tr(f"consumable.{k}")) for k in RELOADABLE[name]]
        view = ReloadView(title=tr("tech.reload_title", device=device_title(name, "", tr)), hint=tr("tech.reload_hint"),
                          save_text=tr("tech.save"), cancel_text=tr("common.cancel"), kinds=kinds, kind=kinds[0][0],
                          delete_text=tr("keypad.delete"), clear_text=tr("keypad.clear"),
                          save_action=lambda kind, level: self.reload(name, kind, level))
        view.open()

    def reload(self, name: str, kind: str, level: int) -> None:
        def done(_result: None) -> None:
            self.message = self.tr("tech.reloaded", device=device_title(name, "", self.tr),
                                   kind=self.tr(f"consumable.{kind}"), level=level)
            self.refresh()

        self._work(lambda: self.live_services.diagnostics.reload(name, kind, level, self.technician), done)

    def spoiled(self, name: str, cause: str) -> None:
        def done(_result: None) -> None:
            self.message = self.tr("tech.spoiled_recorded", cause=self.tr(f"spoil.{cause}"))
            self.refresh()

        self._work(lambda: self.live_services.diagnostics.spoiled_card(name, cause, self.technician), done)

    def resolve(self, job_id: str, printed: bool) -> None:
        answer = self.tr("tech.printed" if printed else "tech.not_printed")

        def done(_result: None) -> None:
            self.message = self.tr("tech.resolved", resolution=answer)
            self.refresh()

        self._work(lambda: self.live_services.diagnostics.resolve(job_id, printed, self.technician), done)

    def export(self) -> None:
        def work() -> str:
            try:
                return self.tr("tech.exported", folder=self.live_services.diagnostics.export(self.technician).name)
            except FileNotFoundError:
                return self.tr("tech.no_usb", path=self.live_services.diagnostics.config.technician.export_dir)

        self._work(work, lambda text: setattr(self, "message", text))

    # ----- threading
    def _work(self, job: Callable[[], R], then: Callable[[R], None]) -> None:
        self.busy = True

        def run() -> None:
            try:
                result = job()
            except (DeviceError, PrintJobError, OSError, KeyError, ValueError) as exc:
                failure = exc  # the name exc is unbound when the except block ends
                Clock.schedule_once(lambda _dt: self._finish(self._failed, failure), 0)
                return
            Clock.schedule_once(lambda _dt: self._finish(then, result), 0)

        self._pool.submit(run)

    def _failed(self, exc: BaseException) -> None:
        self.message = self.tr("tech.action_failed", error=type(exc).__name__)
        log_event(log, "technician.action_failed", logging.WARNING, error=type(exc).__name__)

    def _finish(self, then: Callable[[R], None], result: R) -> None:
        self.busy = False
        then(result)
