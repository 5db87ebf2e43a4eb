"""``adm-central seed``: a complete, invented demo world in a data directory.

Writes the keys (``ca.pem``, ``server.pem``/``server.key``, ``kiosk.pem``/``kiosk.key``, ``signing.key``,
``signing.pub``), the database with residents, documents in every state, queue bookings and a superseded
document, and ``seed-summary.json``: the residents with their PINs, as the demo and tests need them. The
database keeps only PIN hashes; the summary and the WhatsApp outbox stand for the residents' phones.

Every name, NIK, number and address here is invented.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from central import pki
from central.documents import Holder
from central.fleet import OPERATOR_PUB_FILE, operator_key
from central.private import private_dir, write_private
from central.server import CA_FILE, SERVER_CERT, SERVER_KEY
from central.store import DB_FILE, SIGNING_KEY_FILE, Store

SUMMARY_FILE = "seed-summary.json"
DEFAULT_KEY_ID = "demo-2026"  # what the shipped config.yaml trusts
DEFAULT_KIOSK_ID = "ADM-DEMO-01"


class SeedError(Exception):
    """The directory already holds a world, or cannot be written."""


# Invented residents. NIK: PP KK CC DDMMYY SSSS, women with day + 40.
RESIDENTS = [
    # key, holder, WhatsApp number
    ("ready", Holder("3273021708850001", "Budi Santoso", "Bandung", "17-08-1985", "LAKI-LAKI",
                     "Jl. Cendana Contoh No. 12, Coblong, Kota Bandung"), "+6281200000001"),
    ("ready_woman", Holder("3273035907010004", "Dewi Lestari", "Cimahi", "19-07-2001", "PEREMPUAN",
                           "Jl. Melati Contoh No. 3, Sukajadi, Kota Bandung"), "+6281200000004"),
    ("waiting", Holder("3273024503920002", "Siti Rahmawati", "Garut", "05-03-1992", "PEREMPUAN",
                       "Jl. Kenanga Contoh No. 7, Coblong, Kota Bandung"), "+6281200000002"),
    ("printed", Holder("3273031201780003", "Agus Wijaya", "Bandung", "12-01-1978", "LAKI-LAKI",
                       "Jl. Flamboyan Contoh No. 21, Cicendo, Kota Bandung"), "+6281200000003"),
    ("ready_family", Holder("3273016406900005", "Rina Kartika", "Sumedang", "24-06-1990", "PEREMPUAN",
                            "Jl. Anggrek Contoh No. 9, Sukasari, Kota Bandung"), "+6281200000005"),
]
#: Residents whose KTP-el and finger the demo and tests use: the summary's ``finger`` (hex) stands for the
#: resident's finger, as its PIN stands for their phone; the store holds it as the finger's template.
FINGER_ROLES = ("ready", "ready_woman")


def finger_template(nik: str) -> bytes:
    """The invented template of a seeded resident's finger (fixed per NIK, so a clone of a world keeps it)."""
    return hashlib.sha256(b"adm-demo-finger\0" + nik.encode("ascii")).digest()


