"""Partner filters: the values a caller may restrict suggestions by, checked in one place.

The command line, the service's API and its pages all resolve a request's filters here, so a
value means the same everywhere and an unknown one is refused the same way, with the closest
valid value ("'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'?"). Tag
filters accept what profile files accept (an id, a synonym or a label); countries accept what
profile files accept (ISO 3166-1 alpha-2 codes, in any case).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import geography
from .errors import InputError
from .taxonomy import load_taxonomy

__all__ = ["FILTER_FIELDS", "FilterError", "FilterProblem", "resolve_filters"]

#: The filters a suggestion can be restricted by, and the taxonomy vocabulary of each
#: (None: ISO country codes).
FILTER_FIELDS: dict[str, str | None] = {
    "country": None,
    "org_type": "org_types",
    "partnership_type": "partnership_types",
    "certification": "certifications",
}
#: Keys that pass through unchecked: set by the service itself, never typed by a user.
_INTERNAL_FIELDS = ("network",)


@dataclass(frozen=True)
class FilterProblem:
    """One refused filter value: the filter's name, the value given and why it is refused."""

    field: str
    value: str
    message: str


class FilterError(InputError):
    """One or more filter values are unknown; ``problems`` lists each (in the order given)."""

    def __init__(self, problems: list[FilterProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _resolve_country(value: str) -> tuple[str | None, str]:
    code = value.strip().upper()
    if code in geography.country_codes():
        return code, ""
    guess = geography.suggest_country(value)
    hint = f"; did you mean {guess!r}?" if guess else " (two letters, e.g. 'UA', 'PL')"
    return None, f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}"


def resolve_filters(filters: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Return `filters` with every value resolved to its id, and empty filters dropped.

    Parameters
    ----------
    filters : mapping of str to str or iterable of str, optional
        Filter name (one of :data:`FILTER_FIELDS`) to one value or several; a partner passes a
        filter when it matches any of its values, and all filters at once.

    Returns
    -------
    dict of str to list of str
        Each non-empty filter with its values resolved (country codes upper-case, tags as ids),
        duplicates dropped, in the order given.

    Raises
    ------
    FilterError
        Naming every unknown filter name and every value that is not valid, with the closest
        valid value or the allowed ones.
    """
    taxonomy = load_taxonomy()
    resolved: dict[str, list[str]] = {}
    problems: list[FilterProblem] = []
    for key, raw in dict(filters or {}).items():
        values = [v for v in _values(raw) if v.strip()]
        if not values:
            continue
        if key in _INTERNAL_FIELDS:
            resolved[key] = list(dict.fromkeys(values))
            continue
        if key not in FILTER_FIELDS:
            allowed = ", ".join(FILTER_FIELDS)
            problems.append(
                FilterProblem(
                    key, ", ".join(values), f"{key!r} is not a filter; allowed: {allowed}"
                )
            )
            continue
        vocabulary = FILTER_FIELDS[key]
        ids = []
        for value in values:
            if vocabulary is None:
                tag, message = _resolve_country(value)
            else:
                tag = taxonomy.resolve(vocabulary, value)
                message = "" if tag else taxonomy.explain_unknown(vocabulary, value)
            if tag is None:
                problems.append(FilterProblem(key, value, message))
            else:
                ids.append(tag)
        if ids:
            resolved[key] = list(dict.fromkeys(ids))
    if problems:
        raise FilterError(problems)
    return resolved
