"""The demo's KTP-el + finger logins: one that works, one whose finger fails four times and falls back to the
PIN, and a card that cannot be read. The demo's simulated readers stand for the resident's card and finger;
the seed summary's ``finger`` stands for the finger as its PIN stands for the phone."""

from __future__ import annotations

import time
from typing import Any

from central.vocabulary import FINGER_TRIES
from devices.simulated_login import UNREADABLE, SimulatedCardReader, SimulatedFingerprintReader
from kiosk.demo.robot import find_button, frames, simulated, tap, wait_until
from kiosk.flow import Screen

#: The demo's :class:`kiosk.demo.script.Script` (not imported: the script imports this module).
Script = Any


def run_card_steps(script: Script) -> None:
    """The three card logins, with their screenshots and checks."""
    devices = script.runtime.devices
    card = simulated(devices.card_reader, SimulatedCardReader)
    finger = simulated(devices.fingerprint_reader, SimulatedFingerprintReader)
    checks = script.report["checks"]
    script.wait_screen(Screen.ATTRACT)
    script.shot("attract-card-login")

    # Card and finger: the documents, as after NIK + PIN.
    woman = script.central.resident("ready_woman")
    placed = time.monotonic()
    card.place(woman["nik"])
    script.wait_screen(Screen.FINGER)
    wait_until(lambda: script.state.nik is not None, 30, "the card's NIK")
    script.shot("finger-prompt")
    finger.touch(bytes.fromhex(woman["finger"]))
    script.wait_screen(Screen.DOCUMENTS)
    checks["card_login_ms"] = round((time.monotonic() - placed) * 1000)  # the finger waited for the screenshot
    checks["card_login_documents"] = sorted(d.type for d in script.state.documents)
    script.shot("documents-after-card-login")
    card.remove()
    script.press("common.cancel")
    script.wait_screen(Screen.ATTRACT)

    # Someone else's finger four times: on to the PIN with the card's NIK (shown masked).
    budi = script.central.resident("ready")
    wrong = bytes.fromhex(woman["finger"])
    card.place(budi["nik"])
    wait_until(lambda: script.state.screen is Screen.FINGER and script.state.nik is not None, 30, "the card's NIK")
    finger.touch(wrong)
    wait_until(lambda: script.state.finger_failures == 1 and script.state.message is not None, 30, "a wrong finger")
    checks["finger_no_match_message"] = script.state.message.key if script.state.message else None
    script.shot("finger-no-match")
    for _ in range(FINGER_TRIES - 1):
        finger.touch(wrong)
    script.wait_screen(Screen.PIN_ENTRY)
    checks["finger_fallback"] = [script.state.message.key if script.state.message else None,
                                 script.state.nik is not None and script.state.nik.digits == budi["nik"]]
    script.shot("pin-after-four-fingers")
    card.remove()
    script.type_digits(budi["pin"])
    script.press("common.next")
    script.wait_screen(Screen.DOCUMENTS)
    script.press("common.cancel")
    script.wait_screen(Screen.ATTRACT)

    # A card the kiosk cannot read: the NIK screen says so; the keypad and the WhatsApp QR are there.
    card.place(UNREADABLE)
    wait_until(lambda: script.state.screen is Screen.NIK_ENTRY and script.state.message is not None, 30,
               "the unreadable-card message")
    checks["card_unreadable_message"] = script.state.message.key if script.state.message else None
    script.shot("card-unreadable")
    card.remove()
    script.press("common.back")
    script.wait_screen(Screen.ATTRACT)


def technician_readers(script: Script) -> None:
    """On the technician's panel: both readers' rows, and the card reader's test reading the card on it
    (it says whether a NIK was read, never which)."""
    screen = script.app.screens[Screen.TECHNICIAN]
    card = simulated(script.runtime.devices.card_reader, SimulatedCardReader)
    card.place(script.central.resident("ready")["nik"])
    rows = {row.title: row for row in screen.ids.rows.children}
    card_row = rows[script.tr("device.name.card_reader")]
    finger_row = rows[script.tr("device.name.fingerprint_reader")]
    screen.ids.rows.parent.scroll_to(finger_row, animate=False)
    frames(3)
    tap(find_button(card_row, script.tr("tech.test_card")))
    wait_until(lambda: not screen.busy and script.tr("device.name.card_reader") in screen.message, 30,
               "the card reader's test")
    frames(2)
    script.report["checks"]["technician_card_test"] = screen.message
    script.shot("technician-readers")
    card.remove()
