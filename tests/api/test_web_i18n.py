"""The manager pages' catalogue (``api/translations``, Flask-Babel): complete, consistent and
compiled, like the library's (tests/test_i18n.py); plurals and the library's formats on the
pages."""

from __future__ import annotations

import configparser
import fnmatch
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from catalogue_checks import messages_of, translation_problems
from markupsafe import Markup

from api import create_app
from api.web import i18n
from matcher import i18n as library

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalog = i18n.read_catalogue(language)
    assert not catalog.fuzzy, "the catalogue's header is marked fuzzy"
    assert catalog.num_plurals == 3
    problems = translation_problems(catalog)
    assert not catalog.obsolete, list(catalog.obsolete)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(language):
    committed = read_mo(io.BytesIO(i18n.catalogue_path(language).read_bytes()))
    compiled = read_mo(io.BytesIO(i18n.compile_catalogue(language)))
    assert messages_of(committed) == messages_of(compiled), (
        "the committed .mo differs from its .po: run `python -m api.web.i18n compile`"
    )
    assert committed.plural_forms == compiled.plural_forms


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_every_message_of_the_pages_and_no_other(language):
    extracted = i18n.extract_messages(ROOT)
    source = {(m.id, m.context) for m in extracted if m.id}
    catalog = {(m.id, m.context) for m in i18n.read_catalogue(language) if m.id}
    assert len(source) > 350
    missing, stale = source - catalog, catalog - source
    assert not missing, f"not in the catalogue (run `python -m api.web.i18n update`): {missing}"
    assert not stale, f"no longer in the pages (run `python -m api.web.i18n update`): {stale}"
    files = {path for m in extracted for path, _ in m.locations}
    assert "api/web/i18n.py" in files and "api/templates/web/base.html" in files
    # Every word picked by a key is extracted (marked where KEYED defines it).
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted}
    for message in i18n.KEYED.values():
        assert (message if isinstance(message, str) else message.msgid) in ids


def test_the_catalogue_ships_with_the_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = [p.strip() for p in config["options.package_data"]["api"].split(",")]
    install = {
        re.split(r"[<>=\[]", req.strip())[0].lower()
        for req in config["options"]["install_requires"].split()
    }
    assert "flask-babel" in install
    for language in TRANSLATED:
        for suffix in (".mo", ".po"):
            path = i18n.catalogue_path(language, suffix)
            assert path.is_file()
            relative = path.relative_to(ROOT / "api").as_posix()
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


@pytest.fixture(scope="module")
def pages_app(tmp_path_factory):
    directory = tmp_path_factory.mktemp("i18n")
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{directory / 'i18n.sqlite'}",
            "MODELS_DIR": str(directory / "models"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def _in(app, language):
    return app.test_request_context("/manage/", headers={"Accept-Language": language})


@pytest.mark.parametrize(
    "n, partners, en",
    [
        (1, "Партнерів: 1, найкращі спочатку.", "1 partner, best first."),
        (2, "Партнерів: 2, найкращі спочатку.", "2 partners, best first."),
        (5, "Партнерів: 5, найкращі спочатку.", "5 partners, best first."),
        (21, "Партнерів: 21, найкращі спочатку.", "21 partners, best first."),
    ],
)
def test_plurals_through_flask_babel(pages_app, n, partners, en):
    with _in(pages_app, "uk"):
        assert i18n.current_language() == "uk"
        assert i18n.ngettext("{n} partner, best first.", "{n} partners, best first.", n) == (
            partners
        )
        assert i18n._("Sign out") == "Вийти"
        assert i18n.pgettext("login.button", "Sign in") == "Увійти"
        assert i18n._("Sign in") == "Вхід"
        assert i18n.word("role.admin") == "адміністратор"
    with _in(pages_app, "en"):
        assert i18n.ngettext("{n} partner, best first.", "{n} partners, best first.", n) == en


def test_templates_get_markup_with_the_parameters_escaped(pages_app):
    with _in(pages_app, "uk"):
        functions = i18n.template_functions("uk")
        hint = functions["_"](
            "An administrator sets it with <code>matcher users set-password</code>."
        )
        assert isinstance(hint, Markup) and "<code>matcher users set-password</code>" in hint
        done = functions["_"]("Signed in as {name}.", name="<b>x</b>")
        assert done == Markup("Ви увійшли як &lt;b&gt;x&lt;/b&gt;.")
        # Plain text in Python (templates escape it).
        assert i18n._("Signed in as {name}.", name="<b>") == "Ви увійшли як <b>."


def test_the_pages_use_the_librarys_names_and_formats(pages_app):
    assert i18n.country_name is library.country_name
    assert i18n.language_name is library.language_name
    assert i18n.format_share is library.format_share
    assert not hasattr(i18n, "MESSAGES") and not hasattr(i18n, "format_decimal")
    with _in(pages_app, "uk"):
        functions = i18n.template_functions("uk")
        assert functions["share"](0.25) == "25%"  # CLDR's Ukrainian percent: no space
        assert functions["decimal"](1234.5) == "1\u00a0234,50"
        assert functions["country_name"]("MD") == "Молдова"
        assert functions["language_name"]("en") == "англійська"
    with _in(pages_app, "en"):
        functions = i18n.template_functions("en")
        assert functions["share"](0.25) == "25%" and functions["decimal"](0.5, 1) == "0.5"
