"""What the app draws once, under the start cover, before the first resident comes.

A screen's first show costs its layout, its labels' first textures and, with the software renderer, the
compilation of every drawing state it has not met yet (check marks, bars, dots, coloured rows): 40-120 ms
of the main thread, and 50 MB of memory, during the first session. Drawn here, with made-up content, they
are paid before READY instead.
"""

from __future__ import annotations

import time
from dataclasses import replace

from kiosk.flow import DocProgress, DocStatus, DocumentItem, FlowState, Media, Message, Nik, Phase, Screen
from kiosk.message_keys import N_

#: A well-formed NIK of nobody (the flow needs one for a session).
SAMPLE_NIK = "3171010101900001"


def sample_states(state: FlowState) -> list[FlowState]:
    """A session through every resident screen, with content of every kind those screens show."""
    now = time.monotonic()
    docs = (
        DocumentItem("warm-1", "kk", "2026-01-01", Media.A4, title="Kartu Keluarga",
                     title_en="Family Card (KK)"),
        DocumentItem("warm-2", "akta_kelahiran", "2026-01-01", Media.A4, status=DocStatus.PRINTED,
                     title="Kutipan Akta Kelahiran", title_en="Birth Certificate"),
        DocumentItem("warm-3", "ktp_el", "2026-01-01", Media.CARD, status=DocStatus.UNAVAILABLE,
                     reason="ribbon-empty", title="KTP Elektronik", title_en="Electronic ID card (KTP-el)"),
        DocumentItem("warm-4", "kia", "2026-01-01", Media.CARD, status=DocStatus.NOT_HERE,
                     title="Kartu Identitas Anak", title_en="Child ID card (KIA)"),
    )
    session = replace(state, nik=Nik(SAMPLE_NIK), session="warm-up", masked_name="W*** U*", documents=docs,
                      selected=frozenset({"warm-1"}), last_activity=now)
    progress = (DocProgress("warm-1", Phase.DONE, 1.0), DocProgress("warm-2", Phase.PRINTING, 0.5),
                DocProgress("warm-3", Phase.FAILED, 0.0, N_("device.media-jam")))
    return [
        replace(session, screen=Screen.NIK_ENTRY, nik=None, message=Message("nik.birth_date")),
        replace(session, screen=Screen.PIN_ENTRY, message=Message("login.invalid", {"attempts_left": 2})),
        replace(session, screen=Screen.DOCUMENTS, message=Message("print.printer_went_down", severity="warning")),
        replace(session, screen=Screen.DOCUMENTS, idle_warning_since=now),
        replace(session, screen=Screen.CONFIRM),
        replace(session, screen=Screen.PRINTING, progress=progress),
        replace(session, screen=Screen.DONE, progress=progress, done_since=now, slip_printed=True),
    ]
