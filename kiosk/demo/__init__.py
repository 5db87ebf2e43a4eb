"""The demo, apart from the production kiosk: its config, its constants, and (in the modules below) its run.

- :mod:`kiosk.demo.run`: ``adm-kiosk demo``, the reference central service on loopback, simulated devices
  and the kiosk in a window, or headless with the scripted resident.
- :mod:`kiosk.demo.script`: the scripted resident's taps through every screen, with screenshots.
- :mod:`kiosk.demo.robot`: the touch robot the script (and the UI tests) tap and look with.
- ``config.yaml``: the demo's kiosk config (simulated devices, a published technician PIN).

Nothing in the kiosk's core or in :mod:`kiosk.ui` imports this package (tests/test_import_direction.py);
this module itself imports neither Kivy nor the reference server.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml

from kiosk.config import Config, parse_config

#: The demo technician's PIN (the demo world is invented; a real kiosk's PINs are set with hash-pin). Published,
#: so a production kiosk refuses its hash (kiosk.production.PUBLISHED_PINS).
DEMO_TECHNICIAN_PIN = "246810"
#: The demo's config, shipped in this package (never installed as a production config).
DEMO_CONFIG = "config.yaml"


def demo_config_text() -> str:
    """The shipped demo config file's text."""
    return files(__name__).joinpath(DEMO_CONFIG).read_text(encoding="utf-8")


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
    if devices.get("audio_output"):
        devices["audio_output"]["output_dir"] = str(out / "speech")  # what voice guidance said, one file each
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
