"""The catalogs: plural forms that read right, the same keys and placeholders in both languages, and a
``.pot`` that the sources still give."""

from __future__ import annotations

import string

import pytest

from kiosk import i18n_extract
from kiosk.i18n import LANGUAGES, Translator, catalog


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("minutes", "english", "indonesian"), [
    (1, "Try again in 1 minute,", "Coba lagi dalam 1 menit,"),
    (5, "Try again in 5 minutes,", "Coba lagi dalam 5 menit,"),
    (0, "Try again in 0 minutes,", "Coba lagi dalam 0 menit,"),
])
def test_plural_forms_read_right_in_both_languages(minutes, english, indonesian):
    assert english in Translator("en")("login.locked", minutes=minutes)
    assert indonesian in Translator("id")("login.locked", minutes=minutes)


def test_every_counted_english_message_says_one_thing_in_the_singular():
    tr = Translator("en")
    for key, plural in catalog("en").plurals.items():
        one = tr(key, **{plural.counted: 1, "help": "x"})
        assert "1 minutes" not in one and "1 seconds" not in one and "1 hours" not in one, key
        assert tr.ngettext(key, 2, **{plural.counted: 2, "help": "x"}) != one, key


def test_both_catalogs_have_the_same_keys_plural_entries_and_placeholders():
    ids, ens = catalog("id"), catalog("en")
    assert ids.keys() == ens.keys()
    assert set(ids.plurals) == set(ens.plurals)
    for key in ids.plurals:
        assert ids.plurals[key].counted == ens.plurals[key].counted, key
    assert len(next(iter(ens.plurals.values())).forms) == 2
    for key in ids.keys():
        forms = [*ids.plurals[key].forms, *ens.plurals[key].forms] if key in ids.plurals \
            else [ids.texts[key], ens.texts[key]]
        assert len({frozenset(placeholders(f)) for f in forms}) == 1, f"{key}: {forms}"


def test_the_pot_is_what_the_sources_give_and_every_catalog_matches_it():
    keys, plurals = i18n_extract.extract()
    assert i18n_extract.POT.read_text(encoding="utf-8") == i18n_extract.render_pot(keys, plurals), \
        "po/adm-kiosk.pot is out of date: run ./dev pot"
    for language in LANGUAGES:
        found = catalog(language)
        assert found.keys() == keys, language  # no key the code does not use, none it uses but lacks
        assert {k: p.counted for k, p in found.plurals.items()} == plurals, language


def test_the_extractor_finds_calls_screen_keys_problems_and_declared_plurals():
    source = '''
class LoginProblem(Enum):
    LOCKED = "login.locked"
KEYS = ("a.title", "a.hint")
PLURALS = {"b.count": "n"}
tr("c.one"); ctx.tr("c.two" if x else "c.three", n=1); Message("d.msg"); log("e.not_a_message")
'''
    keys, plurals = i18n_extract.keys_in_python(source)
    assert keys == {"login.locked", "a.title", "a.hint", "c.one", "c.two", "c.three", "d.msg"}
    assert plurals == {"b.count": "n"}
