"""``adm-kiosk demo``: the reference central service on loopback, simulated devices, and the kiosk.

With a display it opens a 1280x800 window and prints the demo residents' NIKs and PINs and the
simulated WhatsApp messages. Without one (or with ``--headless``) it drives a scripted session through
every screen and writes ``OUT/screens/NN-name.png``, ``OUT/printed/`` and ``OUT/demo.log``.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from kiosk.config import Config, parse_config
from kiosk.logs import setup_logging
from kiosk.pinhash import hash_pin

log = logging.getLogger(__name__)
#: The demo technician's PIN (the demo world is invented; a real kiosk's PINs are set with hash-pin).
DEMO_TECHNICIAN_PIN = "246810"


def demo_config(out: Path, central_section: dict, *, headless: bool) -> Config:
    """The kiosk's config for the demo: simulated devices, short timeouts when scripted."""
    data = {
        "kiosk": {
            "id": "ADM-DEMO-01",
            "location": "Kantor Kecamatan Contoh (demo)",
            "help_location": "petugas di loket pelayanan",
            "idle_warning_s": 4 if headless else 60,
            "idle_logout_s": 30 if headless else 20,
            "done_logout_s": 15,
            "display": {"fullscreen": False, "width": 1280, "height": 800},
        },
        "central": {**central_section, "connect_timeout_s": 5, "read_timeout_s": 20},
        "devices": {
            "document_printer": {"driver": "simulated", "seconds_per_page": 0.4, "paper": 300,
                                 "output_dir": str(out / "printed" / "document_printer")},
            "card_printer": {"driver": "simulated", "seconds_per_card": 1.0, "blanko": 50, "ribbon": 200,
                             "output_dir": str(out / "printed" / "card_printer")},
            "receipt_printer": {"driver": "simulated", "output_dir": str(out / "printed" / "receipt_printer")},
            "barcode_readers": [{"name": "front", "driver": "simulated"}],
        },
        "storage": {"state_dir": str(out / "state")},
        "technician": {"technicians": [{"id": "teknisi-demo", "pin_hash": hash_pin(DEMO_TECHNICIAN_PIN)}],
                       "export_dir": str(out / "usb")},
        "metrics": {"enabled": False},
        "logging": {"level": "INFO", "format": "json"},
    }
    return parse_config(data, base_dir=out, source="demo")


def is_headless() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(out: Path, headless: bool) -> int:
    """Start everything, run the interactive app or the scripted session, stop everything."""
    from central.testing import start_central

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
        from kiosk.ui.launch import launch

        return launch(config, out=out, headless=headless, central=central)
    finally:
        central.stop()
        log_file.close()


def _print_residents(central) -> None:
    print("Demo residents (invented data). Enter the NIK and PIN on the kiosk:")
    for resident in central.summary["residents"]:
        if resident.get("pin"):
            ready = ", ".join(d["title"] for d in resident["documents"] if d["status"] == "ready")
            print(f"  NIK {resident['nik']}  PIN {resident['pin']}  ({resident['role']}: {ready})")
    print(f"Technician area: hold the top-left corner for 5 s, PIN {DEMO_TECHNICIAN_PIN}")
    print("Simulated WhatsApp messages:")
    for message in central.outbox():
        print(f"  to {message.number}: {message.text}")
