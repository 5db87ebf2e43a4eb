"""The reference server at a province's size: 1,000,000 PINs and grants, and 1 / 10 / 50 kiosks at once.

Store level (no HTTP, so the figure is the lookups'): a resident's login, and a claim plus its print event,
on a world with the seed's few PINs and on one with 1,000,000 more PINs and grants; the same big world with
its indexes dropped is the old server, measured in the same run. Over HTTPS with mutual TLS, the server in
a process of its own (``adm-central serve``) on that big world: N kiosk clients (the kiosk's own
``CentralClient``) log in, then send heartbeats, as fast as they can for a few seconds; logins and
heartbeats per second, p95 latency and the server's peak RSS at N = 1, 10 and 50.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import MB, ROOT, Figure, percentile
from central import contract as c
from central.documents import Holder
from central.seed import SUMMARY_FILE, seed
from central.store import DB_FILE, Store
from kiosk.central_client import CentralClient
from kiosk.config import CentralSection
from tests.robustness.support import invented_nik

KIOSK_ID = "ADM-BENCH-01"
RSS_BUDGET_MB = 300.0
BIG_RATIO_BUDGET = 1.2


def _add_residents(data: Path, count: int) -> list[tuple[str, str, str]]:
    """``count`` residents with a KK and a PIN each: (nik, pin, document id)."""
    store = Store(data)
    try:
        people = []
        for i in range(count):
            nik = invented_nik(900 + i)
            store.add_resident(Holder(nik, "Warga Beban", "Bandung", "15-08-1990", "LAKI-LAKI", "Jl. Uji No. 1"),
                               "+6281200000000")
            doc = store.add_document(nik, "kk")
            people.append((nik, store.issue_pin(nik).pin, doc))
        return people
    finally:
        store.close()


def _add_province(data: Path, pins: int) -> None:
    """``pins`` more PINs of other residents, each with one printed grant, straight into the tables."""
    conn = sqlite3.connect(data / DB_FILE)
    now = time.time()
    with conn:
        first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM pins").fetchone()[0] + 1
        batch = 100_000
        for start in range(0, pins, batch):
            ids = range(first + start, first + min(pins, start + batch))
            conn.executemany("INSERT INTO pins(id, nik, pin_hash, qr_hash, issued_at, expires_at, revoked)"
                             " VALUES (?, ?, 'scrypt$16384$8$1$AAAA$AAAA', ?, ?, ?, ?)",
                             ((i, f"32{i:014d}", f"qr-{i}", now, now + 86400, i % 3 == 0) for i in ids))
            conn.executemany("INSERT INTO grants VALUES (?, ?, 'printed', ?, ?)",
                             ((i, f"DOC-P-{i}", f"job-{i}", now) for i in ids))
    conn.close()


def _store_figures(worlds: dict[str, Path], people: list[tuple[str, str, str]], rounds: int,
                   drop_indexes: tuple[str, ...] = ()) -> dict[str, dict[str, float]]:
    """Median login and claim+event times (ms) per world, the worlds' rounds interleaved so that the machine's
    other load falls on all of them alike. In the worlds named in ``drop_indexes`` the store's indexes are
    dropped after it opened: the server as it was."""
    stores = {name: Store(data) for name, data in worlds.items()}
    try:
        for name in drop_indexes:
            _drop_indexes(stores[name])
        samples: dict[str, dict[str, list[float]]] = {name: {"login_ms": [], "print_ms": []} for name in stores}
        tokens = {name: store.login(people[0][0], people[0][1]).token for name, store in stores.items()}
        for _ in range(rounds):
            for name, store in stores.items():
                login, printing = _one_round(store, tokens[name], people[0])
                samples[name]["login_ms"].append(login)
                samples[name]["print_ms"].append(printing)
        return {name: {k: percentile(v, 50) for k, v in s.items()} for name, s in samples.items()}
    finally:
        for store in stores.values():
            store.close()


def _one_round(store: Store, token: str, person: tuple[str, str, str]) -> tuple[float, float]:
    nik, pin, doc = person
    started = time.perf_counter()
    store.login(nik, pin)
    login = (time.perf_counter() - started) * 1000
    job = str(uuid.uuid4())
    started = time.perf_counter()
    store.claim_content(token, doc, job)
    store.print_event(doc, job, c.PrintEvent(job_id=job, outcome="failed", cause="bench", kiosk_id=KIOSK_ID))
    return login, (time.perf_counter() - started) * 1000


def _drop_indexes(store: Store) -> None:
    with store._lock:
        names = [r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type='index'"
                                                 " AND sql IS NOT NULL")]
        for name in names:
            store._db.execute(f"DROP INDEX {name}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vm(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(key)


def _load(section: CentralSection, people: list[tuple[str, str, str]], kiosks: int, seconds: float,
          what: str) -> tuple[int, list[float], int]:
    """``kiosks`` clients calling ``what`` (login or heartbeat) in a loop: (calls, latencies ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(kiosks + 1)
    stop = threading.Event()

    def kiosk(number: int) -> None:
        client = CentralClient(section, KIOSK_ID)
        nik, pin, _ = people[number % len(people)]
        mine = []
        try:
            start.wait()
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    if what == "login":
                        client.login(nik, pin)
                    else:
                        client.heartbeat(c.Heartbeat(counters={"jobs": number}))
                except Exception:  # noqa: BLE001 - a bench counts every failure, whatever its kind
                    with lock:
                        errors[0] += 1
                    continue
                mine.append((time.perf_counter() - began) * 1000)
        finally:
            client.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=kiosk, args=(n,), daemon=True) for n in range(kiosks)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(120)
    return len(latencies), latencies, errors[0]