#: Documents ready for each role (the catalogue's codes); 'ready_family' shows types beyond the first five.
READY_DOCUMENTS = {
    "ready": ("kk", "akta_kelahiran", "ktp_el"),
    "ready_woman": ("ktp_el",),
    "printed": ("ktp_el", "akta_kelahiran"),
    "ready_family": ("akta_perkawinan", "surat_keterangan_pindah", "biodata_penduduk", "kia"),
}
# Online queue bookings: code, service, counter, slot start in minutes from the seed time, and what it shows.
# Slots are relative to the seed so that the demo works at any hour; a booking may check in from an hour
# before its slot until half an hour after it.
BOOKINGS = [
    ("ANTRI-0901", "Perekaman KTP-el", "2", -10, "ready"),
    ("ANTRI-0902", "Konsultasi Kartu Keluarga", "3", 20, "ready"),
    ("ANTRI-0903", "Pengambilan Akta", "4", 40, "ready"),
    ("ANTRI-0904", "Perekaman KTP-el", "2", 24 * 60, "early"),  # tomorrow
    ("ANTRI-0905", "Konsultasi Kartu Keluarga", "3", -24 * 60, "expired"),  # yesterday
    ("ANTRI-0906", "Pengambilan Akta", "4", -20, "used"),  # already served at the counter
]
# Officers: id, name, kecamatan, WhatsApp number, PIN. Residents without a phone whose requests an
# officer filed: role, holder, the filing officer, the request id, its documents.
OFFICERS = [
    ("OPSI-001", "Asep Sunandar", "Coblong", "+6281300000001", "135790"),
    ("OPSI-002", "Nining Suryani", "Cicendo", "+6281300000002", "246801"),
]
OFFICER_FILED = [
    ("no_phone", Holder("3273022304600006", "Ujang Suryana", "Bandung", "23-04-1960", "LAKI-LAKI",
                        "Kp. Babakan Contoh RT 02 RW 05, Coblong, Kota Bandung"), "OPSI-001", "SUB-2026-0101", ("kk",)),
    ("no_phone_other", Holder("3273035511550007", "Enok Kurniasih", "Bandung", "15-11-1955", "PEREMPUAN",
                              "Jl. Sawo Contoh No. 4, Cicendo, Kota Bandung"), "OPSI-002", "SUB-2026-0102", ("kk",)),
]
SLOT_MINUTES = 30
OFFICE_TZ = timezone(timedelta(hours=7), "WIB")
WAITING_SUBMISSION = "SUB-2026-0002"


