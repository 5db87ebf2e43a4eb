"""``adm-kiosk demo``: the reference central service on loopback, simulated devices, and the kiosk.

With a display it opens a 1280x800 window and prints the demo residents' NIKs and PINs and the
simulated WhatsApp messages. Without one (or with ``--headless``) it drives a scripted session through
every screen and writes ``OUT/screens/NN-name.png``, ``OUT/printed/`` and ``OUT/demo.log``.
"""

from __future__ import annotations

import logging
import os
import shutil
from importlib.resources import files
from pathlib import Path

import yaml

from kiosk.config import Config, parse_config
from kiosk.logs import setup_logging

log = logging.getLogger(__name__)
#: The demo technician's PIN (the demo world is invented; a real kiosk's PINs are set with hash-pin). Published,
#: so a production kiosk refuses its hash (kiosk.production.PUBLISHED_PINS).
DEMO_TECHNICIAN_PIN = "246810"
#: The demo's config, shipped in the package next to this module (never installed as a production config).
DEMO_CONFIG = "demo-config.yaml"


def demo_config_text() -> str:
    """The shipped demo config file's text."""
    return files("kiosk").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")


def demo_config(out: Path, central_section: dict, *, headless: bool) -> Config:
    """The kiosk's config for the demo: the shipped demo config with this run's central service, output
    directories and, when scripted, a short idle warning."""
    data = yaml.safe_load(demo_config_text())
    kiosk = data["kiosk"]
    kiosk["location"] = f"{kiosk['location']} (demo)"
    kiosk["idle_warning_s"] = 4 if headless else 60
    kiosk["idle_logout_s"] = 30 if headless else 20
    kiosk["display"] = {"fullscreen": False, "width": 1280, "height": 800}
    data["central"] = {**data["central"], **central_section}
    devices = data["devices"]
    for name in ("document_printer", "card_printer", "receipt_printer"):
        devices[name]["output_dir"] = str(out / "printed" / name)
    devices["document_printer"].update(seconds_per_page=0.4, paper=300)
    devices["card_printer"].update(blanko=50, ribbon=200)
    data["storage"] = {"state_dir": str(out / "state")}
    data["technician"]["export_dir"] = str(out / "usb")
    data["metrics"] = {"enabled": False}
    data["logging"] = {"level": "INFO", "format": "json"}
    return parse_config(data, base_dir=out, source="demo")


def write_demo_config(path: Path) -> None:
    """Copy the demo config to ``path``; its relative paths (demo-data/, state/) then resolve next to it."""
    path.write_text(demo_config_text(), encoding="utf-8")


class DemoUnavailable(Exception):
    """The demo cannot start here; the message says what to install."""


def is_headless() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_demo(out: Path, headless: bool) -> int:
    """Start everything, run the interactive app or the scripted session, stop everything."""
    try:
        from central.testing import start_central
    except ModuleNotFoundError as exc:  # fastapi, uvicorn, fpdf2, segno: the 'central' extra
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
