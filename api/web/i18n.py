"""The manager pages' i18n glue: their language, their messages through Flask-Babel, markup.

The pages' words are English source strings translated by the gettext catalogue of the pages'
domain, ``api/translations/<language>/LC_MESSAGES/messages.po`` (edited by hand) and its
compiled ``messages.mo`` (committed beside it, shipped as package data: the same choice and the
same tests as the library's :mod:`matcher.i18n`, see there), loaded by Flask-Babel. The locale
is the page's language (:func:`current_language`: the session's choice, else the browser's, else
English). Numbers, shares, dates, country and language names and the potential tiers' words are
the library's (:mod:`matcher.i18n`), one set for every output; taxonomy labels come from
:func:`matcher.taxonomy.load_taxonomy`.

* Python: ``_("Signed in as {name}.", name=...)``, ``pgettext(context, message)``,
  ``ngettext(singular, plural, n, ...)`` and ``npgettext(context, singular, plural, n, ...)``
  (the form agreeing with `n`; ``{n}`` is filled in with `n` as the language writes numbers)
  return plain text, which templates escape; :func:`word` translates a message looked up by key in :data:`KEYED` (the
  words chosen by a value: roles, states, conflicts, error titles...).
* Templates get the same names from :func:`template_functions`, returning markup: messages are
  trusted text and may hold ``<code>``; the parameters are escaped.

After changing a message in ``api/web/`` or ``api/templates/web/``::

    python -m api.web.i18n update    # extract (METHOD_MAP) and merge into every .po
    # ...translate the new or changed entries of the .po (remove their "fuzzy" flag)...
    python -m api.web.i18n compile   # write the .mo beside each .po

``tests/api/test_web_i18n.py`` checks that the committed ``.mo`` is the compiled ``.po`` and
that every extracted message is translated, not fuzzy, with the same placeholders.
"""

from __future__ import annotations

import datetime as dt
import operator
from pathlib import Path
from typing import TYPE_CHECKING

from flask import request, session
from markupsafe import Markup

from matcher import geography
from matcher.engine.strength import strength_name
from matcher.filters import FILTER_FIELDS, FilterProblem
from matcher.i18n import (
    N_,
    NP_,
    CatalogueFiles,
    Message,
    country_name,
    format_date,
    format_number,
    format_share,
    language_name,
    tier_name,
)
from matcher.i18n import format_moment as library_format_moment
from matcher.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "KEYED",
    "LANGUAGES",
    "NP_",
    "N_",
    "_",
    "country_name",
    "current_language",
    "filter_problem",
    "format_date",
    "format_moment",
    "format_number",
    "format_share",
    "init_babel",
    "language_name",
    "markup",
    "ngettext",
    "npgettext",
    "pgettext",
    "template_functions",
    "tier_name",
    "word",
]

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"
#: The gettext domain of the pages' catalogues (Flask-Babel's default).
DOMAIN = "messages"
#: The pages' catalogues: ``<language>/LC_MESSAGES/messages.po`` and ``.mo``.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
#: Babel's extraction mapping for the pages (``babel.cfg`` is the library's, with its own domain).
METHOD_MAP = [
    ("api/web/**.py", "python"),
    ("api/templates/web/**.html", "jinja2.ext:babel_extract"),
    ("api/templates/my/**.html", "jinja2.ext:babel_extract"),
]
ROOT = Path(__file__).resolve().parents[2]

