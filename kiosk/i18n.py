"""Resident-facing text from gettext catalogs (``assets/locale/<lang>/LC_MESSAGES/adm-kiosk.po``).

Message ids are stable keys (``login.invalid``); both catalogs translate every one of them, Bahasa
Indonesia first. The catalogs are read with Babel at start, so no compile step can drift from the source.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

from babel.messages.pofile import read_po

from kiosk.paths import assets

LANGUAGES = ("id", "en")
DOMAIN = "adm-kiosk"
log = logging.getLogger(__name__)


def catalog_dir(language: str) -> Traversable:
    return assets() / "locale" / language / "LC_MESSAGES"


@cache
def messages(language: str) -> dict[str, str]:
    """msgid -> msgstr for one language: the resident catalog and the technician one (``adm-kiosk-*.po``),
    fuzzy and empty entries left out."""
    found: dict[str, str] = {}
    directory = catalog_dir(language)
    names = sorted(e.name for e in directory.iterdir() if e.name.startswith(DOMAIN) and e.name.endswith(".po"))
    if not names:
        log.error("i18n.no_catalog", extra={"fields": {"language": language}})
    for name in names:
        with directory.joinpath(name).open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=name.removesuffix(".po"))
        found.update({m.id: m.string for m in catalog
                      if m.id and m.string and not m.fuzzy and isinstance(m.id, str) and isinstance(m.string, str)})
    return found


class Translator:
    """``tr("login.invalid", attempts_left=2)`` in one language; a missing key falls back to Indonesian."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else "id"
        self._messages = messages(self.language)
        self._fallback = messages("id")

    def __call__(self, key: str, **params: Any) -> str:
        text = self._messages.get(key) or self._fallback.get(key)
        if text is None:
            log.warning("i18n.missing", extra={"fields": {"key": key, "language": self.language}})
            return key
        try:
            return text.format(**params) if params else text
        except (KeyError, IndexError, ValueError):
            log.warning("i18n.bad_params", extra={"fields": {"key": key, "language": self.language}})
            return text

    def has(self, key: str) -> bool:
        return key in self._messages
