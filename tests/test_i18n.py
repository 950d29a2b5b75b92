"""The library's one i18n: catalogues, plurals, formats, names, and the committed ``.mo``."""

from __future__ import annotations

import configparser
import datetime as dt
import fnmatch
import io
import zoneinfo
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from catalogue_checks import messages_of, translation_problems

from matcher import geography, i18n
from matcher.errors import InputError
from matcher.insights.common import labels
from matcher.insights.report import COUNTS, TEXT, _Language
from matcher.sessions.exports import LABELS

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]


# ---------------------------------------------------------------------------------------------
# Plurals
# ---------------------------------------------------------------------------------------------


def test_ukrainian_has_three_plural_forms():
    catalog = i18n.read_catalogue("uk")
    assert catalog.num_plurals == 3
    assert "nplurals=3;" in catalog.plural_forms
    plural = i18n.translations("uk").plural
    forms = {n: plural(n) for n in (0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112)}
    assert forms == {
        0: 2,
        1: 0,
        2: 1,
        4: 1,
        5: 2,
        11: 2,
        12: 2,
        14: 2,
        21: 0,
        22: 1,
        25: 2,
        101: 0,
        111: 2,
        112: 2,
    }


@pytest.mark.parametrize(
    "n, sessions, deals",
    [
        (1, "1 сесія", "укладено 1 угоду"),
        (2, "2 сесії", "укладено 2 угоди"),
        (5, "5 сесій", "укладено 5 угод"),
        (11, "11 сесій", "укладено 11 угод"),
        (21, "21 сесія", "укладено 21 угоду"),
        (22, "22 сесії", "укладено 22 угоди"),
    ],
)
def test_ukrainian_plurals_pick_the_right_form(n, sessions, deals):
    words = i18n.catalogue("uk")
    assert words.count(COUNTS["sessions"], n) == sessions
    assert words.count(COUNTS["deals"], n) == deals
    assert i18n.ngettext("{n} session", "{n} sessions", n, "uk").format(n=n) == sessions


def test_english_plurals_and_numpy_counts():
    import numpy as np

    words = i18n.catalogue("en")
    assert [words.count(COUNTS["deals"], n) for n in (0, 1, 2, 21)] == [
        "0 deals",
        "1 deal",
        "2 deals",
        "21 deals",
    ]
    # A count from pandas or numpy is a count too (gettext warns on anything but int).
    assert i18n.catalogue("uk").count(COUNTS["sessions"], np.int64(3)) == "3 сесії"
    with pytest.raises(TypeError):
        words.count(COUNTS["sessions"], 2.5)
    with pytest.raises(TypeError, match="needs a number"):
        words.translate(COUNTS["sessions"])


# ---------------------------------------------------------------------------------------------
# Numbers, shares, dates
# ---------------------------------------------------------------------------------------------


def test_numbers_per_language():
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert i18n.format_number(1234.5, "uk") == "1\u00a0234,5"
    assert i18n.format_number(0.35, "en") == "0.35" and i18n.format_number(0.35, "uk") == "0,35"
    assert i18n.format_number(2, "en", digits=2) == "2.00"
    assert i18n.format_number(0.6, "uk", digits=2) == "0,60"
    assert i18n.format_number(1234567, "uk", digits=0) == "1\u00a0234\u00a0567"


def test_shares_per_language():
    assert i18n.format_share(0.25, "en") == "25%" and i18n.format_share(0.25, "uk") == "25%"
    assert i18n.format_share(1 / 3, "en") == "33%"
    assert i18n.format_share(0.1234, "en", digits=1) == "12.3%"
    assert i18n.format_share(0.1234, "uk", digits=1) == "12,3%"
    assert i18n.format_share(12.5, "en") == "1,250%"
    assert i18n.format_share(None, "uk") == "—" and i18n.format_share(float("nan"), "en") == "—"
    assert i18n.catalogue("uk").format_share(0.5) == "50%"


