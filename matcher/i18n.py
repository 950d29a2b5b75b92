"""One i18n for the library: message catalogues, plurals, and locale-aware numbers and dates.

Every word the library writes for people (the engine's reasons, the insights report, the
agenda exports, the command line's sample note) is an English source string looked up in a
gettext catalogue through Babel; this module is the one place that loads catalogues and formats
numbers, shares, dates, country names and language names.

* Languages: :data:`LANGUAGES` (English ``en``, the source, and Ukrainian ``uk``). Any other
  value is refused with :class:`UnknownLanguageError` naming it and the allowed ones.
* Catalogues: ``matcher/locale/<language>/LC_MESSAGES/matcher.po`` (the translations, edited by
  hand) and ``matcher.mo`` (compiled), loaded once per process by :func:`translations`.
  Ukrainian has three plural forms (``Plural-Forms`` in the ``.po`` header, Babel's rule:
  1, 21, 101 → the first; 2-4, 22-24 → the second; 0, 5-20, 25-30, 111-114 → the third).
* Messages: :func:`gettext`, :func:`ngettext`, :func:`pgettext` and :func:`npgettext` take the
  language; :func:`catalogue` returns a :class:`Catalogue` bound to one language. Tables keyed
  by name (``report.TEXT``, ``exports.LABELS``) are :class:`Table` objects: English source
  strings marked for extraction with :func:`N_` (:func:`NP_` with a context, :func:`NN_` /
  :func:`NNP_` for plurals), translated on first use.
* Formats: :func:`format_number`, :func:`format_share` (a percentage), :func:`format_date`
  (dates and datetimes) and :func:`format_moment` (a moment for people, in a time zone)
  follow the language's CLDR conventions (Babel), or a pattern given.
* Names: :func:`country_name` (the one country name of every output),
  :func:`language_name` and :func:`network_name` (a network's display name, from names the
  caller holds, else its id as words); :func:`tier_name` gives the words of the potential
  tiers (the one definition of "low", "medium", "high").

Country names, one rule for every language: the *short* name, ISO 3166's common name where it
has one ("Moldova", not "Moldova, Republic of"; "Tanzania", not "Tanzania, United Republic
of"), else its name; in Ukrainian the translation of that short name from the ISO 3166
catalogue that pycountry ships, else the translation of the full name ("Молдова", not
"Республіка Молдова"). Before, English used the short name and Ukrainian the full one.

Compiled catalogues: committed, not built
-----------------------------------------
The ``.mo`` files are committed beside their ``.po`` and shipped as package data
(``setup.cfg``: ``[options.package_data]``), so they exist in a checkout, an sdist, a wheel and
an editable install alike, with no network and no build step to forget. Compiling at build time
was not chosen: the project's declarative ``setup.cfg`` + ``pyproject.toml`` has no hook that
runs a step at build time (that takes a ``setup.py`` with a custom command or a custom build
backend), and an editable install (``pip install -e .``, PEP 660) serves the package from the
source tree, where a ``.mo`` built into a wheel never appears; editing a ``.po`` would also need
a reinstall. What keeps the committed ``.mo`` honest is ``tests/test_i18n.py``: compiling each
``.po`` with Babel must give exactly the messages of the committed ``.mo``, every message that
Babel's extractor finds in ``matcher/`` (``babel.cfg``, :data:`EXTRACT_KEYWORDS`) must be in the
catalogue, translated and not fuzzy, and the catalogue must hold no message the source no
longer uses.

After changing a message in the source::

    python -m matcher.i18n update    # extract from matcher/ and merge into every .po
    # ...translate the new or changed entries of the .po (remove their "fuzzy" flag)...
    python -m matcher.i18n compile   # write the .mo beside each .po

(``pybabel extract -F babel.cfg -k NP_:1c,2 -k NN_:1,2 -k NNP_:1c,2,3 --add-comments=TRANSLATORS:
-o matcher.pot .`` then ``pybabel update`` and ``pybabel compile -d matcher/locale -D matcher``
do the same.)
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pycountry

from .errors import InputError

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "DOMAIN",
    "EXTRACT_KEYWORDS",
    "LANGUAGES",
    "LIBRARY_FILES",
    "NNP_",
    "NN_",
    "NP_",
    "N_",
    "SOURCE_LANGUAGE",
    "TIER_WORDS",
    "Catalogue",
    "CatalogueFiles",
    "Message",
    "NetworkNames",
    "Table",
    "UnknownLanguageError",
    "catalogue",
    "catalogue_path",
    "check_language",
    "compile_catalogue",
    "country_name",
    "extract_messages",
    "format_date",
    "format_moment",
    "format_number",
    "format_share",
    "gettext",
    "language_name",
    "network_name",
    "ngettext",
    "npgettext",
    "pgettext",
    "read_catalogue",
    "readable_network_id",
    "tier_name",
    "translations",
]

#: The languages of every output: English (the source strings) and Ukrainian.
LANGUAGES = ("en", "uk")
#: The language of the source strings (no catalogue).
SOURCE_LANGUAGE = "en"
#: The gettext domain of the library's catalogues.
DOMAIN = "matcher"
#: Keywords of Babel's extractor: its defaults, and the markers of deferred messages below.
EXTRACT_KEYWORDS: dict[str, object] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "NP_": ((1, "c"), 2),
    "NN_": (1, 2),
    "NNP_": ((1, "c"), 2, 3),
}
#: Comments above a message that start with this tag go to the translators (in the .po).
COMMENT_TAG = "TRANSLATORS:"

_ISO_DATE = "yyyy-MM-dd"
_ISO_DATETIME = "yyyy-MM-dd HH:mm"


class UnknownLanguageError(InputError, KeyError):
    """A language the library has no catalogue for; the message names it and the allowed ones.

    An :class:`~matcher.errors.InputError` (the caller gave it) and a ``KeyError`` (a
    :class:`Table` is a mapping keyed by language, and ``Table.get`` should still work).
    """

    def __str__(self) -> str:
        # KeyError would show the message quoted, as the repr of a missing key.
        return str(self.args[0]) if self.args else ""


def check_language(language: object) -> str:
    """Return `language` if the library speaks it, else raise :class:`UnknownLanguageError`."""
    if isinstance(language, str) and language in LANGUAGES:
        return language
    raise UnknownLanguageError(f"Got language={language!r}, expected one of {', '.join(LANGUAGES)}")


# ---------------------------------------------------------------------------------------------
# Deferred messages: marked for extraction where they are defined, translated where used
# ---------------------------------------------------------------------------------------------


class Message(NamedTuple):
    """A message to translate later: its English text, a context, an English plural."""

    msgid: str
    context: str | None = None
    plural: str | None = None


def N_(msgid: str) -> str:
    """Mark `msgid` for extraction; return it unchanged (translate it where it is used)."""
    return msgid


def NP_(context: str, msgid: str) -> Message:
    """Mark `msgid` with a `context` (which tells two uses of one English word apart)."""
    return Message(msgid, context)


def NN_(singular: str, plural: str) -> Message:
    """Mark a message with plural forms (translate it with a number)."""
    return Message(singular, None, plural)


def NNP_(context: str, singular: str, plural: str) -> Message:
    """Mark a message with a context and plural forms."""
    return Message(singular, context, plural)


# ---------------------------------------------------------------------------------------------
# Catalogues
# ---------------------------------------------------------------------------------------------


def _locale_dir() -> Path:
    return Path(str(resources.files("matcher").joinpath("locale")))


def catalogue_path(language: str, suffix: str = ".mo") -> Path:
    """The file of `language`'s catalogue (``.mo`` compiled, ``.po`` source)."""
    return LIBRARY_FILES.path(language, suffix)


