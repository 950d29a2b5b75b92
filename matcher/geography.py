"""Country and language codes: ISO 3166-1 alpha-2 and ISO 639-1, with continents for gradation.

Codes come from pycountry (ISO 3166-1, ISO 639); continents and EU membership from the data table
that ships with country_converter. No list of countries is typed by hand here. Country names in
the outputs: :func:`country_name`, which is :func:`matcher.i18n.country_name`.
"""

from __future__ import annotations

import csv
import difflib
import gettext
import importlib.util
from functools import lru_cache
from pathlib import Path

import pycountry

# The one country name of every output (reasons, reports, exports, pages): its rule is in
# matcher.i18n, with the other names and formats of the outputs.
from .i18n import country_name

__all__ = [
    "continent",
    "country_codes",
    "country_name",
    "is_eu",
    "language_codes",
    "suggest_country",
    "suggest_language",
]


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Return every ISO 3166-1 alpha-2 code."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    """Return every ISO 639-1 (two-letter) language code."""
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


@lru_cache(maxsize=1)
def _country_table() -> dict[str, tuple[str, bool]]:
    # Found without importing country_converter (which imports pandas) and read as plain
    # strings by the csv module (Namibia's code stays "NA"): the reasons read continents, and
    # the one-shot command that ranks with numpy alone imports no pandas.
    spec = importlib.util.find_spec("country_converter")
    path = Path(next(iter(spec.submodule_search_locations))) / "country_data.tsv"
    with path.open("r", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    # Keyed by ISO 3166-1 alpha-3: the table's ISO2 column holds patterns for some countries
    # ("^GB$|^UK$"), its ISO3 column plain codes.
    by_alpha3 = {
        row["ISO3"]: (row["continent"], row["EU27"] == "EU27" or row["EU"] == "EU")
        for row in rows
        if row["ISO3"]
    }
    return {
        country.alpha_2: by_alpha3[country.alpha_3]
        for country in pycountry.countries
        if country.alpha_3 in by_alpha3
    }


def continent(code: str) -> str | None:
    """Return the continent of the country `code` ("Europe", "Asia", ...), or None if unknown."""
    entry = _country_table().get(code)
    return entry[0] if entry else None


def is_eu(code: str) -> bool:
    """Return whether the country `code` is a member of the European Union."""
    entry = _country_table().get(code)
    return bool(entry and entry[1])


@lru_cache(maxsize=4)
def _translation(language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


def suggest_country(value: str) -> str | None:
    """Return the alpha-2 code that `value` most likely means: a name in English, Ukrainian or
    Russian (or a typo of one), an alpha-3 code, or "UK". A short unknown code gets no guess: one
    letter off a two-letter code is another country as often as a typo."""
    text = str(value).strip()
    if not text:
        return None
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        pass
    if text.upper() == "UK":
        return "GB"
    if len(text) <= 3:
        return None
    names = _country_names()
    known = names.get(text.casefold())
    if known:
        return known
    close = difflib.get_close_matches(text.casefold(), list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


#: Names in common use that pycountry's current names do not match closely.
_COUNTRY_ALIASES = {
    "TR": ("turkey", "турция", "туреччина"),
    "GB": ("great britain", "britain", "england"),
    "CZ": ("czech republic",),
    "US": ("usa", "america"),
    "NL": ("holland",),
    "MD": ("moldavia",),
    "MK": ("macedonia",),
}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Casefolded country names (official, common and short, in en, uk and ru) -> alpha-2 code."""
    names = {alias: code for code, aliases in _COUNTRY_ALIASES.items() for alias in aliases}
    for country in pycountry.countries:
        english = [
            getattr(country, field, None) for field in ("name", "common_name", "official_name")
        ]
        for name in filter(None, english):
            for language in ("en", "uk", "ru"):
                translated = name if language == "en" else _translation(language).gettext(name)
                names.setdefault(translated.casefold(), country.alpha_2)
    return names


def suggest_language(value: str) -> str | None:
    """Return the ISO 639-1 code that `value` most likely means (a name or a 3-letter code)."""
    text = str(value).strip()
    try:
        language = pycountry.languages.lookup(text)
    except LookupError:
        return None
    return getattr(language, "alpha_2", None)
