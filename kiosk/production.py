"""What a production kiosk refuses to run with: the demo's credentials, simulated devices, the demo's central.

The demo and the tests need exactly those things, so the schema allows them; ``adm-kiosk run`` and
``adm-kiosk check-config`` (what ``kiosk.service`` and ``deploy/install.sh`` run) refuse them unless given
``--demo`` on their command line. The switch is a flag and not a config key on purpose: a config key
would travel with a copied demo file, which is the very accident this guards against, while the flag
would have to be added to the hardened unit by hand.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from devices import registry
from kiosk.config import Config, Problem
from kiosk.pinhash import verify_pin

#: Technician PINs printed in this repository (the demo's, the README's hash-pin example): anyone can read
#: them, so no production kiosk may accept one.
PUBLISHED_PINS = ("246810", "135790")

#: The URL the reference server's ``adm-central serve`` listens on, as the demo config names it.
DEMO_CENTRAL_URL = "https://127.0.0.1:8443"


def production_problems(config: Config) -> list[Problem]:
    """Every reason ``config`` may only run a demo or a test, each naming its key."""
    problems = [*_central_problems(config), *_device_problems(config)]
    for i, technician in enumerate(config.technician.technicians):
        if any(verify_pin(pin, technician.pin_hash) for pin in PUBLISHED_PINS):
            problems.append(
                Problem(
                    f"technician.technicians.{i}.pin_hash",
                    "is the hash of a published demo PIN; anyone could open the technician area. "
                    "Set a PIN of your own with 'adm-kiosk hash-pin'",
                )
            )
    return problems


def _central_problems(config: Config) -> list[Problem]:
    url = config.central.url
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".invalid"):
        return [Problem("central.url", f"is the example's placeholder ({url}); set the URL of your central service")]
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback:
        demo = " (the demo's reference server)" if url == DEMO_CENTRAL_URL else ""
        return [Problem("central.url", f"{url} is on this machine{demo}; a production kiosk talks to the central "
                                       "service of the operator")]
    return []


def _device_problems(config: Config) -> list[Problem]:
    named = []
    for kind in registry.kinds():  # every kind of device, a newly registered one too
        value = getattr(config.devices, kind.key, None)
        if kind.many:
            named += [(f"devices.{kind.key}.{i}.driver", item, kind.name) for i, item in enumerate(value or [])]
        else:
            named.append((f"devices.{kind.key}.driver", value, kind.name))
    return [
        Problem(key, f"'simulated' {'prints' if kind.endswith('printer') else 'reads'} nothing; "
                "a production kiosk needs its real driver")
        for key, device, kind in named
        if device is not None and device.driver == "simulated"
    ]