def run(pins: int = 1_000_000, seconds: float = 5.0, rounds: int = 20,
        concurrency: tuple[int, ...] = (1, 10, 50)) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-central-") as tmp:
        root = Path(tmp)
        small = root / "small"
        seed(small, kiosk_id=KIOSK_ID)
        people = _add_residents(small, 5)
        big = root / "big"
        shutil.copytree(small, big)
        started = time.monotonic()
        _add_province(big, pins)
        build_s = time.monotonic() - started
        Store(big).close()  # the indexes are made at open
        old = root / "old"
        shutil.copytree(big, old)
        measured = _store_figures({"none": small, "province": big, "old": old}, people, rounds,
                                  drop_indexes=("old",))
        small_ms, big_ms, old_ms = measured["none"], measured["province"], measured["old"]

        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "central.cli", "serve", "--data", str(big), "--port",
                                   str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("adm-central serve did not start") from None
                    time.sleep(0.2)
            summary = json.loads((big / SUMMARY_FILE).read_text())
            section = CentralSection(url=f"https://127.0.0.1:{port}", ca_file=big / "ca.pem",
                                     client_cert=big / "kiosk.pem", client_key=big / "kiosk.key",
                                     signing_keys=[{"key_id": summary["key_id"], "public_key": big / "signing.pub"}])
            rss_idle = _vm(server.pid, "VmRSS")
            load: dict[tuple[str, int], dict] = {}
            for what in ("login", "heartbeat"):
                for kiosks in concurrency:
                    Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # the peak of this run only
                    calls, latencies, errors = _load(section, people, kiosks, seconds, what)
                    load[(what, kiosks)] = {"per_s": calls / seconds, "p95_ms": percentile(latencies, 95),
                                            "errors": errors, "peak_rss_mb": _vm(server.pid, "VmHWM") / MB}
        finally:
            server.terminate()
            server.wait(30)

    figures = [
        Figure("central login, 1M PINs / none", big_ms["login_ms"] / small_ms["login_ms"], "x", BIG_RATIO_BUDGET,
               {"none_ms": round(small_ms["login_ms"], 2), "province_ms": round(big_ms["login_ms"], 2),
                "without_indexes_ms": round(old_ms["login_ms"], 2), "pins": pins, "build_s": round(build_s, 1)}),
        Figure("central claim + print event, 1M grants / none", big_ms["print_ms"] / small_ms["print_ms"], "x",
               BIG_RATIO_BUDGET, {"none_ms": round(small_ms["print_ms"], 2),
                                  "province_ms": round(big_ms["print_ms"], 2),
                                  "without_indexes_ms": round(old_ms["print_ms"], 2), "grants": pins}),
    ]
    for (what, kiosks), r in load.items():
        detail = {"p95_ms": round(r["p95_ms"], 1), "errors": r["errors"], "seconds": seconds}
        figures.append(Figure(f"central {what}s per second, {kiosks} kiosks", r["per_s"], "1/s", None, detail))
        figures.append(Figure(f"central {what} p95, {kiosks} kiosks", r["p95_ms"], "ms", None,
                              {"per_s": round(r["per_s"], 1), "errors": r["errors"]}))
        figures.append(Figure(f"central server peak RSS, {what}s from {kiosks} kiosks", r["peak_rss_mb"], "MB",
                              RSS_BUDGET_MB, {"idle_rss_mb": round(rss_idle / MB, 1)}))
    return figures