def translations(language: str) -> _gettext.NullTranslations:
    """Return the translations of `language`, loaded once per process.

    English is the language of the source strings: its translations are Babel's
    ``NullTranslations`` (every message as written, English plurals). Any other language reads
    its compiled catalogue; a missing ``.mo`` is an error (it ships with the package), not a
    silent fall-back to English.
    """
    return _translations(check_language(language))


@lru_cache(maxsize=len(LANGUAGES))
def _translations(language: str) -> _gettext.NullTranslations:
    from babel.support import NullTranslations, Translations

    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalogue_path(language)
    try:
        with path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"The compiled catalogue {path} is missing: it ships with the package "
            f"(run `python -m matcher.i18n compile` in a checkout)"
        ) from None


class Catalogue:
    """The messages and formats of one language (see :func:`catalogue`)."""

    __slots__ = ("_translations", "language")

    def __init__(self, language: str):
        self.language = check_language(language)
        self._translations = translations(language)

    def __repr__(self) -> str:
        return f"Catalogue({self.language!r})"

    def gettext(self, message: str) -> str:
        """Return `message` (English) in this language."""
        # An empty message id would return the catalogue's header.
        return self._translations.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the form of the message for the number `n` (not filled in)."""
        # operator.index: a numpy integer is a count too (gettext warns on anything but int).
        return self._translations.ngettext(singular, plural, operator.index(n))

    def pgettext(self, context: str, message: str) -> str:
        """Return `message` of `context` in this language."""
        return self._translations.pgettext(context, message) if message else message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        """Return the form of the message of `context` for the number `n`."""
        return self._translations.npgettext(context, singular, plural, operator.index(n))

    def translate(self, message: str | Message, n: int | None = None) -> str:
        """Return a marked message (:func:`N_`, :func:`NP_`, :func:`NN_`, :func:`NNP_`)
        in this language; a plural one needs the number `n` (the form is returned, not
        filled in)."""
        if isinstance(message, str):
            return self.gettext(message)
        if message.plural is None:
            if message.context is None:
                return self.gettext(message.msgid)
            return self.pgettext(message.context, message.msgid)
        if n is None:
            raise TypeError(f"the plural message {message.msgid!r} needs a number")
        if message.context is None:
            return self.ngettext(message.msgid, message.plural, n)
        return self.npgettext(message.context, message.msgid, message.plural, n)

    def count(self, message: Message, n: int, **values: object) -> str:
        """Return the plural `message` for `n`, with ``{n}`` (written as the language writes
        numbers, :func:`format_number`) and `values` filled in."""
        return self.translate(message, n).format(n=self.format_number(n), **values)

    def format_number(self, value: float, digits: int | None = None) -> str:
        return format_number(value, self.language, digits)

    def format_share(self, value: float | None, digits: int = 0) -> str:
        return format_share(value, self.language, digits)

    def format_date(self, value: dt.date, format: str = "iso") -> str:
        return format_date(value, self.language, format)

    def format_moment(
        self, value: dt.datetime | str, timezone: str | dt.tzinfo | None = None
    ) -> str:
        return format_moment(value, self.language, timezone)

    def country_name(self, code: str) -> str:
        return country_name(code, self.language)

    def language_name(self, code: str) -> str:
        return language_name(code, self.language)

    def tier_name(self, tier: str) -> str:
        return tier_name(tier, self.language)

    def network_name(self, network_id: str, names: NetworkNames | None = None) -> str:
        return network_name(network_id, self.language, names)


def catalogue(language: str) -> Catalogue:
    """Return the :class:`Catalogue` of `language` (one per process and language)."""
    return _catalogue(check_language(language))


@lru_cache(maxsize=len(LANGUAGES))
def _catalogue(language: str) -> Catalogue:
    return Catalogue(language)


def gettext(message: str, language: str) -> str:
    """Return `message` (English) in `language`."""
    return catalogue(language).gettext(message)


def ngettext(singular: str, plural: str, n: int, language: str) -> str:
    """Return the form of a message for the number `n` in `language` (not filled in)."""
    return catalogue(language).ngettext(singular, plural, n)


def pgettext(context: str, message: str, language: str) -> str:
    """Return `message` of `context` in `language`."""
    return catalogue(language).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int, language: str) -> str:
    """Return the form of a message of `context` for the number `n` in `language`."""
    return catalogue(language).npgettext(context, singular, plural, n)


class Table(Mapping):
    """Messages keyed by name, by language: ``table[language][key]``.

    Built from ``{key: message}`` with English source strings marked by :func:`N_` or
    :func:`NP_`; each language's dict is translated on first use. An unknown language raises
    :class:`UnknownLanguageError` (a ``KeyError``, so ``table.get(language)`` still works).
    """

    def __init__(self, messages: Mapping[str, str | Message]):
        plural = [key for key, message in messages.items() if getattr(message, "plural", None)]
        if plural:
            raise TypeError(f"plural messages need a number, not a table: {', '.join(plural)}")
        self.messages = dict(messages)
        self._languages: dict[str, dict[str, str]] = {}

    def __getitem__(self, language: str) -> dict[str, str]:
        table = self._languages.get(language)
        if table is None:
            words = catalogue(language)
            table = {key: words.translate(message) for key, message in self.messages.items()}
            self._languages[language] = table
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)

    def __repr__(self) -> str:
        return f"Table({len(self.messages)} messages in {', '.join(LANGUAGES)})"


# ---------------------------------------------------------------------------------------------
# Numbers, shares and dates
# ---------------------------------------------------------------------------------------------


def _pattern(kind: str, language: str, digits: int | None):
    """The CLDR number pattern of `language` (``decimal`` or ``percent``), with exactly
    `digits` decimals when given."""
    from copy import copy

    from babel import Locale

    locale = Locale.parse(language)
    pattern = (locale.decimal_formats if kind == "decimal" else locale.percent_formats)[None]
    if digits is not None:
        pattern = copy(pattern)
        pattern.frac_prec = (digits, digits)
    return locale, pattern


def format_number(value: float, language: str, digits: int | None = None) -> str:
    """Return `value` in the conventions of `language` ("1,234.5" in English, "1 234,5" in
    Ukrainian, with a no-break space): with `digits` decimals exactly, or as many as it has
    (at most three) without."""
    locale, pattern = _pattern("decimal", check_language(language), digits)
    return pattern.apply(value, locale)


def format_share(value: float | None, language: str, digits: int = 0) -> str:
    """Return the share `value` (0..1) as a percentage in the conventions of `language`
    ("25%"), with `digits` decimals; "—" for a missing value (None or NaN)."""
    locale, pattern = _pattern("percent", check_language(language), digits)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return pattern.apply(value, locale)


def format_date(value: dt.date, language: str, format: str = "iso") -> str:
    """Return the date or datetime `value` for people reading `language`.

    ``format``: ``"iso"`` (``2026-05-14``, a datetime with `` 10:30``; the same in every
    language, what the exports and reports show), ``"short"``, ``"medium"``, ``"long"``,
    ``"full"`` (CLDR's for the language: "May 14, 2026", "14 травня 2026 р."), or a CLDR
    pattern. An aware datetime is shown in its own time zone.
    """
    from babel.dates import format_date as babel_date
    from babel.dates import format_datetime as babel_datetime

    check_language(language)
    if isinstance(value, dt.datetime):
        pattern = _ISO_DATETIME if format == "iso" else format
        return babel_datetime(value, pattern, tzinfo=value.tzinfo, locale=language)
    return babel_date(value, _ISO_DATE if format == "iso" else format, locale=language)


def format_moment(
    value: dt.datetime | str, language: str, timezone: str | dt.tzinfo | None = None
) -> str:
    """Return the moment `value` for people reading `language`, to the minute: CLDR's medium
    date and short time joined as the language joins them ("Dec 2, 2026, 7:37 PM",
    "2 груд. 2026 р., 19:37").

    `value` is a datetime or an ISO 8601 string; a naive one is taken as UTC. It is shown in
    `timezone` (an IANA name such as ``"Europe/Kyiv"``, or a tzinfo) when given (a session's
    times are in the session's zone), else in its own zone.
    """
    import zoneinfo

    from babel import Locale
    from babel.dates import format_date as babel_date
    from babel.dates import format_time as babel_time

    check_language(language)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if timezone is not None:
        zone = zoneinfo.ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        value = value.astimezone(zone)
    date = babel_date(value.date(), "medium", locale=language)
    time = babel_time(value, "short", tzinfo=value.tzinfo, locale=language)
    pattern = Locale.parse(language).datetime_formats["medium"]
    return pattern.replace("{1}", date).replace("{0}", time)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _iso_catalogue(domain: str, language: str) -> _gettext.NullTranslations:
    """pycountry's catalogue of ISO names (``iso3166-1``, ``iso639-3``) in `language`."""
    if language == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


@lru_cache(maxsize=4096)
def country_name(code: str, language: str = "en") -> str:
    """Return the short name of the country `code` (ISO 3166-1 alpha-2, any case) in
    `language`: ISO 3166's common name where it has one, else its name, translated by
    pycountry's ISO 3166 catalogue (the short name's translation first, then the full name's);
    the code itself if unknown.

    The one country name of every output: reasons, reports, exports and pages.
    """
    check_language(language)
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    if country is None:
        return code
    short = getattr(country, "common_name", None) or country.name
    if language == SOURCE_LANGUAGE:
        return short
    names = _iso_catalogue("iso3166-1", language)
    for name in (short, country.name):
        translated = names.gettext(name)
        if translated != name:
            return translated
    return short


@lru_cache(maxsize=1024)
def language_name(code: str, language: str = "en") -> str:
    """Return the name of the language `code` (ISO 639-1, any case) in `language`: ISO 639's
    name ("Ukrainian"), translated by pycountry's ISO 639 catalogue ("українська"; lower
    case, as Ukrainian writes it inside a sentence); the code itself if unknown."""
    check_language(language)
    found = pycountry.languages.get(alpha_2=code.lower()) if code else None
    if found is None:
        return code
    return _iso_catalogue("iso639-3", language).gettext(found.name)


#: The words of the potential tiers (:func:`matcher.profiles.potential_tier`): their one
#: definition, for the reasons, the insights and the reports.
TIER_WORDS = {
    "low": NP_("potential tier", "low"),
    "medium": NP_("potential tier", "medium"),
    "high": NP_("potential tier", "high"),
}


def tier_name(tier: str, language: str) -> str:
    """Return the word of the potential tier `tier` (low, medium, high) in `language`; an
    unknown tier as it is."""
    words = catalogue(language)
    message = TIER_WORDS.get(tier)
    return words.translate(message) if message else tier


#: Display names of networks, by network id and language: ``{"kharkiv-fashion-cluster":
#: {"en": "Kharkiv Fashion Cluster", "uk": "Харківський фешн-кластер"}}``.
NetworkNames = Mapping[str, Mapping[str, str]]


def readable_network_id(network_id: str) -> str:
    """Return a network id (a slug) as words: ``"kharkiv-fashion-cluster"`` → ``"Kharkiv
    Fashion Cluster"``; the name of a network nobody has named."""
    words = network_id.replace("_", "-").split("-")
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or network_id


def network_name(network_id: str, language: str, names: NetworkNames | None = None) -> str:
    """Return the display name of the network `network_id` in `language`.

    The one network name of every output a person reads (reasons, reports, exports, pages),
    where ids stay in the machine outputs: `names` ``[network_id][language]`` when given, else
    its English name, else the id as words (:func:`readable_network_id`).
    """
    check_language(language)
    given = (names or {}).get(network_id) or {}
    return given.get(language) or given.get(SOURCE_LANGUAGE) or readable_network_id(network_id)


# ---------------------------------------------------------------------------------------------
# Maintenance: extract, update, compile (python -m matcher.i18n ...)
# ---------------------------------------------------------------------------------------------


class CatalogueFiles(NamedTuple):
    """The files of one gettext domain and the commands that keep them in step: the ``.po``
    sources and compiled ``.mo`` of each translated language under `locale_dir`, and the source
    tree below `root` whose messages Babel extracts (with `mapping_file`, a ``babel.cfg``, or
    `method_map`). The library's are :data:`LIBRARY_FILES`; the pages have their own."""

    domain: str
    locale_dir: Callable[[], Path]
    root: Path
    languages: tuple[str, ...]
    command: str
    mapping_file: str | None = None
    method_map: tuple[tuple[str, str], ...] = ()

    def path(self, language: str, suffix: str = ".mo") -> Path:
        """The file of `language`'s catalogue (``.mo`` compiled, ``.po`` source)."""
        return self.locale_dir() / language / "LC_MESSAGES" / f"{self.domain}{suffix}"

    def extract(self, root: str | Path | None = None) -> Catalog:
        """Return every message of the source, extracted by Babel (a template catalogue:
        ids, contexts and plurals, no translations)."""
        from babel.messages.catalog import Catalog
        from babel.messages.extract import extract_from_dir
        from babel.messages.frontend import parse_mapping_cfg

        root = Path(root) if root is not None else self.root
        method_map, options_map = list(self.method_map), {}
        if self.mapping_file:
            with open(root / self.mapping_file, encoding="utf-8") as handle:
                method_map, options_map = parse_mapping_cfg(handle)
        template = Catalog(project=self.domain, fuzzy=False)
        for filename, lineno, message, comments, context in extract_from_dir(
            root,
            method_map,
            options_map,
            keywords=EXTRACT_KEYWORDS,
            comment_tags=(COMMENT_TAG,),
            strip_comment_tags=True,
        ):
            template.add(
                message,
                None,
                [(filename.replace("\\", "/"), lineno)],
                auto_comments=comments,
                context=context,
            )
        return template

    def read(self, language: str) -> Catalog:
        """Return the source catalogue (``.po``) of `language`."""
        from babel.messages.pofile import read_po

        with self.path(language, ".po").open("rb") as handle:
            return read_po(handle, locale=language, domain=self.domain)

    def compile(self, language: str) -> bytes:
        """Return the ``.mo`` that `language`'s ``.po`` compiles to (fuzzy entries left out)."""
        import io

        from babel.messages.mofile import write_mo

        buffer = io.BytesIO()
        write_mo(buffer, self.read(language), use_fuzzy=False)
        return buffer.getvalue()

    def main(self, argv: list[str] | None = None) -> int:
        """``update`` (merge the extracted messages into each ``.po``) or ``compile``."""
        import sys

        from babel.messages.pofile import write_po

        args = sys.argv[1:] if argv is None else argv
        command = args[0] if args else ""
        if command == "compile":
            for language in self.languages:
                self.path(language).write_bytes(self.compile(language))
                print(f"wrote {self.path(language)}")
            return 0
        if command == "update":
            template = self.extract()
            for language in self.languages:
                catalog = self.read(language)
                catalog.update(template, update_header_comment=False, update_creation_date=False)
                catalog.obsolete.clear()
                with self.path(language, ".po").open("wb") as handle:
                    # No line numbers in the locations: they would change with every edit.
                    write_po(handle, catalog, width=100, sort_output=False, include_lineno=False)
                missing = [m.id for m in catalog if m.id and (m.fuzzy or not all(_strings(m)))]
                print(f"updated {self.path(language, '.po')}: {len(missing)} to translate")
            return 0
        print(f"usage: {self.command} update|compile", file=sys.stderr)
        return 2


def _strings(message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (list, tuple)) else (string,)


#: The library's catalogue files (``python -m matcher.i18n update|compile``).
LIBRARY_FILES = CatalogueFiles(
    DOMAIN,
    _locale_dir,
    Path(__file__).resolve().parent.parent,
    tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE),
    "python -m matcher.i18n",
    mapping_file="babel.cfg",
)
extract_messages = LIBRARY_FILES.extract
read_catalogue = LIBRARY_FILES.read
compile_catalogue = LIBRARY_FILES.compile


if __name__ == "__main__":
    raise SystemExit(LIBRARY_FILES.main())
