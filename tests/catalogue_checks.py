"""Checks a gettext catalogue must pass, shared by the library's (tests/test_i18n.py) and the
pages' (tests/api/test_web_i18n.py)."""

from __future__ import annotations

import re

#: A value a message fills in: "{items}", "{n}".
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def strings_of(message) -> tuple[str, ...]:
    """The translation of `message`: one string, or one per plural form."""
    string = message.string
    return tuple(string) if isinstance(string, (list, tuple)) else (string,)


def messages_of(catalog) -> dict[tuple, object]:
    """(id, context) -> string of every message but the header."""

    def key(value):
        return tuple(value) if isinstance(value, list) else value

    return {(key(m.id), m.context): key(m.string) for m in catalog if m.id}


def translation_problems(catalog) -> list[str]:
    """Every message that is fuzzy, untranslated, has the wrong number of plural forms, or
    does not fill in the same values (and trusted ``<code>``) as its source."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = strings_of(message)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} plural forms: {message.id!r}")
        ids = message.id if message.pluralizable else (message.id,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != expected:
                problems.append(f"placeholders {expected} in {message.id!r}, not in {string!r}")
            if string.count("<code>") != ids[-1].count("<code>"):
                problems.append(f"<code> in {message.id!r} and {string!r}")
    return problems