def seed(data_dir: Path | str, *, key_id: str = DEFAULT_KEY_ID, kiosk_id: str = DEFAULT_KIOSK_ID,
         hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1"), pin_ttl_s: int | None = None,
         force: bool = False, realistic_sizes: bool = False) -> dict:
    """Create the demo world in ``data_dir`` and return the summary (also written to seed-summary.json).

    ``realistic_sizes``: documents as heavy as real ones (KK 250 KB, akta 150 KB, a card 191 KB) instead of
    a few kilobytes, for measuring what a slow link costs."""
    data = private_dir(Path(data_dir))
    if (data / DB_FILE).exists():
        if not force:
            raise SeedError(f"{data} already holds a central database; use --force to replace it")
        for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", "whatsapp-outbox.jsonl", SUMMARY_FILE):
            (data / name).unlink(missing_ok=True)

    ca = pki.make_ca()
    server = pki.issue(ca, "adm-central", server=True, hosts=hosts)
    kiosk = pki.issue(ca, kiosk_id, server=False)
    signing_private, signing_public = pki.make_signing_key()
    # Certificates are public, but the directory is private: every file is written owner-only.
    for name, content in ((CA_FILE, ca.cert_pem), ("ca.key", ca.key_pem), (SERVER_CERT, server.cert_pem),
                          (SERVER_KEY, server.key_pem), ("kiosk.pem", kiosk.cert_pem), ("kiosk.key", kiosk.key_pem),
                          (SIGNING_KEY_FILE, signing_private), ("signing.pub", signing_public)):
        write_private(data / name, content)

    operator_key(data)  # the command-signing key; kiosks trust its public half (operator.pub)
    store = Store(data)
    try:
        store.set_setting("key_id", key_id)
        if pin_ttl_s is not None:
            store.set_setting("pin_ttl_s", str(pin_ttl_s))
        if realistic_sizes:
            store.set_setting("realistic_sizes", "1")
        residents = _residents(store)
        officers = _officers(store)
        residents += _officer_filed(store)
        bookings = _bookings(store)
        verify_codes = store.verify_codes()
    finally:
        store.close()

    summary = {
        "data_dir": str(data.resolve()),
        "key_id": key_id,
        "kiosk_id": kiosk_id,
        "files": {"ca": CA_FILE, "client_cert": "kiosk.pem", "client_key": "kiosk.key", "signing_public_key":
                  "signing.pub", "operator_public_key": OPERATOR_PUB_FILE},
        "residents": residents,
        "officers": officers,
        "waiting_submission": WAITING_SUBMISSION,
        "queue_bookings": [code for code, kind in bookings if kind == "ready"],
        "queue_bookings_by_kind": {kind: [code for code, k in bookings if k == kind]
                                   for kind in ("ready", "early", "expired", "used")},
        "verify_codes": verify_codes,
    }
    write_private(data / SUMMARY_FILE, (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return summary


def _bookings(store: Store) -> list[tuple[str, str]]:
    now = store.clock()
    out = []
    for code, service, counter, start_min, kind in BOOKINGS:
        starts = now + start_min * 60
        ends = starts + SLOT_MINUTES * 60
        slot = "-".join(datetime.fromtimestamp(t, OFFICE_TZ).strftime("%H:%M") for t in (starts, ends))
        store.add_booking(code, service, slot, counter=counter, starts_at=starts, ends_at=ends, served=kind == "used")
        out.append((code, kind))
    return out


def _residents(store: Store) -> list[dict]:
    out = []
    for role, holder, number in RESIDENTS:
        store.add_resident(holder, number)
        entry: dict = {"role": role, "nik": holder.nik, "name": holder.name, "gender": holder.gender,
                       "whatsapp": number, "pin": None, "qr_token": None, "documents": [], "submission": None,
                       "finger": None}
        if role in FINGER_ROLES:
            store.set_finger(holder.nik, finger_template(holder.nik))
            entry["finger"] = finger_template(holder.nik).hex()
        if role == "ready":
            # An older KK, superseded by the current one: its QR must verify as 'superseded'.
            store.add_document(holder.nik, "kk")
        if role == "waiting":
            store.add_submission(WAITING_SUBMISSION, holder.nik, ["kk", "akta_kelahiran"])
            entry["submission"] = WAITING_SUBMISSION
        docs = [store.add_document(holder.nik, t) for t in READY_DOCUMENTS.get(role, ())]
        if docs:
            issued = store.issue_pin(holder.nik)
            entry["pin"], entry["qr_token"] = issued.pin, issued.qr_token
        if role == "printed":
            store.mark_printed(holder.nik, docs[0])
        for doc_id in docs:
            doc_type = store.document_type(doc_id)
            status = "printed" if role == "printed" and doc_id == docs[0] else "ready"
            entry["documents"].append({"id": doc_id, "type": doc_type,
                                       "title": store.document_type_info(doc_type).title.id, "status": status})
        out.append(entry)
    return out


def _officers(store: Store) -> list[dict]:
    out = []
    for officer_id, name, kecamatan, number, pin in OFFICERS:
        new = store.add_officer(officer_id, name, kecamatan, number, pin=pin)
        out.append({"id": officer_id, "name": name, "kecamatan": kecamatan, "whatsapp": number, "pin": new.pin,
                    "card_qr": new.card_qr})
    return out


def _officer_filed(store: Store) -> list[dict]:
    """Residents without a phone: an officer filed their request and the operator verified it (the PIN notice
    went to the officer's WhatsApp)."""
    out = []
    for role, holder, officer_id, request, types in OFFICER_FILED:
        store.add_resident(holder, "")
        doc_ids = store.add_submission(request, holder.nik, list(types), filed_by=officer_id)
        issued = store.verify_submission(request)
        out.append({"role": role, "nik": holder.nik, "name": holder.name, "gender": holder.gender, "whatsapp": "",
                    "pin": issued.pin, "qr_token": issued.qr_token, "finger": None, "submission": request,
                    "filed_by": officer_id,
                    "documents": [{"id": d, "type": t, "title": store.document_type_info(t).title.id,
                                   "status": "ready"} for d, t in zip(doc_ids, types, strict=True)]})
    return out


def read_summary(data_dir: Path | str) -> dict:
    """The summary the last seed wrote (PINs as seeded; newer PINs are in the WhatsApp outbox)."""
    return json.loads((Path(data_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
