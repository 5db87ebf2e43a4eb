"""The reference service's document-type catalogue: what it tells kiosks about each type it issues.

Dukcapil's ADM advertises 23-24 types; the demo issues these. Kiosks know none of them by heart: they show
the titles and route by media as the service describes them (``GET /v1/document-types``), so a new type
needs a row here (or :meth:`central.store.Store.add_document_type`), not a new kiosk release.
"""

from __future__ import annotations

from central.contract import DocumentTypeInfo, Media, Title


def _a4(code: str, title_id: str, title_en: str) -> DocumentTypeInfo:
    return DocumentTypeInfo(code=code, title=Title(id=title_id, en=title_en), media=Media.A4, pages=1)


def _card(code: str, title_id: str, title_en: str) -> DocumentTypeInfo:
    return DocumentTypeInfo(code=code, title=Title(id=title_id, en=title_en), media=Media.CARD, pages=2)


DEFAULT_CATALOGUE: tuple[DocumentTypeInfo, ...] = (
    _a4("kk", "Kartu Keluarga", "Family Card (KK)"),
    _a4("akta_kelahiran", "Kutipan Akta Kelahiran", "Birth Certificate"),
    _a4("akta_kematian", "Kutipan Akta Kematian", "Death Certificate"),
    _a4("akta_perkawinan", "Kutipan Akta Perkawinan", "Marriage Certificate"),
    _a4("akta_perceraian", "Kutipan Akta Perceraian", "Divorce Certificate"),
    _a4("akta_pengakuan_anak", "Kutipan Akta Pengakuan Anak", "Certificate of Child Acknowledgement"),
    _a4("akta_pengesahan_anak", "Kutipan Akta Pengesahan Anak", "Certificate of Child Legitimation"),
    _a4("surat_keterangan_pindah", "Surat Keterangan Pindah", "Certificate of Moving"),
    _a4("surat_keterangan_pindah_luar_negeri", "Surat Keterangan Pindah ke Luar Negeri",
        "Certificate of Moving Abroad"),
    _a4("surat_keterangan_datang_luar_negeri", "Surat Keterangan Datang dari Luar Negeri",
        "Certificate of Arrival from Abroad"),
    _a4("biodata_penduduk", "Biodata Penduduk", "Resident Biodata"),
    _a4("surat_keterangan_kependudukan", "Surat Keterangan Kependudukan", "Certificate of Residence"),
    _card("ktp_el", "KTP Elektronik", "Electronic ID card (KTP-el)"),
    _card("kia", "Kartu Identitas Anak", "Child ID card (KIA)"),
)