def test_dates_per_language():
    day = dt.date(2026, 5, 14)
    # "iso", the default, is what the exports and reports show: the same in every language.
    assert i18n.format_date(day, "en") == i18n.format_date(day, "uk") == "2026-05-14"
    assert i18n.format_date(day, "en", "long") == "May 14, 2026"
    assert i18n.format_date(day, "uk", "long") == "14 травня 2026\u202fр."  # narrow no-break
    assert i18n.format_date(day, "uk", "d MMMM") == "14 травня"
    # A datetime is shown in its own time zone, not turned into UTC.
    moment = dt.datetime(2026, 5, 14, 10, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))
    assert i18n.format_date(moment, "uk") == "2026-05-14 10:30"
    assert i18n.format_date(moment, "en", "HH:mm") == "10:30"


# ---------------------------------------------------------------------------------------------
# The catalogue: complete, consistent, compiled
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalog = i18n.read_catalogue(language)
    assert not catalog.fuzzy, "the catalogue's header is marked fuzzy"
    problems = translation_problems(catalog)
    assert not catalog.obsolete, list(catalog.obsolete)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(language):
    """The .mo ships committed (see matcher.i18n): compiling the .po must give its messages."""
    committed = read_mo(io.BytesIO(i18n.catalogue_path(language).read_bytes()))
    compiled = read_mo(io.BytesIO(i18n.compile_catalogue(language)))
    assert messages_of(committed) == messages_of(compiled), (
        "the committed .mo differs from its .po: run `python -m matcher.i18n compile`"
    )
    assert committed.plural_forms == compiled.plural_forms
    assert committed.num_plurals == compiled.num_plurals


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_every_message_of_the_source_and_no_other(language):
    extracted = i18n.extract_messages(ROOT)
    source = {(m.id, m.context) for m in extracted if m.id}
    catalog = {(m.id, m.context) for m in i18n.read_catalogue(language) if m.id}
    assert len(source) > 150  # the reasons, the report, the exports, the tiers, the CLI
    missing, stale = source - catalog, catalog - source
    assert not missing, f"not in the catalogue (run `python -m matcher.i18n update`): {missing}"
    assert not stale, f"no longer in the source (run `python -m matcher.i18n update`): {stale}"
    files = {path for m in extracted for path, _ in m.locations}
    for module in (
        "matcher/engine/reasons.py",
        "matcher/insights/report.py",
        "matcher/sessions/exports.py",
        "matcher/i18n.py",
        "matcher/cli/insights.py",
    ):
        assert module in files


def test_the_catalogue_ships_with_the_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = [p.strip() for p in config["options.package_data"]["matcher"].split(",")]
    install = {
        req.strip().split(">")[0].lower() for req in config["options"]["install_requires"].split()
    }
    assert "babel" in install
    for language in TRANSLATED:
        for suffix in (".mo", ".po"):
            path = i18n.catalogue_path(language, suffix)
            assert path.is_file()
            relative = path.relative_to(ROOT / "matcher").as_posix()
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_keeps_the_words_of_the_former_tables():
    assert TEXT["uk"]["title"] == "Аналітика кластера"
    assert TEXT["uk"]["status"] == "Стан" and LABELS["uk"]["status"] == "Статус"
    assert (
        LABELS["uk"]["must"] == "обов'язково" and LABELS["uk"]["none"] == LABELS["en"]["none"] == ""
    )
    assert set(TEXT["uk"]) == set(TEXT["en"]) and set(LABELS["uk"]) == set(LABELS["en"])
    assert list(TEXT) == list(i18n.LANGUAGES) and TEXT.get("fr") is None
    with pytest.raises(TypeError, match="plural"):
        i18n.Table({"n": COUNTS["sessions"]})


# ---------------------------------------------------------------------------------------------
# Names: one rule
# ---------------------------------------------------------------------------------------------


