"""Words instead of codes (issue 15): on the manager pages, the insights report, the printable
agenda and the refusals, networks are named by their display names and members by their
names, languages and countries by their names in the page's language; numbers, dates and
times are written as the page's language writes them (Ukrainian: decimal commas, no-break
spaces between thousands), and every count agrees with its noun. Ids stay in URLs, form values,
``data-`` attributes and the labelled member-id fields. On the seeded service of
``service_fixtures`` (SQLite and PostgreSQL), with the Flask test client."""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner
from service_fixtures import HOME, POLISH
from sqlalchemy import select
from test_api_insights import computed
from test_web import csrf, sign_in_with_token
from test_web_sessions import create, form_values

from api.db import get_db, get_engine, upgrade
from api.services.networks import network_names, store_network_names
from api.tables import Network
from matcher.i18n import format_number

#: Display names unlike the ids as words ("Kharkiv Fashion Cluster" is also the site's brand).
NAMES = {
    HOME: {"en": "Slobozhansky Fashion Cluster", "uk": "Слобожанський фешн-кластер"},
    POLISH: {"en": "Lodz Textile Network", "uk": "Лодзька текстильна мережа"},
}
#: The seeded networks' slugs and the members' ids that are not ordinary words.
CODES = re.compile(
    r"\b(?:kharkiv-fashion-cluster|polish-fashion-cluster|knit-factory|rival-designer"
    r"|sewing-factory|yarn-supplier|fabric-mill|pl-distributor|pl-knit-factory|text-only)\b"
    r"(?!@)"  # a contact's email address is no id
)
_HIDDEN = re.compile(
    r"<(script|style|svg)\b.*?</\1>"
    # A member's id where it is shown as such: labelled, for finding and importing members.
    r"|<(span|dd)\b[^>]*\bmember-id\b[^>]*>[^<]*</\2>",
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")


def readable(response) -> str:
    """The text a person reads on the page (no tags, attributes, scripts, nor member-id fields)."""
    body = response.get_data(as_text=True)
    # Runs of ASCII white space made one: no-break spaces are part of what is written.
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", body))))


def codes_in(text: str) -> list[str]:
    return sorted(set(CODES.findall(text)))


@pytest.fixture
def named(app):
    """The seeded networks, named in English and Ukrainian."""
    with app.app_context():
        session = get_db()
        store_network_names(session, NAMES)
        session.commit()
    return app


@pytest.fixture
def manager(named, client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    return client


def speak(client, language: str) -> None:
    page = "/manage/members"
    response = client.post(
        "/manage/language",
        data={"csrf_token": csrf(client, page), "lang": language, "next": page},
    )
    assert response.status_code == 302


# ---------------------------------------------------------------------------------------------
# The networks' names: stored, imported, migrated
# ---------------------------------------------------------------------------------------------


def test_networks_are_named_by_a_file_and_unnamed_ones_by_their_id_as_words(
    app, tmp_path, monkeypatch
):
    from matcher.cli import main

    names_file = tmp_path / "networks.csv"
    names_file.write_text(
        "network,name_en,name_uk\n"
        f"{HOME},Slobozhansky Fashion Cluster,Слобожанський фешн-кластер\n"
        "baltic-fashion-network,Baltic Fashion Network,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MATCHER_MODELS_DIR", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["db", "import", "--networks", str(names_file)])
    assert result.exit_code == 0, result.output
    assert "networks: {'created': 1, 'updated': 1, 'unchanged': 0}" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("network,name_en\nNot A Slug,x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["db", "import", "--networks", str(bad)])
    assert result.exit_code == 2 and "row 2, column 'network'" in result.output
    with app.app_context():
        names = network_names(get_db())
    assert names[HOME] == NAMES[HOME]
    assert names["baltic-fashion-network"] == {"en": "Baltic Fashion Network"}
    assert POLISH not in names  # created with its first member: unnamed


def test_the_migration_empties_the_slugs_stored_as_names(app):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, update

    from api.db import MIGRATIONS_DIR

    engine = get_engine(app)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    with engine.connect() as connection:
        assert "name_uk" not in {c["name"] for c in inspect(connection).get_columns("networks")}
        # Before, a network's name was a copy of its slug.
        assert connection.execute(select(Network.name).where(Network.network_id == HOME)).scalar()
    with engine.begin() as connection:
        connection.execute(
            update(Network.__table__).where(Network.network_id == POLISH).values(name="Łódź")
        )
    upgrade(engine)
    with app.app_context():
        assert network_names(get_db()) == {POLISH: {"en": "Łódź"}}


# ---------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "uk"])
def test_pages_name_networks_members_languages_and_write_numbers(manager, language):
    speak(manager, language)
    uk = language == "uk"
    home, polish = NAMES[HOME][language], NAMES[POLISH][language]
    pages = {
        path: readable(manager.get(path))
        for path in (
            "/manage/members",
            "/manage/members/knit-factory",
            "/manage/members/designer/suggestions?k=20",
            "/manage/dashboard",
            "/manage/sessions",
        )
    }
    for path, text in pages.items():
        assert not codes_in(text), (path, codes_in(text))
    members = pages["/manage/members"]
    assert home in members and polish in members
    profile = pages["/manage/members/knit-factory"]
    assert home in profile
    # Languages named in the page's language; numbers as it writes them (5000 a month).
    assert ("українська, російська" if uk else "Ukrainian, Russian") in profile
    assert ("5\u00a0000" if uk else "5,000") in profile
    reasons = pages["/manage/members/designer/suggestions?k=20"]
    if uk:
        assert f"Учасник вашої мережі ({home})" in reasons
        assert f"З іншої мережі: {polish}, Польща" in reasons
        assert "Спільні робочі мови: англійська" in reasons
    else:
        assert f"Member of your network ({home})" in reasons
        assert f"From another network: {polish}, Poland" in reasons
        assert "Shared working languages: English" in reasons
    assert (f"Мережа: {home}" if uk else f"Network: {home}") in pages["/manage/dashboard"]
    assert home in pages["/manage/sessions"]


#: The insights page's figures whose words are counted nouns, in Ukrainian's three forms.
UK_FIGURES = {
    "members": ("учасник мережі", "учасники мережі", "учасників мережі"),
    "unpartnered_members": (
        "учасник без жодного партнера",
        "учасники без жодного партнера",
        "учасників без жодного партнера",
    ),
    "components": (
        "група відомих партнерств",
        "групи відомих партнерств",
        "груп відомих партнерств",
    ),
}


def plural_form(n: int) -> int:
    """Ukrainian's three forms (Babel's rule): 1, 21 → 0; 2-4, 22-24 → 1; else 2."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2


@pytest.mark.parametrize("language", ["en", "uk"])
def test_insights_and_report_name_everyone_and_counts_agree(named, manager, language):
    speak(manager, language)
    page = computed(named, manager, "/manage/insights")
    text = readable(page)
    assert not codes_in(text), codes_in(text)
    home = NAMES[HOME][language]
    assert home in text
    # Each figure's words agree with it ("1 учасник", "3 учасники", "5 учасників").
    figures = re.findall(
        r'data-metric="([a-z_]+)">([^<]+)</span><span class="metric-label">([^<]+)<',
        html.unescape(page.get_data(as_text=True)),
    )
    assert {key for key, *_ in figures} >= set(UK_FIGURES)
    if language == "uk":
        for key, value, label in figures:
            if key in UK_FIGURES:
                assert label == UK_FIGURES[key][plural_form(int(value))], (key, value, label)
    report = readable(manager.get(f"/manage/insights/report.html?language={language}"))
    assert not codes_in(report), codes_in(report)
    assert home in report


# ---------------------------------------------------------------------------------------------
# A session: its pages, a refused edit, the printable agenda
# ---------------------------------------------------------------------------------------------


def test_session_pages_refusals_and_printable_agenda_speak_in_names(manager):
    session_id = create(manager)
    page = f"/manage/sessions/{session_id}"
    for member_id in ("designer", "knit-factory", "yarn-supplier", "pl-distributor"):
        response = manager.post(
            f"{page}/participants", data={**form_values(manager, page), "member_id": member_id}
        )
        assert response.status_code == 302
    for member_id, partner_id in (
        ("designer", "knit-factory"),
        ("pl-distributor", "yarn-supplier"),
    ):
        response = manager.post(
            f"{page}/wishes",
            data={
                **form_values(manager, page),
                "member_id": member_id,
                "partner_id": partner_id,
                "level": "must",
            },
        )
        assert response.status_code == 302
    built = manager.post(f"{page}/build", data={**form_values(manager, page), "time_limit": "5"})
    assert built.status_code == 302
    suggested = manager.post(f"{page}/suggestions", data=form_values(manager, page))
    assert suggested.status_code == 302
    speak(manager, "uk")
    # The engine's reasons kept with the session name the networks too.
    wishes = readable(manager.get(f"{page}/wishes?member=designer"))
    assert f"Учасник вашої мережі ({NAMES[HOME]['uk']})" in wishes
    for path in ("", "/wishes", "/agenda", "/outcomes"):
        text = readable(manager.get(page + path))
        assert not codes_in(text), (path, codes_in(text))
    assert f"{NAMES[HOME]['uk']}" in readable(manager.get(page))
    # A refused edit names the participants, in the page's language: a meeting of Студія
    # Весна with Пряжа Плюс in the slot of its meeting with Харківтрикотаж books it twice.
    agenda = manager.get(f"{page}/agenda").get_data(as_text=True)
    slot = re.search(
        r'<tr data-slot="(\d+)">(?:(?!</tr>).)*data-meeting="designer~knit-factory"',
        agenda,
        re.DOTALL,
    ).group(1)
    refused = manager.post(
        f"{page}/agenda",
        data={
            **form_values(manager, f"{page}/agenda"),
            "action": "add",
            "member_a": "designer",
            "member_b": "yarn-supplier",
            "slot": slot,
        },
    )
    assert refused.status_code == 409
    text = readable(refused)
    assert "Зміну відхилено (нічого не змінено):" in text
    assert re.search(r"Студія Весна має 2 зустрічі у слоті \d+ \(\d\d:\d\d-\d\d:\d\d\): з ", text)
    assert not codes_in(text), codes_in(text)
    # The printable agenda: partners, networks and countries named; the date in words.
    printable = readable(manager.get(f"{page}/export/html"))
    assert not codes_in(printable), codes_in(printable)
    assert f"{NAMES[HOME]['uk']} · Україна" in printable
    assert "8 жовтня 2026" in printable
    # Published: the moment in the session's time zone, as the language writes it.
    published = manager.post(f"{page}/publish", data=form_values(manager, f"{page}/agenda"))
    assert published.status_code == 302
    text = readable(manager.get(f"{page}/agenda"))
    assert re.search(r"Опубліковано як остаточний \d+ [а-яі]+\. \d{4}\u202fр\., \d\d:\d\d\.", text)


def test_counts_on_the_pages_agree_with_their_nouns(named, app):
    """1, 3, 5, 21 and 2150 in Ukrainian, through the pages' ngettext (the form chosen by the
    number, the number written with a no-break space)."""
    from api.web.i18n import ngettext, npgettext

    expected = {1: "учасник", 3: "учасники", 5: "учасників", 21: "учасник", 2150: "учасників"}
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        for n, noun in expected.items():
            assert ngettext("{n} profile", "{n} profiles", n).startswith(format_number(n, "uk"))
            assert npgettext("dashboard figure", "member", "members", n) == noun
            assert ngettext("member of the network", "members of the network", n) == (
                f"{noun} мережі"
            )
