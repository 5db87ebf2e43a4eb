"""A resident's session on a village link: realistic documents, realistic printers, a slow and lossy line.

The reference server is seeded with documents as heavy as real ones (KK 250 KB, akta 150 KB, KTP-el 195 KB;
``seed --realistic-sizes``); between it and the kiosk (:mod:`bench.village_child`, its own process) sits
:class:`tests.robustness.netproxy.NetProxy` as a village fibre: 300 ms each way (600 ms round trip),
256 kbit/s each way, 2% of TCP segments lost (each costs a retransmission). The printers are as slow as
real ones: 5 s an A4 page, 25 s a card.

The figure: the session (Start to every print event reported) against the least it could take,
``max(printer time, network floor) + login`` where the printer time is the busiest printer's work, the
network floor the documents' bytes at the link's rate, and the login the measured login. Requests and new
connections per session are counted at the proxy and the server.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench.common import Figure, load_average, run_child
from central.testing import start_central
from tests.robustness.netproxy import Fault, NetProxy
from tests.robustness.support import kiosk_config_data

ONE_WAY_S = 0.3
BANDWIDTH_BPS = 256_000
LOSS = 0.02
SECONDS_PER_PAGE = 5.0
SECONDS_PER_CARD = 25.0
#: The session's documents: two A4 (one page each) and a card.
DOCUMENTS = ("kk", "akta_kelahiran", "ktp_el")


def run(sessions: int = 3) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-village-") as tmp:
        root = Path(tmp)
        central = start_central(root / "central", realistic_sizes=True)
        seeds = iter(range(1, 10_000))
        proxy = NetProxy(("127.0.0.1", central.handle.port),
                         lambda: Fault(latency_s=ONE_WAY_S, bandwidth_bps=BANDWIDTH_BPS, loss=LOSS, seed=next(seeds)))
        try:
            people = [_resident(central) for _ in range(sessions)]
            config = kiosk_config_data(root / "kiosk", central.client_config(url=proxy.url),
                                       seconds_per_page=SECONDS_PER_PAGE, seconds_per_card=SECONDS_PER_CARD,
                                       connect_timeout_s=30, read_timeout_s=120)
            answer = run_child("bench.village_child", {"root": str(root / "kiosk"), "config": config,
                                                       "residents": people}, timeout=1800)
            connections = proxy.connections
        finally:
            proxy.close()
            central.stop()
    runs = answer["sessions"]
    document_bytes = answer["document_bytes"]
    printer_s = max(2 * SECONDS_PER_PAGE, SECONDS_PER_CARD)  # the busiest printer: the card's
    network_floor_s = document_bytes * 8 / BANDWIDTH_BPS
    ratios = [s["seconds"] / (max(printer_s, network_floor_s) + s["login_s"]) for s in runs]
    # No order does better than the card's own bytes, then the card (a printer starts once its document is
    # here): the floor the formula leaves out.
    card_first_s = answer["card_bytes"] * 8 / BANDWIDTH_BPS + SECONDS_PER_CARD
    # What this link lets any kiosk reach: the card's request goes out (one way), its bytes come at the link's
    # rate plus the retransmissions that 2% loss costs on average (each a round trip), then the card prints,
    # then its print event goes out and its answer comes back (a round trip).
    rtt = 2 * ONE_WAY_S
    segments = -(-answer["card_bytes"] // 1448)
    card_fetch_floor_s = ONE_WAY_S + answer["card_bytes"] * 8 / BANDWIDTH_BPS + LOSS * segments * rtt + ONE_WAY_S
    link_floor_s = card_fetch_floor_s + SECONDS_PER_CARD + rtt
    detail = {
        "link": f"{2 * ONE_WAY_S * 1000:.0f} ms round trip, {BANDWIDTH_BPS // 1000} kbit/s, {LOSS:.0%} loss",
        "printers": f"A4 {SECONDS_PER_PAGE:g} s a page, card {SECONDS_PER_CARD:g} s",
        "document_kb": round(document_bytes / 1000), "network_floor_s": round(network_floor_s, 1),
        "printer_s": printer_s, "session_s": [round(s["seconds"], 1) for s in runs],
        "card_bytes_then_card_s": round(card_first_s, 1),
        "ratio_to_card_bytes_then_card_plus_login": [round(s["seconds"] / (card_first_s + s["login_s"]), 3)
                                                     for s in runs],
        "link_floor_s": round(link_floor_s, 1),
        "link_floor_how": "request one way + card bytes at the link rate + 2% of its segments retransmitted "
                          "(a round trip each) + answer one way + the card + its print event's round trip",
        "ratio_to_link_floor_plus_login": [round(s["seconds"] / (link_floor_s + s["login_s"]), 3) for s in runs],
        "calls": runs[0].get("calls", []),
        "load_1m": load_average(),
        "login_s": [round(s["login_s"], 2) for s in runs], "ratios": [round(r, 3) for r in ratios],
        "requests_per_session": [s["requests"] for s in runs],
        "connections_total": connections, "connections_per_session": round(connections / len(runs), 2),
        "retries": answer["retries"], "phases": [s["phases"] for s in runs],
        "before": "66.7 s a session (about 1.9x), 8 requests and 6 connections (issue #20's measurement)",
    }
    return [Figure("village session / (max(printers, network floor) + login)", statistics.median(ratios), "x",
                   1.15, detail)]


def _resident(central) -> list[str]:
    from tests.robustness.support import new_resident

    resident = new_resident(central, DOCUMENTS)
    return [resident.nik, resident.pin]