def test_country_names_are_the_short_name_in_every_language():
    import pycountry

    assert geography.country_name is i18n.country_name
    assert i18n.country_name("MD", "en") == "Moldova"
    assert i18n.country_name("MD", "uk") == "Молдова"  # not "Республіка Молдова"
    assert i18n.country_name("tz", "uk") == "Танзанія"
    assert i18n.country_name("DE", "uk") == "Німеччина"
    assert i18n.country_name("XX", "uk") == "XX" and i18n.country_name("", "en") == ""
    for country in pycountry.countries:
        short = getattr(country, "common_name", None) or country.name
        assert i18n.country_name(country.alpha_2, "en") == short
        assert i18n.country_name(country.alpha_2, "uk"), country
    # The insights' labels and the reasons use the same name.
    assert labels("country", "MD") == {"en": "Moldova", "uk": "Молдова"}


def test_the_reasons_name_countries_and_tiers_by_the_one_rule():
    from matcher.engine.pairs import PAIR_FEATURES
    from matcher.engine.reasons import explain, main_risk
    from matcher.profiles import Profile

    def profile(member_id, country, **values):
        return Profile(member_id, member_id, member_id, country, "manufacturer", **values)

    a = profile("a", "UA", markets_target=("MD",))
    b = profile("b", "MD", markets_present=("MD",), potential_tier="high")
    features = [0.0] * len(PAIR_FEATURES)
    reasons, _ = explain(a, b, features, "uk")
    assert "Присутній на ринках, куди ви прагнете: Молдова" in reasons
    assert "З іншої мережі: B, Молдова" in reasons
    assert any(reason.endswith("; потенціал: високий") for reason in reasons), reasons
    far = profile("far", "US")
    assert main_risk(a, far, {}, "uk")[1] == {"country": i18n.country_name("US", "uk")}


def test_language_names():
    assert i18n.language_name("uk", "en") == "Ukrainian"
    assert i18n.language_name("UK", "uk") == "українська"
    assert i18n.language_name("en", "uk") == "англійська"
    assert i18n.language_name("xx", "en") == "xx"
    # The report's language switch names each language in itself, as a label.
    assert _Language("uk", {}).language_name == "Українська"
    assert _Language("en", {}).language_name == "English"


def test_tier_words_have_one_definition():
    for tier in ("low", "medium", "high"):
        assert labels("potential_tier", tier) == {
            language: i18n.tier_name(tier, language) for language in i18n.LANGUAGES
        }
    assert [i18n.tier_name(t, "uk") for t in ("low", "medium", "high")] == [
        "низький",
        "середній",
        "високий",
    ]
    assert i18n.tier_name("unknown", "uk") == "unknown"
    # No module of the library writes the words by hand any more.
    written = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "matcher").rglob("*.py")
        if "високий" in path.read_text(encoding="utf-8")
    ]
    assert written == []
    note = _Language("uk", {}).gradation_note()
    assert note.endswith("(низький < 0,35 <= середній < 0,6 <= високий).")
    assert _Language("en", {}).gradation_note().endswith("(low < 0.35 <= medium < 0.6 <= high).")


# ---------------------------------------------------------------------------------------------
# Unknown languages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: i18n.check_language("fr"),
        lambda: i18n.translations("fr"),
        lambda: i18n.catalogue("fr"),
        lambda: i18n.gettext("Cluster insights", "fr"),
        lambda: i18n.ngettext("{n} session", "{n} sessions", 2, "fr"),
        lambda: i18n.pgettext("potential tier", "low", "fr"),
        lambda: i18n.format_number(1.5, "fr"),
        lambda: i18n.format_share(0.5, "fr"),
        lambda: i18n.format_date(dt.date(2026, 5, 14), "fr"),
        lambda: i18n.country_name("DE", "fr"),
        lambda: i18n.language_name("de", "fr"),
        lambda: i18n.tier_name("low", "fr"),
        lambda: TEXT["fr"],
        lambda: LABELS["fr"],
    ],
)
def test_an_unknown_language_is_refused_naming_it_and_the_allowed_ones(call):
    with pytest.raises(i18n.UnknownLanguageError) as raised:
        call()
    assert str(raised.value) == "Got language='fr', expected one of en, uk"
    assert isinstance(raised.value, InputError) and isinstance(raised.value, KeyError)


