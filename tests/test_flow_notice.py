"""The service notice in the pure flow: out of service, closed and capped are said before anyone types a NIK;
a resident already in a session finishes; the technician's way in stays open."""

from __future__ import annotations

from kiosk.flow import (
    CancelPressed,
    Flow,
    FlowSettings,
    Media,
    NikSubmitted,
    PrinterAvailability,
    Screen,
    StartPressed,
    TechnicianClosed,
    TechnicianOpened,
)
from kiosk.flow_model import NoticeChanged
from kiosk.service_model import NoticeKind, ServiceNotice

UP = (PrinterAvailability(Media.A4, True), PrinterAvailability(Media.CARD, True))
DOWN = (PrinterAvailability(Media.A4, False, "media-empty"), PrinterAvailability(Media.CARD, False, "offline"))
CLOSED = ServiceNotice(NoticeKind.CLOSED, reopen_day=0, reopen_at="08:00")
CAPPED = ServiceNotice(NoticeKind.CAPPED)
STOPPED = ServiceNotice(NoticeKind.OUT_OF_SERVICE, message_id="Sedang diperbaiki", message_en="Under repair")
GONE = ServiceNotice(NoticeKind.UNREACHABLE)
flow = Flow(FlowSettings())


def step(state, event):
    return flow.handle(state, event)[0]


def test_each_notice_picks_the_resting_screen_before_anyone_starts():
    attract = flow.initial(UP)
    assert step(attract, NoticeChanged(notice=CLOSED)).screen is Screen.CLOSED
    assert step(attract, NoticeChanged(notice=CAPPED)).screen is Screen.CLOSED
    assert step(attract, NoticeChanged(notice=STOPPED)).screen is Screen.OUT_OF_SERVICE
    gone = step(attract, NoticeChanged(notice=GONE))
    assert gone.screen is Screen.ATTRACT and gone.notice is GONE  # said on the attract screen
    assert step(step(attract, NoticeChanged(notice=CLOSED)), NoticeChanged(notice=None)).screen is Screen.ATTRACT
    # The operator's out of service outranks closed hours; no printer at all is still out of service.
    assert step(flow.initial(DOWN), NoticeChanged(notice=GONE)).screen is Screen.OUT_OF_SERVICE


def test_a_closed_kiosk_takes_no_resident_but_lets_the_technician_in():
    closed = step(flow.initial(UP), NoticeChanged(notice=CLOSED))
    assert step(closed, StartPressed()).screen is Screen.CLOSED
    technician = step(closed, TechnicianOpened())
    assert technician.screen is Screen.TECHNICIAN
    assert step(technician, TechnicianClosed()).screen is Screen.CLOSED


def test_a_resident_in_a_session_finishes_and_the_next_one_meets_the_notice():
    state = step(flow.initial(UP), StartPressed())
    state = step(state, NikSubmitted(text="3273011508850001"))
    assert state.screen is Screen.PIN_ENTRY
    capped = step(state, NoticeChanged(notice=CAPPED))
    assert capped.screen is Screen.PIN_ENTRY  # not thrown out mid-way
    after = step(capped, CancelPressed())
    assert after.screen is Screen.CLOSED and after.nik is None and after.notice is CAPPED
