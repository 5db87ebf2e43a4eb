"""Contract v2's document-type catalogue: the service describes every type (code, titles, media, pages), and a
type the kiosk's code never named is listed, fetched and verified like any other."""

from __future__ import annotations

import pytest

from central import contract as c
from kiosk import central_client as kc

REQUIRED = {"kk", "akta_kelahiran", "akta_kematian", "akta_perkawinan", "akta_perceraian", "akta_pengakuan_anak",
            "akta_pengesahan_anak", "surat_keterangan_pindah", "biodata_penduduk", "ktp_el", "kia",
            "surat_keterangan_pindah_luar_negeri"}


def test_the_service_describes_at_least_twelve_types(central, make_client):
    types = make_client(central).document_types()
    by_code = {t.code: t for t in types}
    assert len(by_code) == len(types) >= 12 and REQUIRED <= set(by_code)
    assert all(t.title.id and t.title.en and t.media in ("a4", "card") and t.pages >= 1 for t in types)
    assert {code for code, t in by_code.items() if t.media == "card"} == {"ktp_el", "kia"}
    assert by_code["akta_perkawinan"].title.id == "Kutipan Akta Perkawinan"


def test_seeded_residents_have_documents_of_types_beyond_the_first_five(central, make_client):
    client = make_client(central)
    resident = central.resident("ready_family")
    session = client.login(resident["nik"], resident["pin"])
    listed = {d.type: d for d in session.documents}
    assert set(listed) == {"akta_perkawinan", "surat_keterangan_pindah", "biodata_penduduk", "kia"}
    assert listed["surat_keterangan_pindah"].title == c.Title(id="Surat Keterangan Pindah", en="Certificate of Moving")
    assert (listed["kia"].media, listed["akta_perkawinan"].media) == ("card", "a4")
    whatsapp = next(m for m in central.outbox() if m.qr_token == resident["qr_token"])
    assert "Kutipan Akta Perkawinan" in whatsapp.text  # the PIN message names them the same way


def test_a_type_added_to_the_service_only_is_listed_fetched_and_verified(fresh_central, make_client):
    store = fresh_central.handle.store
    new = c.DocumentTypeInfo(code="surat_keterangan_uji", title=c.Title(id="Surat Keterangan Uji Coba",
                             en="Trial Certificate"), media="a4", pages=1)
    store.add_document_type(new)
    resident = fresh_central.resident("ready_woman")
    doc_id = store.add_document(resident["nik"], "surat_keterangan_uji")
    pin = store.issue_pin(resident["nik"]).pin
    client = make_client(fresh_central)
    assert new in client.document_types()
    session = client.login(resident["nik"], pin)
    [listed] = [d for d in session.documents if d.id == doc_id]
    assert (listed.type, listed.title, listed.media) == ("surat_keterangan_uji", new.title, "a4")
    document = client.fetch_document(session, doc_id, "job-new-type")
    assert document.meta.type == "surat_keterangan_uji" and document.content.startswith(b"%PDF")
    code = fresh_central.handle.store._one("SELECT verify_code FROM documents WHERE id=?", doc_id)["verify_code"]
    verified = client.verify_code(code)
    assert (verified.document_type, verified.title) == ("surat_keterangan_uji", new.title)


def test_the_service_refuses_a_document_of_a_type_outside_its_catalogue(fresh_central):
    from central.store import StoreError

    with pytest.raises(StoreError):
        fresh_central.handle.store.add_document(fresh_central.resident("ready")["nik"], "no_such_type")


def test_a_malformed_type_code_is_outside_the_contract():
    for code in ("KK", "kk-1", "", "x" * 41):
        with pytest.raises(ValueError):
            c.DocumentTypeInfo(code=code, title=c.Title(id="a", en="b"), media="a4", pages=1)


def test_a_summary_of_an_unknown_media_still_parses(central, make_client):
    """A newer service may print on media this kiosk has no printer for: the list still loads."""
    summary = c.DocumentSummary.model_validate({
        "id": "DOC-1", "type": "kartu_baru", "title": {"id": "Kartu Baru", "en": "New card"}, "media": "a3",
        "pages": 1, "content_type": "application/pdf", "size": 1, "version": 1, "status": "ready"})
    assert summary.media == "a3"
    assert kc.CentralClient  # the client parses lists with this model
