"""The demo's officer: an OPSI officer prints a KK for a resident without a phone.

From the attract screen's 'Petugas' entry: the officer card scanned, a wrong PIN and the card again, the
officer's requests (the resident by initials), the identity check (the KTP/KK tick and the NIK's last four
digits), the resident's own printing screens, and the records with the officer's id: the kiosk's audit log
and the central service's.
"""

from __future__ import annotations

from typing import Any

from devices.simulated import SimulatedBarcodeReader
from kiosk.demo.robot import find_button, tap, wait_until, walk
from kiosk.flow import Screen
from printjobs.audit import AuditKind

#: The demo's :class:`kiosk.demo.script.Script` (not imported: the script imports this module).
Script = Any


def _row(script: Script, code: str):
    """The button of the list row (or tick row) whose id is ``code``."""
    from kivy.uix.button import Button

    from kiosk.ui.widgets.common import DocumentRow

    screen = script.app.screens[script.state.screen]
    rows = [w for w in walk(screen) if isinstance(w, DocumentRow) and w.document_id == code]
    if not rows:
        raise LookupError(f"no row {code!r} on {script.state.screen.value}")
    return next(w for w in walk(rows[0]) if isinstance(w, Button))


def run_officer_steps(script: Script) -> None:
    checks = script.report["checks"]
    reader = script.runtime.devices.barcode_readers[0]
    assert isinstance(reader, SimulatedBarcodeReader), "the demo needs the simulated reader"
    officer = next(o for o in script.central.summary["officers"] if o["id"] == "OPSI-001")
    resident = script.central.resident("no_phone")

    script.press("attract.officer")
    script.wait_screen(Screen.OFFICER_LOGIN)
    reader.inject(officer["card_qr"].encode())
    wait_until(lambda: script.state.officer is not None and bool(script.state.officer.card), 10, "the card")
    script.shot("officer-card-read")
    wrong = f"{(int(officer['pin']) + 1) % 1_000_000:06d}"
    script.type_digits(wrong)
    script.press("common.next")
    wait_until(lambda: not script.state.busy and script.state.message is not None, 30, "the wrong officer PIN")
    checks["officer_wrong_pin_message"] = script.state.message.key
    script.shot("officer-pin-wrong")
    reader.inject(officer["card_qr"].encode())  # a refused sign-in asks for the card again
    wait_until(lambda: bool(script.state.officer.card), 10, "the card again")
    script.type_digits(officer["pin"])
    script.press("common.next")
    script.wait_screen(Screen.OFFICER_REQUESTS)
    checks["officer_requests"] = [[r.code, r.initials] for r in script.state.officer.requests]
    script.shot("officer-requests")

    tap(_row(script, resident["submission"]))
    script.wait_screen(Screen.OFFICER_CHECK)
    script.shot("officer-identity-check")
    tap(_row(script, ""))  # the 'KTP-el/KK sudah diperiksa' tick
    script.type_digits(resident["nik"][-4:])
    script.shot("officer-identity-checked")
    script.press("common.next")
    script.wait_screen(Screen.DOCUMENTS)
    checks["officer_documents"] = [d.type for d in script.state.documents]
    script.shot("officer-documents")
    script.print_all_and_wait()
    script.wait_screen(Screen.DONE, timeout=120)
    checks["officer_session_phases"] = [p.phase.value for p in script.state.progress]
    script.shot("officer-done")
    tap(find_button(script.app.root, script.tr("common.finish")))
    script.wait_screen(Screen.ATTRACT)

    def audited() -> list[str]:
        return [e.body["action"] for e in script.store.audit.entries() if e.kind == AuditKind.OFFICER]

    wait_until(lambda: "signed_out" in audited(), 10, "the officer's sign-out in the audit log")
    checks["officer_audit"] = audited()
    checks["officer_audit_ids"] = sorted({e.body["officer"] for e in script.store.audit.entries()
                                          if e.kind == AuditKind.OFFICER})
    def recorded() -> list[str]:
        return [r["action"] for r in script.central.handle.store.officer_records("OPSI-001")]

    # the sign-out reaches the service on the effects' worker, maybe after the kiosk's audit line
    wait_until(lambda: "logout" in recorded(), 10, "the officer's sign-out in the service's records")
    checks["officer_central_records"] = recorded()
