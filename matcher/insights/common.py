"""What the insights share: labels of capabilities, types and tiers in English and Ukrainian,
small helpers (the home members, JSON-ready values, record tables), and the engine as the
insights use it (fitted on the fly when none is given). The definitions of every figure are in
:mod:`matcher.insights.cluster`."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import InputError
from ..i18n import country_name, tier_name
from ..profiles import (
    POSITIVE_KINDS,
    Link,
    Profile,
    frame_to_profiles,
)
from ..taxonomy import load_taxonomy

__all__ = [
    "CAPABILITY_STATUSES",
    "LANGUAGES",
    "OUTCOME_COLUMNS",
    "OUTCOME_FLAGS",
    "POTENTIAL_TIERS",
    "competes",
    "complements",
    "labels",
]


logger = logging.getLogger(__name__)


#: Languages that every label is given in: the library's (:data:`matcher.i18n.LANGUAGES`).
LANGUAGES = i18n.LANGUAGES
#: Potential tiers, lowest first (see :func:`matcher.profiles.potential_tier`).
POTENTIAL_TIERS = ("low", "medium", "high")
#: Statuses of a capability in the home cluster's supply and demand.
CAPABILITY_STATUSES = ("gap", "shortage", "balanced", "surplus")
#: Columns of an outcomes table, one row per suggestion prepared for a matchmaking session.
#: ``session`` (text), ``date`` (ISO 8601), ``member_id`` and ``partner_id`` (profile ids) are
#: required; the flags are optional columns of yes/no cells (1/0, true/false, yes/no, так/ні):
#: ``shown`` (the suggestion was shown to the member; an empty cell or a missing column means
#: yes), ``accepted`` (the member asked to meet), ``meeting_held``, ``deal`` (an empty cell or
#: a missing column means no).
OUTCOME_COLUMNS = (
    "session",
    "date",
    "member_id",
    "partner_id",
    "shown",
    "accepted",
    "meeting_held",
    "deal",
)
OUTCOME_FLAGS = ("shown", "accepted", "meeting_held", "deal")
_REQUIRED_OUTCOME_COLUMNS = ("session", "date", "member_id", "partner_id")
_YES = {"1", "true", "yes", "y", "так", "да", "x"}
_NO = {"0", "false", "no", "n", "ні", "нет"}


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


def labels(vocabulary: str, tag: str) -> dict[str, str]:
    """Return ``{"en": ..., "uk": ...}``: the labels of `tag` of a taxonomy `vocabulary`.

    ``vocabulary`` may also be ``"potential_tier"`` (low, medium, high) or ``"country"``
    (ISO 3166-1 alpha-2 codes).
    """
    if vocabulary == "country":
        return {language: country_name(tag, language) for language in LANGUAGES}
    if vocabulary == "potential_tier":
        return {language: tier_name(tag, language) for language in LANGUAGES}
    taxonomy = load_taxonomy()
    return {language: taxonomy.label(vocabulary, tag, language) for language in LANGUAGES}


def _jsonable(value: Any) -> Any:
    """Return `value` with numpy scalars, tuples, sets and NaN turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 4)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(record) for record in frame.to_dict("records")]


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _offers(frame: pd.DataFrame) -> pd.Series:
    """Offered capabilities of every row: the given tags, else those read from the text."""
    return _given_or_found(frame, "offers")


def _seeks(frame: pd.DataFrame) -> pd.Series:
    return _given_or_found(frame, "seeks")


def _given_or_found(frame: pd.DataFrame, column: str) -> pd.Series:
    values = [
        tuple(given) or tuple(found) for given, found in zip(frame[column], frame[f"text_{column}"])
    ]
    return pd.Series(values, index=frame.index, dtype=object)


def _home(frame: pd.DataFrame, home_network: str) -> pd.DataFrame:
    """Return the rows of the home network; an InputError names the networks when it has none."""
    home = frame[frame["network"] == home_network]
    if home.empty:
        networks = ", ".join(sorted(set(frame["network"]))[:20])
        raise InputError(
            f"no members of the home network {home_network!r} among the profiles; "
            f"their networks are: {networks}"
        )
    return home