def test_a_language_that_is_not_a_string_is_refused_too():
    with pytest.raises(InputError, match=r"Got language=\['uk'\], expected one of en, uk"):
        i18n.catalogue(["uk"])
    with pytest.raises(InputError, match="Got language=None"):
        i18n.gettext("Cluster insights", None)


# ---------------------------------------------------------------------------------------------
# Words instead of codes, numbers and counts as each language writes them (issue 15)
# ---------------------------------------------------------------------------------------------


def test_a_network_is_named_by_the_names_given_else_by_its_id_as_words():
    names = {"kharkiv-fashion-cluster": {"en": "Kharkiv Fashion Cluster", "uk": "Харківський"}}
    assert i18n.network_name("kharkiv-fashion-cluster", "uk", names) == "Харківський"
    assert i18n.network_name("kharkiv-fashion-cluster", "en", names) == "Kharkiv Fashion Cluster"
    # A language without a name: the English one; a network without any: its id as words.
    only_en = {"pl-net": {"en": "Polish Network"}}
    assert i18n.network_name("pl-net", "uk", only_en) == "Polish Network"
    assert i18n.network_name("baltic_fashion-network", "uk") == "Baltic Fashion Network"
    assert i18n.readable_network_id("kfc") == "Kfc"
    with pytest.raises(InputError, match="language='fr'"):
        i18n.network_name("kfc", "fr")


def test_numbers_and_moments_as_each_language_writes_them():
    assert i18n.format_number(2150, "en") == "2,150"
    assert i18n.format_number(2150, "uk") == "2\u00a0150"  # a no-break space
    assert (
        i18n.format_number(0.58, "uk", 2) == "0,58" and i18n.format_number(0.58, "en", 2) == "0.58"
    )
    published = "2026-12-02T17:37:49+00:00"
    assert i18n.format_moment(published, "en", "Europe/Kyiv") == "Dec 2, 2026, 7:37\u202fPM"
    assert i18n.format_moment(published, "uk", "Europe/Kyiv") == "2 груд. 2026\u202fр., 19:37"
    naive = dt.datetime(2026, 12, 2, 17, 37)  # taken as UTC
    assert i18n.format_moment(naive, "uk", dt.UTC) == "2 груд. 2026\u202fр., 17:37"


@pytest.mark.parametrize(
    "n, members, meetings",
    [
        (1, "1 учасник", "1 зустріч"),
        (3, "3 учасники", "3 зустрічі"),
        (5, "5 учасників", "5 зустрічей"),
        (21, "21 учасник", "21 зустріч"),
        (2150, "2\u00a0150 учасників", "2\u00a0150 зустрічей"),
    ],
)
def test_counts_agree_with_their_nouns_in_ukrainian(n, members, meetings):
    """The report's counts and the agenda's conflicts: one, few and many (gettext plurals), the
    number written as the language writes numbers."""
    from matcher.sessions.agenda import conflict_message
    from matcher.sessions.model import Participant, Session, SessionSettings

    words = i18n.catalogue("uk")
    assert words.count(COUNTS["home_members"], n) == members
    settings = SessionSettings.create(
        name="Day",
        date="2026-05-14",
        timezone="Europe/Kyiv",
        meeting_minutes=25,
        tables=1,
        slots=["10:00"],
    )
    session = Session(settings)
    session.participants["a"] = Participant("a", "Firm A", (1,))
    message = conflict_message(session, "over_max", {"member": "a", "n": n, "limit": 1}, "uk")
    assert message == f"Firm A має {meetings}, більше за свій максимум 1"
