"""Every screen, in Bahasa Indonesia and English, rendered by the real Kivy app headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

HERE = Path(__file__).resolve().parent
SCREENS = ["attract", "attract_message", "nik_entry", "pin_entry", "documents", "documents_catalogue", "confirm",
           "printing", "done", "idle_warning", "out_of_service", "technician", "done_with_slip", "queue",
           "queue_ticket", "verify", "verify_active", "verify_superseded", "verify_unknown", "pin_reset",
           "pin_reset_sent", "officer_login", "officer_requests", "officer_check", "finger_reading", "finger",
           "finger_no_match", "finger_timeout", "help_sent", "help_failed"]


#: Both languages in CI; the English renders are heavy, so ./dev test --fast renders Bahasa Indonesia only (the
#: renders are a third of the fast run's CPU).
LANGUAGES = ["id", pytest.param("en", marks=pytest.mark.heavy)]


@pytest.fixture(scope="module")
def rendered(request, tmp_path_factory) -> tuple[Path, dict]:
    """Every state rendered once, in the languages the selected tests of this file ask for."""
    out = tmp_path_factory.mktemp("screens")
    asked = {item.callspec.params.get("language") for item in request.session.items
             if item.module is request.module and hasattr(item, "callspec")}
    languages = [language for language in ("id", "en") if language in asked] or ["id"]
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "KIVY_WINDOW")}
    result = subprocess.run([sys.executable, str(HERE / "render_all.py"), str(out), ",".join(languages)],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, json.loads((out / "report.json").read_text())


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_no_text_overflows_its_widget(rendered, screen: str, language: str):
    out, report = rendered
    assert report["checker_catches"], "the overflow check must be able to fail"
    assert report["overlap_catches"], "the check for texts drawn over each other must be able to fail"
    assert report["overflow"][f"{screen}.{language}"] == []
    image = Image.open(out / f"{screen}.{language}.png")
    assert image.size == (1280, 800)
    assert sum(1 for n in image.convert("L").resize((64, 40)).histogram() if n) > 8, "the screenshot is blank"


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS)
def test_touch_targets_of_48_px_and_text_of_24_px(rendered, screen: str, language: str):
    """Measured at 1080 lines (the window is 1280x800, so sizes are scaled back by 1080/800)."""
    _out, report = rendered
    assert report["small"][f"{screen}.{language}"] == []


#: The technician's and the officer's screens are staff screens: the accessibility mode is off there (the flow).
RESIDENT_SCREENS = [s for s in SCREENS if s != "technician" and not s.startswith("officer_")]


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("screen", RESIDENT_SCREENS)
def test_the_accessibility_mode_fits_text_half_again_larger_with_every_control_within_reach(
        rendered, screen: str, language: str):
    """No clipped or overlapping text, text of 36 px (1.5x the 24 px minimum) or more, targets of 48 px, and no
    control in the top fifth of the screen (reachable seated), in both languages."""
    out, report = rendered
    name = f"{screen}.{language}"
    assert report["a11y_overflow"][name] == []
    assert report["a11y_small"][name] == []
    assert report["a11y_reach"][name] == []
    plain = Image.open(out / f"{name}.png").convert("RGB")
    accessible = Image.open(out / f"{name}.a11y.png").convert("RGB")
    assert plain.tobytes() != accessible.tobytes()


@pytest.mark.ui
def test_the_accessibility_look_is_the_sessions_only(rendered):
    _out, report = rendered
    assert report["a11y_look"] == {"scale": 1.5, "theme": "high_contrast"}
    assert report["a11y_look_after"] == {"scale": 1.0, "theme": "standard"}


@pytest.mark.ui
@pytest.mark.parametrize("key", ["escape", "f1", "alt_f4"])
def test_escape_f1_and_alt_f4_leave_the_app_running_and_settings_shut(rendered, key: str):
    _out, report = rendered
    assert report["lockdown"][key] == {"running": True, "settings_open": False}


@pytest.mark.ui
def test_the_window_close_request_is_refused(rendered):
    _out, report = rendered
    assert report["lockdown"]["close"] == {"running": True, "vetoed": True}
    assert report["kivy_logs_disabled"]


@pytest.mark.ui
def test_every_screen_is_drawn_once_under_the_start_cover_before_the_first_resident(rendered):
    _out, report = rendered
    assert report["start_cover_gone"]
    assert len(report["warmed_screens"]) >= 12, report["warmed_screens"]
    assert report["left_after_start"] == []


@pytest.mark.ui
def test_a_label_whose_text_changes_gets_a_new_texture(rendered):
    """Writing into a texture a frame still uses made the main thread wait for that frame (bench/stall.py)."""
    _out, report = rendered
    assert report["new_texture_on_change"] == {"same_size": True, "new_texture": True}


@pytest.mark.ui
def test_frames_already_shown_do_not_stay_in_memory(rendered):
    """Not flushed, llvmpipe kept every frame's commands until its scene limit (58 MB of heap here); flushed
    but not finished, frames piled up behind the rasterizer (20-40 MB). Both: none (kiosk/ui/renderer.py)."""
    _out, report = rendered
    assert report["heap_peak_growth_over_80_redraws_mb"] < 8, report["heap_peak_growth_over_80_redraws_mb"]


@pytest.mark.ui
def test_logout_leaves_no_name_document_or_nik_digits_on_any_screen(rendered):
    _out, report = rendered
    assert report["left_after_logout"] == []


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_documents_screen_shows_the_services_titles_and_what_cannot_be_printed_here(rendered, language: str):
    from kiosk.i18n import Translator

    _, report = rendered
    texts = report["catalogue_texts"][language]
    titles = {"id": ["Surat Keterangan Pindah ke Luar Negeri", "Kutipan Akta Pengesahan Anak", "Kartu Identitas Anak"],
              "en": ["Certificate of Moving Abroad", "Certificate of Child Legitimation", "Child ID card (KIA)"]}
    for title in titles[language]:
        assert title in texts
    assert Translator(language)("documents.not_here") in texts


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_resident_screen_has_the_call_for_help_and_the_technicians_area_none(rendered, language: str):
    _out, report = rendered
    shown = report["help"]
    call, on_its_way = {"id": ("Panggil petugas", "Petugas sudah dipanggil"),
                        "en": ("Call an officer", "Officer already called")}[language]
    for screen in RESIDENT_SCREENS:
        expected = on_its_way if screen == "help_sent" else call
        assert shown[f"{screen}.{language}"]["button"] == expected, screen
    assert shown[f"technician.{language}"]["button"] is None


@pytest.mark.ui
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_panel_says_whether_the_call_went_out_and_where_help_is(rendered, language: str):
    _out, report = rendered
    shown = report["help"]
    assert shown[f"documents.{language}"]["panel"] is None
    expected = {"id": (("Petugas sudah dipanggil", "petugas Disdukcapil di loket pelayanan nomor 3"),
                       ("Panggilan tidak terkirim", "petugas Disdukcapil di loket pelayanan nomor 3")),
                "en": (("An officer has been called", "the Disdukcapil officer at service counter number 3"),
                       ("The call could not be sent", "the Disdukcapil officer at service counter number 3"))}
    for state, (title, where) in zip(("help_sent", "help_failed"), expected[language], strict=True):
        shown_title, body = shown[f"{state}.{language}"]["panel"]
        assert shown_title == title and where in body, (state, shown_title, body)


@pytest.mark.ui
def test_staff_screens_are_built_when_shown_and_let_go_when_the_staff_member_leaves(rendered):
    """The technician's and the officer's screens (13 MB of widgets and textures) are not built at start; after
    their visit (every screen was drawn above) only the resident screens remain."""
    _out, report = rendered
    staff = {"technician", "officer_login", "officer_requests", "officer_check"}
    assert not staff & set(report["built_at_start"]) and "attract" in report["built_at_start"]
    assert report["built_at_end"] == report["built_at_start"]
