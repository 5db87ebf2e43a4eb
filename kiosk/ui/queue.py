"""Queue check-in: scan the booking QR or type the booking code; the ticket, large, printed or on screen."""

from __future__ import annotations

from datetime import datetime

from kivy.properties import BooleanProperty, StringProperty

from central.vocabulary import BOOKING_PREFIX
from kiosk.flow import BackPressed, BookingSubmitted, CancelPressed, FlowState, WalkInPressed
from kiosk.service_model import TYPED_DIGITS_MAX, TYPED_DIGITS_MIN
from kiosk.ui.base import KioskScreen, ViewContext, keyed


def booking_shown(digits: str) -> str:
    """'09' -> 'ANTRI-09__': the fixed prefix, the digits typed, room for the usual four."""
    return BOOKING_PREFIX + digits + "_" * max(0, TYPED_DIGITS_MIN - len(digits))


def ticket_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return ""


class QueueScreen(KioskScreen):
    KEYS = ("queue.title", "queue.hint", "queue.take", "queue.walk_in", "queue.your_number", "keypad.delete",
            "keypad.clear", "common.busy")
    MIN_DIGITS = TYPED_DIGITS_MIN

    phase = StringProperty("entry")  # entry | ticket
    digits = StringProperty("")
    shown = StringProperty(booking_shown(""))
    busy = BooleanProperty(False)
    number = StringProperty("")
    service = StringProperty("")
    details = StringProperty("")
    ticket_status = StringProperty("")
    not_printed = BooleanProperty(False)  # the receipt printer could not print the ticket: note the number

    def render(self, state: FlowState, ctx: ViewContext) -> None:
        if self.manager is not None and self.manager.current != self.name:
            self.wipe()  # a new visit starts empty
        was_busy, self.busy = self.busy, state.busy
        if was_busy and not state.busy:
            self.digits = ""
        self.show_message(state, ctx)
        ticket = state.ticket
        self.phase = "ticket" if ticket is not None else "entry"
        if ticket is None:
            self.shown = booking_shown(self.digits)
            return
        self.number = ticket.number
        self.service = ticket.service
        parts = [ctx.tr("queue.counter", counter=ticket.counter)] if ticket.counter else []
        if ticket.slot:
            parts.append(ctx.tr("queue.slot", slot=ticket.slot))
        parts.append(ticket_time(ticket.when))
        parts.append(ctx.tr("queue.waiting", count=ticket.waiting_before))
        self.details = "\n".join(p for p in parts if p)
        self.not_printed = ticket.printed is False
        if ticket.printed is None:
            self.ticket_status = ctx.tr("queue.printing")
        elif ticket.printed:
            self.ticket_status = ctx.tr("queue.take_ticket")
        else:
            self.ticket_status = self.message  # queue.not_printed: note the number
            self.message = ""

    def on_key(self, key: str) -> None:
        self.digits = keyed(self.digits, key, TYPED_DIGITS_MAX)
        self.message = ""
        self.shown = booking_shown(self.digits)

    def submit(self) -> None:
        self.emit(BookingSubmitted, text=self.digits)

    def walk_in(self) -> None:
        self.emit(WalkInPressed)

    def back(self) -> None:
        self.emit(BackPressed)

    def finish(self) -> None:
        self.emit(CancelPressed)

    def wipe(self) -> None:
        self.digits = ""
        self.shown = booking_shown("")
        self.message = ""
        self.number = self.service = self.details = self.ticket_status = ""