def _positive_pairs(
    links: Iterable[Link], ids: set[str] | None = None
) -> list[tuple[str, str, str]]:
    """Known partnerships as (source, target, kind), both ends among `ids` when given."""
    return [
        (link.source, link.target, link.kind)
        for link in links
        if link.kind in POSITIVE_KINDS
        and (ids is None or (link.source in ids and link.target in ids))
    ]


def competes(a: Profile, b: Profile) -> bool:
    """Return whether `a` and `b` are likely competitors.

    They compete when they have the same org_type, offer at least one capability in common and
    work on a common product line (or either gives none): the same role selling the same thing.
    Members that do not compete can share a stand or an export channel.
    """
    if a.org_type != b.org_type:
        return False
    if not set(a.all_offers) & set(b.all_offers):
        return False
    products_a, products_b = set(a.all_products), set(b.all_products)
    return not (products_a and products_b) or bool(products_a & products_b)


def complements(a: Profile, b: Profile) -> bool:
    """Return whether `a` and `b` complement each other.

    They do when they work on a common product line (the same buyers, at a shared stand) or
    one offers a capability the other seeks.
    """
    if set(a.all_products) & set(b.all_products):
        return True
    return bool(set(a.all_offers) & set(b.all_seeks) or set(b.all_offers) & set(a.all_seeks))


# ---------------------------------------------------------------------------------------------
# The engine, as the insights use it
# ---------------------------------------------------------------------------------------------


class _Engine:
    """A fitted matcher seen through the current profile frame.

    Members missing from the matcher's profiles (a model trained on an older file) are queried
    as new profiles; organisations the matcher knows but the frame no longer holds are never
    suggested.
    """

    def __init__(self, matcher, frame: pd.DataFrame):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(matcher, "scorer_")
        if getattr(matcher, "explore", 0.0):
            # The figures read the ranking itself: no places given to exploration.
            matcher = copy.copy(matcher)
            matcher.explore = 0.0
        self.matcher = matcher
        self.frame = frame
        known = matcher.frame_["member_id"]
        self.absent = frozenset(known[~known.isin(frame.index)])
        self._profiles: dict[str, Profile] = {}

    def query(self, member_id: str) -> str | Profile:
        if member_id in self.matcher.position_:
            return member_id
        if member_id not in self._profiles:
            self._profiles[member_id] = frame_to_profiles(self.frame.loc[[member_id]])[0]
        return self._profiles[member_id]

    def recommend(
        self,
        member_id: str,
        k: int,
        scope: str = "all",
        exclude: Iterable[str] = (),
        language: str = "en",
        network_names: Mapping[str, Mapping[str, str]] | None = None,
    ):
        return self.matcher.recommend(
            self.query(member_id),
            k=k,
            scope=scope,
            exclude=self.absent | set(exclude),
            language=language,
            network_names=network_names,
        )

    def recommend_many(
        self,
        member_ids: Sequence[str],
        k: int,
        scope: str = "all",
        exclude: Iterable[str] = (),
        language: str = "en",
        network_names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> list:
        """:meth:`recommend` for every one of `member_ids` at once (one list each, in order):
        the engine scores a block of members in one pass, far faster than one by one."""
        if not member_ids:
            return []
        return self.matcher.recommend_many(
            [self.query(member_id) for member_id in member_ids],
            k=k,
            scope=scope,
            exclude=self.absent | set(exclude),
            language=language,
            network_names=network_names,
        )

    def explain_pairs(
        self,
        pairs: Sequence[tuple[str, str]],
        language: str = "en",
        network_names: Mapping[str, Mapping[str, str]] | None = None,
    ) -> list:
        """The engine's suggestion (score, reasons in `language`) of each (member, partner)."""
        return self.matcher.explain_pairs(
            [(self.query(member_id), partner_id) for member_id, partner_id in pairs],
            language=language,
            network_names=network_names,
        )


def _fit_engine(frame: pd.DataFrame, links: Sequence[Link], matcher, random_state: int) -> _Engine:
    if matcher is None:
        from ..engine.ranking import PartnerMatcher

        known = set(frame.index)
        usable = [l for l in links if l.source in known and l.target in known]
        matcher = PartnerMatcher(random_state=random_state).fit(frame, usable)
    return _Engine(matcher, frame)
