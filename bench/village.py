"""A resident's session on a village link: realistic documents, realistic printers, a slow and lossy line.

The reference server is seeded with documents as heavy as real ones (KK 250 KB, akta 150 KB, KTP-el 195 KB;
``seed --realistic-sizes``); between it and the kiosk (:mod:`bench.village_child`, its own process) sits
:class:`tests.robustness.netproxy.NetProxy` as a village fibre: 300 ms each way (600 ms round trip),
256 kbit/s each way, 2% of TCP segments lost (each costs a retransmission). The printers are as slow as
real ones: 5 s an A4 page, 25 s a card.

The figure: the session (Start to every print event reported) against the least any kiosk could take,
:func:`least_session_s` + login: a round trip for the first request, the documents' bytes one after another
at the link's rate (with the retransmissions its loss costs on average), in the best order; a printer starts
a document only once all of it is here (it is verified first) and prints one at a time; the last print
event's round trip. The login is the measured login. Requests and new connections per session are counted
at the proxy and the server.

Issue #20 asked for ``max(printer time, network floor) + login`` (the busiest printer's work, and all the
documents' bytes at the link's rate). That floor assumes a printer can start before its document has arrived:
on this link the card alone takes 6 s to arrive (8 s with its retransmissions) and 25 s to print, so no kiosk
gets under about 1.3x of it. It is still reported, without a budget.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
from collections import defaultdict
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
    issue_ratios = [s["seconds"] / (max(printer_s, network_floor_s) + s["login_s"]) for s in runs]
    least_s, best_order = least_session_s([(printer, size, SECONDS_PER_CARD if printer == "card" else
                                            SECONDS_PER_PAGE) for printer, size in answer["document_sizes"]],
                                          BANDWIDTH_BPS, rtt_s=2 * ONE_WAY_S, loss=LOSS)
    ratios = [s["seconds"] / (least_s + s["login_s"]) for s in runs]
    detail = {
        "link": f"{2 * ONE_WAY_S * 1000:.0f} ms round trip, {BANDWIDTH_BPS // 1000} kbit/s, {LOSS:.0%} loss",
        "printers": f"A4 {SECONDS_PER_PAGE:g} s a page, card {SECONDS_PER_CARD:g} s",
        "document_kb": round(document_bytes / 1000), "network_floor_s": round(network_floor_s, 1),
        "printer_s": printer_s, "session_s": [round(s["seconds"], 1) for s in runs],
        "least_session_s": round(least_s, 1),
        "least_session_how": "a round trip, then the documents one after another at the link's rate with their "
                             f"expected retransmissions, in the best order ({', '.join(best_order)}); each printer "
                             "starts a document once all of it is here; the last print event's round trip",
        "calls": runs[0].get("calls", []),
        "load_1m": load_average(),
        "login_s": [round(s["login_s"], 2) for s in runs], "ratios": [round(r, 3) for r in ratios],
        "ratios_to_the_issue_formula": [round(r, 3) for r in issue_ratios],
        "requests_per_session": [s["requests"] for s in runs],
        "connections_total": connections, "connections_per_session": round(connections / len(runs), 2),
        "retries": answer["retries"], "phases": [s["phases"] for s in runs],
        "before": "66.7 s a session (about 1.9x), 8 requests and 6 connections (issue #20's measurement)",
    }
    # The issue's floor leaves out that a printer waits for its document: the least any kiosk can reach on it.
    login_s = statistics.median(s["login_s"] for s in runs)
    reachable = (least_s + login_s) / (max(printer_s, network_floor_s) + login_s)
    return [Figure("village session / (least session on this link + login)", statistics.median(ratios), "x",
                   1.15, detail),
            Figure("village session / (max(printers, network floor) + login)", statistics.median(issue_ratios), "x",
                   None, {"ratios": [round(r, 3) for r in issue_ratios],
                          "least_any_kiosk_can_reach": round(reachable, 3),
                          "why_no_budget": "a printer cannot start before its document has arrived and been "
                                           "verified; the budgeted figure above counts that"})]


def least_session_s(documents: list[tuple[str, int, float]], bits_per_s: float, rtt_s: float = 0.0,
                    loss: float = 0.0, segment: int = 1448) -> tuple[float, tuple[str, ...]]:
    """The shortest session any kiosk could have for ``documents`` ((printer, bytes, printing seconds) each) on
    a link of ``bits_per_s``, ``rtt_s`` and ``loss`` (the share of TCP segments lost, each costing a round trip,
    as the link simulator's do).

    The first request goes out and the first byte comes back (a round trip); then the documents' bytes come
    one after another at the link's rate (sharing the link never brings a document in sooner), each with its
    expected retransmissions; a printer starts a document once all of it is here (it is verified first), and
    prints one at a time; the last print event goes out and its answer comes back (a round trip). Every order
    is tried; the best time and its order (by printer and kilobytes)."""
    best: tuple[float, tuple[str, ...]] | None = None
    for order in itertools.permutations(documents):
        arrived, free, end = rtt_s, defaultdict(float), 0.0
        for printer, size, seconds in order:
            arrived += size * 8 / bits_per_s + loss * -(-size // segment) * rtt_s
            free[printer] = max(arrived, free[printer]) + seconds
            end = max(end, free[printer])
        candidate = (end + rtt_s, tuple(f"{printer} {size // 1000} KB" for printer, size, _ in order))
        best = candidate if best is None or candidate[0] < best[0] else best
    assert best is not None, "a session has at least one document"
    return best


def _resident(central) -> list[str]:
    from tests.robustness.support import new_resident

    resident = new_resident(central, DOCUMENTS)
    return [resident.nik, resident.pin]