#: The words chosen by a value (``word("role." + role)``), marked for extraction here.
KEYED: dict[str, str | Message] = {
    "sessions.field.name": N_("Name"),
    "sessions.field.date": N_("Date"),
    "sessions.field.place": N_("Place"),
    "sessions.field.timezone": N_("Time zone"),
    "sessions.field.start": N_("Start"),
    "sessions.field.end": N_("End"),
    "sessions.field.breaks": N_("Breaks"),
    "sessions.field.meeting_minutes": N_("Meeting, min"),
    "sessions.field.gap_minutes": N_("Between slots, min"),
    "sessions.field.tables": N_("Tables"),
    "sessions.field.slots": N_("Or the slots' start times"),
    "sessions.field.network": N_("Run by the network"),
    "sessions.field.networks": N_("Who may take part"),
    "sessions.field.member_ids": N_("Listed members (ids)"),
    "sessions.field.pair_rules": N_("Who may meet whom"),
    "sessions.field.state": N_("Agenda"),
    "role.member": N_("member"),
    "role.manager": N_("manager"),
    "role.admin": N_("administrator"),
    "filter.noun.org_type": N_("an org_type"),
    "filter.noun.partnership_type": N_("a partnership type"),
    "filter.noun.certification": N_("a certification"),
    "filter.field.country": N_("Country"),
    "filter.field.org_type": N_("Type of activity"),
    "filter.field.partnership_type": N_("Partnership type"),
    "filter.field.certification": N_("Certification"),
    "scope.all": N_("All networks"),
    "scope.cluster": N_("Own network"),
    "scope.international": N_("Other networks"),
    # The dashboard's feedback figures (matcher.insights.outcomes.count_feedback).
    "event.shown": N_("Suggestions shown"),
    "event.accepted": N_("Accepted"),
    "event.declined": N_("Declined"),
    "event.meeting": N_("Meetings held (one per pair)"),
    "event.deal": N_("Deals (one per pair)"),
    "event.saved": N_("Saved for later"),
    "event.undeclined": N_("Decline undone"),
    "error.400": N_("Bad request"),
    "error.401": N_("Not signed in"),
    "error.403": N_("Access denied"),
    "error.404": N_("Not found"),
    "error.405": N_("Method not allowed"),
    "error.413": N_("The request is too large"),
    "error.429": N_("Too many requests; wait a minute and try again."),
    "error.500": N_("Something went wrong"),
    "error.503": N_("Not available yet"),
    "error.other": N_("Error {status}"),
    "error.logged": N_("The error has been logged; please tell the administrator."),
    "sessions.rule.buyers_with_suppliers": N_("Only buyers with suppliers"),
    "sessions.rule.different_networks": N_("No two members of the same network"),
    "sessions.state.preliminary": N_("preliminary"),
    "sessions.state.final": N_("final"),
    "sessions.refused_409": N_("The change was refused (nothing was changed):"),
    "sessions.refused_422": N_("The input has problems (nothing was changed):"),
    "wish.must": N_("Must meet"),
    "wish.would": N_("Would meet"),
    "wish.no": N_("No thanks"),
    "wish.none": N_("Clear"),
    "sessions.build_status.optimal": N_("optimal"),
    "sessions.build_status.feasible": N_("feasible (time limit)"),
    "sessions.build_status.greedy": N_("greedy"),
    "sessions.edited.move": N_("Meeting moved."),
    "sessions.edited.swap": N_("Meetings swapped."),
    "sessions.edited.cancel": N_("Meeting cancelled."),
    "sessions.edited.add": N_("Meeting added."),
    "sessions.edited.lock": N_("Meeting locked."),
    "sessions.edited.unlock": N_("Meeting unlocked."),
    "sessions.outcome.planned": N_("— not recorded —"),
    "sessions.outcome.not_held": N_("Did not take place"),
    "sessions.outcome.held": N_("Held"),
    "sessions.outcome.follow_up": N_("Held: follow-up agreed"),
    "sessions.outcome.deal": N_("Held: a deal"),
    "conflict.unknown_participant": N_("Unknown participant"),
    "conflict.bad_slot": N_("No such slot"),
    "conflict.bad_table": N_("No such table"),
    "conflict.duplicate_pair": N_("The pair meets twice"),
    "conflict.double_booking": N_("Double booking"),
    "conflict.unavailable": N_("Not available then"),
    "conflict.over_capacity": N_("More meetings than tables"),
    "conflict.table_clash": N_("Two meetings at one table"),
    "conflict.vetoed": N_("Vetoed (“no thanks”)"),
    "conflict.not_allowed": N_("Against the session's rules"),
    "conflict.over_max": N_("Above the maximum"),
    "conflict.under_min": N_("Below the minimum"),
    "conflict.withdrawn": N_("A participant withdrew"),
    "dashboard.meetings_requested": N_("Meetings requested"),
    "dashboard.meetings_accepted": N_("Accepted (on an agenda)"),
    "dashboard.meetings_held": NP_("dashboard.meetings_held", "Held"),
}


def current_language() -> str:
    """The pages' language: the session's choice, else the browser's, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def init_babel(app: Flask) -> None:
    """Translate the pages through Flask-Babel, in the page's language (its templates get their
    functions from :func:`template_functions`, so Jinja's own i18n set-up is left alone)."""
    from flask_babel import Babel

    Babel(
        app,
        configure_jinja=False,
        locale_selector=current_language,
        default_locale=DEFAULT_LANGUAGE,
        default_domain=DOMAIN,
        default_translation_directories=str(TRANSLATIONS),
    )


def refresh_language() -> None:
    """Forget the locale Flask-Babel chose for this request (after the language changed)."""
    from flask_babel import refresh

    refresh()


def _translations():
    from flask_babel import get_translations

    return get_translations()


def _fill(text: str, params: dict[str, object]) -> str:
    return text.format(**params) if params else text


def _(message: str | Message, /, **params: object) -> str:
    """Return `message` (English, or marked with :func:`NP_`) in the page's language, with
    `params` filled in."""
    if isinstance(message, Message):
        return pgettext(message.context, message.msgid, **params)
    return _fill(_translations().gettext(message) if message else message, params)


