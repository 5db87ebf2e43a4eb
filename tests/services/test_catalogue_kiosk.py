"""The document-type catalogue at the kiosk: a type its code never named is listed with the service's title in
the resident's language and printed on the printer of its media; a type whose media this kiosk has no printer
for is listed as not printable here and cannot be chosen."""

from __future__ import annotations

import pytest

from central import contract as c
from kiosk.flow import (
    Confirmed,
    DocStatus,
    DocumentToggled,
    LanguageToggled,
    Media,
    Phase,
    PrintPressed,
    Screen,
)


def test_types_unknown_to_the_kiosk_are_listed_with_their_titles_and_printed_on_their_printers(kiosk):
    store = kiosk.central.handle.store
    store.add_document_type(c.DocumentTypeInfo(code="kartu_uji", title=c.Title(id="Kartu Uji Coba", en="Trial Card"),
                                               media="card", pages=2))
    resident = kiosk.central.resident("ready_family")
    store.add_document(resident["nik"], "kartu_uji")
    pin = store.issue_pin(resident["nik"]).pin
    state = kiosk.log_in(resident["nik"], pin)
    shown = {d.type: d for d in state.documents}
    assert set(shown) == {"akta_perkawinan", "surat_keterangan_pindah", "biodata_penduduk", "kia", "kartu_uji"}
    assert (shown["akta_perkawinan"].title_in("id"), shown["akta_perkawinan"].title_in("en")) == (
        "Kutipan Akta Perkawinan", "Marriage Certificate")
    assert shown["kartu_uji"].title_in(kiosk.do(LanguageToggled).language) == "Trial Card"
    assert {t: d.media for t, d in shown.items()} == {
        "akta_perkawinan": Media.A4, "surat_keterangan_pindah": Media.A4,
        "biodata_penduduk": Media.A4, "kia": Media.CARD, "kartu_uji": Media.CARD}
    assert all(d.status is DocStatus.READY for d in state.documents) and len(state.selected) == 5

    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    state = kiosk.wait(lambda s: s.screen is Screen.DONE and s.slip_printed is not None, "the slip", timeout=60)
    assert [p.phase for p in state.progress] == [Phase.DONE] * 5
    devices = kiosk.runtime.devices
    assert len(list(devices.document_printer.output_dir.glob("*.pdf"))) == 3
    assert len(list(devices.card_printer.output_dir.glob("*-front.png"))) == 2
    [slip] = kiosk.receipts.glob("receipt-*.txt")
    text = slip.read_text()
    for line in (" 1 x Kutipan Akta Perkawinan", " 1 x Surat Keterangan Pindah", " 1 x Kartu Uji Coba"):
        assert line in text  # the service's titles, in Bahasa Indonesia whatever language the screen showed


@pytest.mark.parametrize("kiosk", [{"card_printer": None}], indirect=True)
def test_a_card_on_a_kiosk_without_a_card_printer_is_listed_as_not_printable_here(kiosk):
    resident = kiosk.central.resident("ready")
    state = kiosk.log_in(resident["nik"], resident["pin"])
    status = {d.type: d.status for d in state.documents}
    assert status == {"kk": DocStatus.READY, "akta_kelahiran": DocStatus.READY, "ktp_el": DocStatus.NOT_HERE}
    card = next(d for d in state.documents if d.type == "ktp_el")
    assert card.id not in state.selected
    assert kiosk.do(DocumentToggled, document_id=card.id).selected == state.selected  # it cannot be chosen
    kiosk.do(PrintPressed)
    kiosk.do(Confirmed)
    state = kiosk.wait(lambda s: s.screen is Screen.DONE, "the end of printing", timeout=60)
    assert {p.id for p in state.progress} == {d.id for d in state.documents if d.type != "ktp_el"}
    assert [p.phase for p in state.progress] == [Phase.DONE] * 2
