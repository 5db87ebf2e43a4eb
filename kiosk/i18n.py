"""Resident-facing text from gettext catalogs (``assets/locale/<lang>/LC_MESSAGES/adm-kiosk.po``).

Message ids are stable keys (``login.invalid``); both catalogs translate every one of them, Bahasa
Indonesia first. The catalogs are read with Babel at start, so no compile step can drift from the source.

Plural forms follow gettext: an entry with ``msgid_plural`` has one ``msgstr[i]`` per form of the language
(its ``Plural-Forms`` header: Indonesian has one, English two). Because message ids are keys, the entry's
``msgid_plural`` names the placeholder that counts, e.g. ``msgid_plural "{minutes}"``, so a plural message
rendered from flow data (``tr("login.locked", minutes=1)``) picks its form by itself: "1 minute", "5 minutes".
"""

from __future__ import annotations

import gettext
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

from babel.messages.pofile import read_po

from kiosk.paths import assets

LANGUAGES = ("id", "en")
DOMAIN = "adm-kiosk"
log = logging.getLogger(__name__)
_COUNTED = re.compile(r"^\{(\w+)\}$")


def catalog_dir(language: str) -> Traversable:
    return assets() / "locale" / language / "LC_MESSAGES"


@dataclass(frozen=True)
class Plural:
    """A plural entry: its forms in catalog order and the placeholder whose number picks one."""

    forms: tuple[str, ...]
    counted: str


@dataclass(frozen=True)
class Catalog:
    """One language's messages (resident and technician catalogs together) and its plural rule."""

    texts: dict[str, str]
    plurals: dict[str, Plural]
    plural_rule: Callable[[int], int]

    def keys(self) -> set[str]:
        return set(self.texts) | set(self.plurals)


def catalog_files(language: str) -> list[Traversable]:
    directory = catalog_dir(language)
    names = sorted(e.name for e in directory.iterdir() if e.name.startswith(DOMAIN) and e.name.endswith(".po"))
    return [directory.joinpath(name) for name in names]


@cache
def catalog(language: str) -> Catalog:
    """Every message of one language; fuzzy and empty entries left out."""
    texts: dict[str, str] = {}
    plurals: dict[str, Plural] = {}
    rule: Callable[[int], int] = gettext.c2py("0" if language == "id" else "n != 1")
    files = catalog_files(language)
    if not files:
        log.error("i18n.no_catalog", extra={"fields": {"language": language}})
    for path in files:
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=language, domain=path.name.removesuffix(".po"))
        rule = gettext.c2py(parsed.plural_expr)
        for m in parsed:
            if not m.id or m.fuzzy:
                continue
            if isinstance(m.id, str):
                if isinstance(m.string, str) and m.string:
                    texts[m.id] = m.string
                continue
            counted = _COUNTED.match(m.id[1])
            forms = m.string if isinstance(m.string, tuple | list) else ()
            if counted and forms and all(forms):
                plurals[m.id[0]] = Plural(tuple(forms), counted.group(1))
            else:
                log.error("i18n.bad_plural", extra={"fields": {"key": m.id[0], "language": language}})
    return Catalog(texts, plurals, rule)


def messages(language: str) -> dict[str, str]:
    """msgid -> msgstr for one language (a plural entry by its first form)."""
    found = catalog(language)
    return {**found.texts, **{key: p.forms[0] for key, p in found.plurals.items()}}


class Translator:
    """``tr("login.invalid", attempts_left=2)`` in one language; a missing key falls back to Indonesian."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else "id"
        self._catalog = catalog(self.language)
        self._fallback = catalog("id")

    def __call__(self, key: str, **params: Any) -> str:
        for found in (self._catalog, self._fallback):
            if key in found.plurals:
                plural = found.plurals[key]
                count = params.get(plural.counted)
                return self.ngettext(key, count if isinstance(count, int) else 0, **params)
            if key in found.texts:
                return self._format(key, found.texts[key], params)
        log.warning("i18n.missing", extra={"fields": {"key": key, "language": self.language}})
        return key

    def ngettext(self, key: str, n: int, **params: Any) -> str:
        """The form of ``key`` for the number ``n`` by the language's plural rule (gettext's ``ngettext``)."""
        for found in (self._catalog, self._fallback):
            if key in found.plurals:
                forms = found.plurals[key].forms
                return self._format(key, forms[min(found.plural_rule(n), len(forms) - 1)], params)
            if key in found.texts:
                return self._format(key, found.texts[key], params)
        log.warning("i18n.missing", extra={"fields": {"key": key, "language": self.language}})
        return key

    def _format(self, key: str, text: str, params: dict[str, Any]) -> str:
        try:
            return text.format(**params) if params else text
        except (KeyError, IndexError, ValueError):
            log.warning("i18n.bad_params", extra={"fields": {"key": key, "language": self.language}})
            return text

    def has(self, key: str) -> bool:
        return key in self._catalog.keys()