def pgettext(context: str, message: str, /, **params: object) -> str:
    """Return `message` of `context` in the page's language, with `params` filled in."""
    return _fill(_translations().pgettext(context, message), params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """Return the form of the message for the number `n` in the page's language, with ``{n}``
    (`n`) and `params` filled in."""
    n = operator.index(n)
    # {n} as the language writes numbers ("2 150" in Ukrainian), the form chosen by n itself.
    return (
        _translations()
        .ngettext(singular, plural, n)
        .format(n=format_number(n, current_language()), **params)
    )


def npgettext(context: str, singular: str, plural: str, n: int, /, **params: object) -> str:
    """:func:`ngettext` for a message of `context` (which tells two uses of one English word
    apart)."""
    n = operator.index(n)
    return (
        _translations()
        .npgettext(context, singular, plural, n)
        .format(n=format_number(n, current_language()), **params)
    )


def word(key: str, /, **params: object) -> str:
    """Return the message of :data:`KEYED` named `key` in the page's language."""
    return _(KEYED[key], **params)


def markup(text: str, /, **params: object) -> Markup:
    """Return a translated message (trusted text, may hold ``<code>``) as markup, with `params`
    escaped."""
    return Markup(text).format(**params) if params else Markup(text)


def format_moment(
    moment: dt.datetime | str | None, language: str, timezone: str | None = None
) -> str:
    """A moment as the pages show it: the library's :func:`matcher.i18n.format_moment` (the
    language's date and time, to the minute), in `timezone` (a session's zone, which its page
    names) or else in UTC, said so; "—" if missing; a naive datetime is taken as UTC (the
    database's)."""
    if moment is None or moment == "":
        return "—"
    if timezone:
        return library_format_moment(moment, language, timezone)
    return library_format_moment(moment, language, dt.UTC) + " UTC"


def template_functions(language: str) -> dict[str, object]:
    """The message functions and formats of the pages' templates (markup, parameters escaped)."""

    def as_markup(function):
        def translate(*args, **params):
            escaped = {name: Markup.escape(value) for name, value in params.items()}
            return Markup(function(*args, **escaped))

        return translate

    return {
        "_": as_markup(_),
        "pgettext": as_markup(pgettext),
        "ngettext": as_markup(ngettext),
        "npgettext": as_markup(npgettext),
        "word": as_markup(word),
        "N_": N_,
        "NP_": NP_,
        "country_name": lambda code: country_name(code, language),
        "language_name": lambda code: language_name(code, language),
        "tier_name": lambda tier: tier_name(tier, language),
        "strength_name": lambda tier: strength_name(tier, language),
        "decimal": lambda value, digits=2: format_number(value, language, digits),
        "share": lambda value: format_share(value, language),
        # Dates as the language writes them ("Mar 12, 2027", "12 бер. 2027 р.").
        "date": lambda value, format="medium": format_date(value, language, format),
        "moment": lambda value, timezone=None: format_moment(value, language, timezone),
        "number": lambda value: format_number(value, language),
    }


def filter_problem(problem: FilterProblem) -> str:
    """Return the message of a refused filter value in the page's language, the field's name
    first.

    The same words as the API's and the command line's (:func:`matcher.filters.resolve_filters`),
    with the same closest valid value (or the allowed ones), translated.
    """
    vocabulary = FILTER_FIELDS.get(problem.field, "")
    field_key = f"filter.field.{problem.field}"
    field = word(field_key) if field_key in KEYED else problem.field
    noun_key = f"filter.noun.{problem.field}"
    if vocabulary is None:
        guess = geography.suggest_country(problem.value)
        if guess:
            message = _(
                "'{value}' is not an ISO 3166-1 alpha-2 country code; did you mean '{guess}'?",
                value=problem.value,
                guess=guess,
            )
        else:
            message = _(
                "'{value}' is not an ISO 3166-1 alpha-2 country code (two letters, e.g. 'UA', 'PL')",
                value=problem.value,
            )
    elif vocabulary and noun_key in KEYED:
        taxonomy = load_taxonomy()
        noun = word(noun_key)
        guess = taxonomy.closest(vocabulary, problem.value)
        if guess:
            message = _(
                "'{value}' is not {noun}; did you mean '{guess}'?",
                value=problem.value,
                noun=noun,
                guess=guess,
            )
        else:
            allowed = ", ".join(taxonomy.ids(vocabulary))
            message = _(
                "'{value}' is not {noun}; allowed: {allowed}",
                value=problem.value,
                noun=noun,
                allowed=allowed,
            )
    else:
        # A problem these messages don't know (an unknown filter name): the engine's words.
        message = problem.message
    return _("{field}: {message}", field=field, message=message)


# ---------------------------------------------------------------------------------------------
# Maintenance: extract, update, compile (python -m api.web.i18n ...)
# ---------------------------------------------------------------------------------------------


#: The pages' catalogue files (``python -m api.web.i18n update|compile``).
PAGES_FILES = CatalogueFiles(
    DOMAIN,
    lambda: TRANSLATIONS,
    ROOT,
    tuple(language for language in LANGUAGES if language != DEFAULT_LANGUAGE),
    "python -m api.web.i18n",
    method_map=tuple(METHOD_MAP),
)
catalogue_path = PAGES_FILES.path
extract_messages = PAGES_FILES.extract
read_catalogue = PAGES_FILES.read
compile_catalogue = PAGES_FILES.compile


if __name__ == "__main__":
    raise SystemExit(PAGES_FILES.main())
