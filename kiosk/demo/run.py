"""``adm-kiosk demo``: the reference central service on loopback, simulated devices, and the kiosk.

With a display it opens a 1280x800 window and prints the demo residents' NIKs and PINs and the
simulated WhatsApp messages. Without one (or with ``--headless``) the scripted resident
(:mod:`kiosk.demo.script`) taps through every screen and writes ``OUT/screens/NN-name.png``,
``OUT/printed/`` and ``OUT/demo.log``. The kiosk is assembled as in production (:mod:`kiosk.assembly`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.assembly import Kiosk, run
from kiosk.demo import DEMO_TECHNICIAN_PIN, demo_config
from kiosk.logs import setup_logging

if TYPE_CHECKING:
    from central.testing import RunningCentral


class DemoUnavailable(Exception):
    """The demo cannot start here; the message says what to install."""


def is_headless() -> bool:
    """No display to open a window on."""
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(out: Path, headless: bool) -> int:
    """Start everything, run the interactive app or the scripted session, stop everything."""
    try:
        from central.testing import start_central
    except ModuleNotFoundError as exc:  # fastapi, uvicorn, segno: the 'central' extra
        raise DemoUnavailable(
            f"the demo needs the reference central service, whose dependencies are not installed ({exc.name}): "
            "pip install 'adm-kiosk[central]'"
        ) from None

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    log_file = (out / "demo.log").open("w", encoding="utf-8")
    setup_logging("INFO", "json", stream=log_file)
    central = start_central(out / "central")
    try:
        config = demo_config(out, central.client_config(), headless=headless)
        if not headless:
            _print_residents(central)
            return run(config)
        return run(config, drive=lambda kiosk: _scripted(kiosk, central, out))
    finally:
        central.stop()
        log_file.close()


def _scripted(kiosk: Kiosk, central: RunningCentral, out: Path) -> int:
    # Imported once the kiosk is assembled: the script's Kivy imports need Kivy configured first.
    from kiosk.demo.script import run_script

    return run_script(kiosk, central, out)


def _print_residents(central: RunningCentral) -> None:
    print("Demo residents (invented data). Enter the NIK and PIN on the kiosk:")
    for resident in central.summary["residents"]:
        if resident.get("pin"):
            ready = ", ".join(d["title"] for d in resident["documents"] if d["status"] == "ready")
            print(f"  NIK {resident['nik']}  PIN {resident['pin']}  ({resident['role']}: {ready})")
    print("Officers (OPSI) for residents without a phone: 'Petugas' on the attract screen, scan the card QR "
          "(its text below), then the PIN:")
    for officer in central.summary.get("officers", []):
        print(f"  {officer['id']} ({officer['kecamatan']})  PIN {officer['pin']}  card {officer['card_qr']}")
    print(f"Technician area: hold the top-left corner for 5 s, PIN {DEMO_TECHNICIAN_PIN}")
    print("Simulated WhatsApp messages:")
    for message in central.outbox():
        print(f"  to {message.number}: {message.text}")
