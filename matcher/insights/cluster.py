"""Cluster insights for managers: gradation, supply and demand, markets, network, outcomes.

Every figure is about the **home cluster** (``HOME_NETWORK`` unless told otherwise) and is
computed from a validated profile frame (see :func:`matcher.profiles.validate_profiles`), the
known links and, where the engine is needed, a fitted :class:`~matcher.engine.ranking.PartnerMatcher`
(fitted on the fly when none is given). Each part is a plain dataclass with ``to_dict()``
(JSON-ready: only str, int, float, bool, None, lists and dicts) and ``tables()`` (pandas
frames, one per sheet of the XLSX export); :func:`cluster_insights` computes them all.

Capabilities, org types and market presence tiers carry their labels in English and Ukrainian
from the taxonomy (``{"en": ..., "uk": ...}``), potential tiers theirs from the catalogue
(:func:`matcher.i18n.tier_name`); countries their names from ISO 3166
(:func:`matcher.i18n.country_name`).

Definitions
-----------
Offered and sought capabilities are a profile's given tags, or those read from its description
when it gives none (``Profile.all_offers``, ``Profile.all_seeks``).

* **Supply and demand** of a capability: ``sought`` and ``offered`` count home members; its
  ``status`` is ``gap`` (sought, offered by no home member), ``shortage`` (sought by more members
  than offer it), ``surplus`` (offered by more members than seek it) or ``balanced``.
  ``offered_abroad`` counts the organisations of other networks that offer it. For each gap the
  engine ranks, for every member seeking it, the organisations of other networks that offer it
  (``PartnerMatcher.recommend(scope="international")``); a partner's ``score`` is the sum of its
  scores over the seeking members divided by their number (0 for a member it was not among the
  top ``k`` of), so a partner good for many seekers ranks above one good for a single seeker.
* **Markets**: the cluster's *partners* are the organisations of other networks with a known
  partnership (partner, supplier, deal) with a home member. A target market has **no partner
  yet** when no home member and no partner of the cluster is present there. A home member
  **could open** a market M for another member T when it is present in M, T targets M and is not
  present there, and the two complement each other without competing (see :func:`complements`
  and :func:`competes`): candidates for joint export and shared trade-fair stands, those open to
  ``joint_export`` first.
* **Network**: nodes are the home members and the organisations linked to them; edges are the
  known partnerships touching a home member (``status="known"``) and the engine's top
  suggestions for each home member (``status="suggested"``). Components and betweenness
  (brokers) are computed on the known edges; members without a known partner are listed to
  prioritise at the next matchmaking day, with their best suggestions.
* **Outcomes** of matchmaking sessions: see :data:`OUTCOME_COLUMNS` and :func:`read_outcomes`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .. import i18n
from ..errors import InputError
from ..i18n import country_name, tier_name
from ..profiles import (
    HOME_NETWORK,
    POSITIVE_KINDS,
    PRESENCE_TIERS,
    Link,
    Problem,
    Profile,
    ProfileValidationError,
    frame_to_profiles,
    profiles_to_frame,
    read_table,
)
from ..taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

__all__ = [
    "CAPABILITY_STATUSES",
    "LANGUAGES",
    "OUTCOME_COLUMNS",
    "OUTCOME_FLAGS",
    "POTENTIAL_TIERS",
    "PRESENCE_TIERS",
    "ClusterInsights",
    "Gap",
    "GapPartner",
    "GradationOverview",
    "MarketOverview",
    "NetworkOverview",
    "OutcomeSummary",
    "SnapshotComparison",
    "SupplyDemand",
    "cluster_insights",
    "compare_snapshots",
    "competes",
    "complements",
    "gradation_overview",
    "labels",
    "market_overview",
    "network_overview",
    "read_outcomes",
    "summarise_outcomes",
    "supply_demand",
    "validate_outcomes",
]

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
# Gradation
# ---------------------------------------------------------------------------------------------


@dataclass
class GradationOverview:
    """The home cluster's members by org_type, market presence tier and potential tier.

    Attributes
    ----------
    home_network : str
    members : DataFrame of shape (n_members, 7)
        ``member_id, name, org_type, market_presence, market_presence_derived, potential,
        potential_tier``, by descending potential.
    by_org_type : DataFrame of shape (n_org_types, 11)
        Per org_type present at home: ``org_type, label_en, label_uk, members``, a count per
        market presence tier (``local`` ... ``international``), a count per potential tier
        (``potential_low`` ... ``potential_high``) and ``mean_potential``.
    """

    home_network: str
    members: pd.DataFrame
    by_org_type: pd.DataFrame

    @property
    def presence_counts(self) -> dict[str, int]:
        """Members per market presence tier, lowest tier first."""
        counts = self.members["market_presence"].value_counts()
        return {tier: int(counts.get(tier, 0)) for tier in PRESENCE_TIERS}

    @property
    def potential_counts(self) -> dict[str, int]:
        """Members per potential tier, lowest first."""
        counts = self.members["potential_tier"].value_counts()
        return {tier: int(counts.get(tier, 0)) for tier in POTENTIAL_TIERS}

    def to_dict(self) -> dict[str, Any]:
        """Return the overview as JSON-ready data."""
        return _jsonable(
            {
                "home_network": self.home_network,
                "members": len(self.members),
                "mean_potential": (
                    float(self.members["potential"].mean()) if len(self.members) else None
                ),
                "market_presence": [
                    {"tier": tier, "label": labels("market_presence", tier), "members": n}
                    for tier, n in self.presence_counts.items()
                ],
                "potential_tier": [
                    {"tier": tier, "label": labels("potential_tier", tier), "members": n}
                    for tier, n in self.potential_counts.items()
                ],
                "org_types": [
                    {
                        "org_type": row["org_type"],
                        "label": {"en": row["label_en"], "uk": row["label_uk"]},
                        "members": row["members"],
                        "market_presence": {tier: row[tier] for tier in PRESENCE_TIERS},
                        "potential_tier": {
                            tier: row[f"potential_{tier}"] for tier in POTENTIAL_TIERS
                        },
                        "mean_potential": row["mean_potential"],
                    }
                    for row in self.by_org_type.to_dict("records")
                ],
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{"gradation": by_org_type, "members": members}``."""
        return {"gradation": self.by_org_type, "members": self.members}


def gradation_overview(
    profiles: Sequence[Profile] | pd.DataFrame, home_network: str = HOME_NETWORK
) -> GradationOverview:
    """Count the home cluster's members by org_type, market presence and potential.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
    home_network : str
    """
    home = _home(profiles_to_frame(profiles), home_network)
    members = home[
        [
            "member_id",
            "name",
            "org_type",
            "market_presence",
            "market_presence_derived",
            "potential",
            "potential_tier",
        ]
    ].copy()
    members["potential"] = members["potential"].astype(float).round(3)
    members = members.sort_values(["potential", "member_id"], ascending=[False, True]).reset_index(
        drop=True
    )
    taxonomy = load_taxonomy()
    order = [t for t in taxonomy.ids("org_types") if t in set(members["org_type"])]
    presence = pd.crosstab(members["org_type"], members["market_presence"]).reindex(
        index=order, columns=list(PRESENCE_TIERS), fill_value=0
    )
    potential = pd.crosstab(members["org_type"], members["potential_tier"]).reindex(
        index=order, columns=list(POTENTIAL_TIERS), fill_value=0
    )
    potential.columns = [f"potential_{tier}" for tier in POTENTIAL_TIERS]
    table = pd.concat([presence, potential], axis=1)
    table.insert(0, "members", presence.sum(axis=1))
    mean = members.groupby("org_type")["potential"].mean()
    table["mean_potential"] = mean.reindex(order).round(3)
    table = table.rename_axis("org_type").reset_index()
    table.insert(1, "label_en", [taxonomy.label("org_types", t, "en") for t in table["org_type"]])
    table.insert(2, "label_uk", [taxonomy.label("org_types", t, "uk") for t in table["org_type"]])
    table = table.sort_values(["members", "org_type"], ascending=[False, True]).reset_index(
        drop=True
    )
    return GradationOverview(home_network, members, table)


@dataclass
class SnapshotComparison:
    """How the home cluster changed between an earlier and a later profile snapshot.

    Attributes
    ----------
    changes : DataFrame of shape (n_changes, 6)
        ``member_id, name, dimension, before, after, direction``: one row per member and
        dimension that changed (``market_presence``, ``potential_tier`` or ``org_type``);
        ``direction`` is ``up`` or ``down`` for the ordered tiers, ``changed`` for org_type.
    new_members, gone_members : DataFrame
        ``member_id, name, org_type, market_presence, potential_tier`` of the members only in
        the later, or only in the earlier, snapshot.
    transitions : dict of str to DataFrame
        For ``market_presence`` and ``potential_tier``: members staying in both snapshots,
        counted by tier before (rows) and after (columns).
    """

    home_network: str
    changes: pd.DataFrame
    new_members: pd.DataFrame
    gone_members: pd.DataFrame
    transitions: dict[str, pd.DataFrame]
    n_before: int
    n_after: int

    def counts(self) -> dict[str, dict[str, int]]:
        """Return ``{dimension: {"up": n, "down": n}}`` for the two ordered tiers."""
        out = {}
        for dimension in ("market_presence", "potential_tier"):
            rows = self.changes[self.changes["dimension"] == dimension]
            out[dimension] = {
                "up": int((rows["direction"] == "up").sum()),
                "down": int((rows["direction"] == "down").sum()),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data."""
        return _jsonable(
            {
                "home_network": self.home_network,
                "members_before": self.n_before,
                "members_after": self.n_after,
                "moved": self.counts(),
                "changes": _records(self.changes),
                "new_members": _records(self.new_members),
                "gone_members": _records(self.gone_members),
                "transitions": {
                    name: {"tiers": list(table.index), "counts": table.to_numpy().tolist()}
                    for name, table in self.transitions.items()
                },
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the changes, new and gone members."""
        return {
            "tier_changes": self.changes,
            "new_members": self.new_members,
            "gone_members": self.gone_members,
        }


def compare_snapshots(
    previous: Sequence[Profile] | pd.DataFrame,
    current: Sequence[Profile] | pd.DataFrame,
    home_network: str = HOME_NETWORK,
) -> SnapshotComparison:
    """Compare two snapshots of the profiles: who moved tier up or down, who joined and left.

    Parameters
    ----------
    previous, current : sequence of Profile or validated DataFrame
        The earlier and the later snapshot; members are matched by ``member_id``.
    home_network : str
    """
    before = profiles_to_frame(previous)
    after = profiles_to_frame(current)
    before = before[before["network"] == home_network]
    after = _home(after, home_network)
    columns = ["member_id", "name", "org_type", "market_presence", "potential_tier"]
    new = after.loc[~after.index.isin(before.index), columns]
    new = new.sort_values("member_id").reset_index(drop=True)
    gone = before.loc[~before.index.isin(after.index), columns]
    gone = gone.sort_values("member_id").reset_index(drop=True)
    staying = after.index[after.index.isin(before.index)]
    orders = {"market_presence": PRESENCE_TIERS, "potential_tier": POTENTIAL_TIERS}
    rows = []
    for member_id in sorted(staying):
        for dimension in ("market_presence", "potential_tier", "org_type"):
            old, now = before.at[member_id, dimension], after.at[member_id, dimension]
            if old == now:
                continue
            if dimension in orders:
                order = orders[dimension]
                direction = "up" if order.index(now) > order.index(old) else "down"
            else:
                direction = "changed"
            rows.append(
                {
                    "member_id": member_id,
                    "name": after.at[member_id, "name"],
                    "dimension": dimension,
                    "before": old,
                    "after": now,
                    "direction": direction,
                }
            )
    changes = pd.DataFrame(
        rows, columns=["member_id", "name", "dimension", "before", "after", "direction"]
    )
    transitions = {}
    for dimension, order in orders.items():
        table = pd.crosstab(before.loc[staying, dimension], after.loc[staying, dimension])
        transitions[dimension] = table.reindex(index=list(order), columns=list(order), fill_value=0)
        transitions[dimension].index.name = "before"
        transitions[dimension].columns.name = "after"
    return SnapshotComparison(
        home_network, changes, new, gone, transitions, len(before), len(after)
    )


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
    ):
        return self.matcher.recommend(
            self.query(member_id),
            k=k,
            scope=scope,
            exclude=self.absent | set(exclude),
            language=language,
        )


def _fit_engine(frame: pd.DataFrame, links: Sequence[Link], matcher, random_state: int) -> _Engine:
    if matcher is None:
        from ..engine.ranking import PartnerMatcher

        known = set(frame.index)
        usable = [l for l in links if l.source in known and l.target in known]
        matcher = PartnerMatcher(random_state=random_state).fit(frame, usable)
    return _Engine(matcher, frame)


# ---------------------------------------------------------------------------------------------
# Supply and demand
# ---------------------------------------------------------------------------------------------


@dataclass
class GapPartner:
    """An organisation of another network that offers a capability missing at home.

    ``score`` is its summed score over the members seeking the capability divided by their
    number; ``members`` are the seeking members it is among the top suggestions of; ``reasons``
    are the engine's reasons for the best-scoring of those members (``for_member``), in every
    language of :data:`LANGUAGES`.
    """

    partner_id: str
    name: str
    network: str
    country: str
    org_type: str
    score: float
    best_score: float
    members: list[str]
    for_member: str
    reasons: dict[str, list[str]]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the partner as JSON-ready data."""
        return _jsonable(
            {
                "partner_id": self.partner_id,
                "name": self.name,
                "network": self.network,
                "country": self.country,
                "country_label": labels("country", self.country),
                "org_type": self.org_type,
                "org_type_label": labels("org_types", self.org_type),
                "score": self.score,
                "best_score": self.best_score,
                "members": self.members,
                "for_member": self.for_member,
                "reasons": self.reasons,
                "details": self.details,
            }
        )


@dataclass
class Gap:
    """A capability sought by home members that no home member offers."""

    capability: str
    sought: int
    seekers: list[str]
    offered_abroad: int
    partners: list[GapPartner]

    @property
    def label(self) -> dict[str, str]:
        return labels("capabilities", self.capability)

    def to_dict(self) -> dict[str, Any]:
        """Return the gap as JSON-ready data."""
        return _jsonable(
            {
                "capability": self.capability,
                "label": self.label,
                "sought": self.sought,
                "seekers": self.seekers,
                "offered_abroad": self.offered_abroad,
                "partners": [p.to_dict() for p in self.partners],
            }
        )


@dataclass
class SupplyDemand:
    """Capabilities sought and offered inside the home cluster, its gaps and surpluses.

    Attributes
    ----------
    capabilities : DataFrame of shape (n_capabilities, 9)
        One row per capability sought or offered by some home member: ``capability, label_en,
        label_uk, stage, sought, offered, offered_abroad, balance`` (offered - sought) and
        ``status`` (see :data:`CAPABILITY_STATUSES`); gaps first, then by descending demand.
    gaps : list of Gap
        Most sought first, each with its best partners abroad.
    """

    home_network: str
    capabilities: pd.DataFrame
    gaps: list[Gap]

    @property
    def surpluses(self) -> pd.DataFrame:
        """Rows of :attr:`capabilities` whose status is ``surplus``, largest surplus first."""
        rows = self.capabilities[self.capabilities["status"] == "surplus"]
        rows = rows.sort_values(["balance", "capability"], ascending=[False, True])
        return rows.reset_index(drop=True)

    @property
    def shortages(self) -> pd.DataFrame:
        """Rows of :attr:`capabilities` whose status is ``shortage``, largest shortage first."""
        rows = self.capabilities[self.capabilities["status"] == "shortage"]
        return rows.sort_values(["balance", "capability"]).reset_index(drop=True)

    def gap_partners(self) -> pd.DataFrame:
        """Return one row per gap and suggested partner (the ``gap_partners`` sheet)."""
        rows = []
        for gap in self.gaps:
            for rank, partner in enumerate(gap.partners, 1):
                rows.append(
                    {
                        "capability": gap.capability,
                        "label_en": gap.label["en"],
                        "label_uk": gap.label["uk"],
                        "rank": rank,
                        "partner_id": partner.partner_id,
                        "name": partner.name,
                        "network": partner.network,
                        "country": partner.country,
                        "org_type": partner.org_type,
                        "score": round(partner.score, 4),
                        "best_score": round(partner.best_score, 4),
                        "n_members": len(partner.members),
                        "members": ";".join(partner.members),
                        "for_member": partner.for_member,
                        **{
                            f"reasons_{language}": " | ".join(partner.reasons.get(language, []))
                            for language in LANGUAGES
                        },
                    }
                )
        columns = [
            "capability",
            "label_en",
            "label_uk",
            "rank",
            "partner_id",
            "name",
            "network",
            "country",
            "org_type",
            "score",
            "best_score",
            "n_members",
            "members",
            "for_member",
            *[f"reasons_{language}" for language in LANGUAGES],
        ]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """Return supply and demand as JSON-ready data."""
        items = []
        for row in self.capabilities.to_dict("records"):
            items.append(
                {
                    "capability": row["capability"],
                    "label": {"en": row["label_en"], "uk": row["label_uk"]},
                    "stage": row["stage"],
                    "sought": row["sought"],
                    "offered": row["offered"],
                    "offered_abroad": row["offered_abroad"],
                    "balance": row["balance"],
                    "status": row["status"],
                }
            )
        return _jsonable(
            {
                "home_network": self.home_network,
                "capabilities": items,
                "gaps": [gap.to_dict() for gap in self.gaps],
                "shortages": list(self.shortages["capability"]),
                "surpluses": list(self.surpluses["capability"]),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{"capabilities": ..., "gap_partners": ...}``."""
        return {"capabilities": self.capabilities, "gap_partners": self.gap_partners()}


def _capability_status(sought: int, offered: int) -> str:
    if sought and not offered:
        return "gap"
    if sought > offered:
        return "shortage"
    if offered > sought:
        return "surplus"
    return "balanced"


def supply_demand(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link] = (),
    matcher=None,
    home_network: str = HOME_NETWORK,
    partners_per_gap: int = 5,
    k: int = 10,
    random_state: int = 0,
) -> SupplyDemand:
    """Count supply and demand of capabilities at home and find partners abroad for each gap.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
    links : iterable of Link
        Known links (used only to fit a matcher when none is given).
    matcher : fitted PartnerMatcher, optional
        The engine that ranks partners for the gaps; fitted on `profiles` and `links` when None
        and there is a gap. A matcher fitted on other profiles works too: members it does not
        know are queried as new profiles, and organisations missing from `profiles` are never
        suggested.
    partners_per_gap : int
        Partners kept per gap.
    k : int
        Suggestions asked of the engine for each seeking member.
    """
    for name, value in (("partners_per_gap", partners_per_gap), ("k", k)):
        if not (isinstance(value, (int, np.integer)) and value > 0):
            raise InputError(f"Got {name}={value!r}, expected a positive integer")
    frame = profiles_to_frame(profiles)
    home = _home(frame, home_network)
    abroad = frame[frame["network"] != home_network]
    offers, seeks, offers_abroad = _offers(home), _seeks(home), _offers(abroad)

    def count(lists: pd.Series) -> pd.Series:
        return lists.explode().dropna().value_counts()

    sought, offered, offered_abroad = count(seeks), count(offers), count(offers_abroad)
    taxonomy = load_taxonomy()
    used = [c for c in taxonomy.ids("capabilities") if c in sought.index or c in offered.index]
    table = pd.DataFrame(
        {
            "capability": used,
            "label_en": [taxonomy.label("capabilities", c, "en") for c in used],
            "label_uk": [taxonomy.label("capabilities", c, "uk") for c in used],
            "stage": [taxonomy.term("capabilities", c).stage or "" for c in used],
            "sought": [int(sought.get(c, 0)) for c in used],
            "offered": [int(offered.get(c, 0)) for c in used],
            "offered_abroad": [int(offered_abroad.get(c, 0)) for c in used],
        }
    )
    table["balance"] = table["offered"] - table["sought"]
    table["status"] = [_capability_status(s, o) for s, o in zip(table["sought"], table["offered"])]
    table["_gap"] = table["status"] != "gap"
    table = (
        table.sort_values(["_gap", "sought", "capability"], ascending=[True, False, True])
        .drop(columns="_gap")
        .reset_index(drop=True)
    )

    gaps = []
    gap_rows = table[table["status"] == "gap"]
    engine = _fit_engine(frame, list(links), matcher, random_state) if len(gap_rows) else None
    for row in gap_rows.itertuples(index=False):
        seekers = sorted(m for m, caps in seeks.items() if row.capability in caps)
        offering = {m for m, caps in offers_abroad.items() if row.capability in caps}
        partners = (
            _gap_partners(
                engine, seekers, offering, set(abroad.index) - offering, frame, partners_per_gap, k
            )
            if offering
            else []
        )
        gaps.append(
            Gap(row.capability, int(row.sought), seekers, int(row.offered_abroad), partners)
        )
    return SupplyDemand(home_network, table, gaps)


def _gap_partners(
    engine: _Engine,
    seekers: list[str],
    offering: set[str],
    not_offering: set[str],
    frame: pd.DataFrame,
    n: int,
    k: int,
) -> list[GapPartner]:
    """The engine's best partners among `offering` for the members `seekers`, aggregated."""
    found: dict[str, dict[str, Any]] = {}
    for member_id in seekers:
        by_language = {
            language: engine.recommend(
                member_id, k, scope="international", exclude=not_offering, language=language
            )
            for language in LANGUAGES
        }
        for position, suggestion in enumerate(by_language[LANGUAGES[0]]):
            if suggestion.partner_id not in offering:
                continue
            entry = found.setdefault(
                suggestion.partner_id, {"total": 0.0, "best": -1.0, "members": []}
            )
            entry["total"] += suggestion.score
            entry["members"].append(member_id)
            if suggestion.score > entry["best"]:
                entry["best"] = suggestion.score
                entry["for_member"] = member_id
                entry["details"] = suggestion.details
                entry["reasons"] = {
                    language: list(by_language[language][position].reasons)
                    for language in LANGUAGES
                }
    ranked = sorted(found.items(), key=lambda item: (-item[1]["total"], -item[1]["best"], item[0]))
    partners = []
    for partner_id, entry in ranked[:n]:
        row = frame.loc[partner_id]
        partners.append(
            GapPartner(
                partner_id=partner_id,
                name=row["name"],
                network=row["network"],
                country=row["country"],
                org_type=row["org_type"],
                score=entry["total"] / len(seekers),
                best_score=entry["best"],
                members=sorted(entry["members"]),
                for_member=entry["for_member"],
                reasons=entry["reasons"],
                details=entry["details"],
            )
        )
    return partners


# ---------------------------------------------------------------------------------------------
# Markets
# ---------------------------------------------------------------------------------------------


@dataclass
class MarketOverview:
    """Target markets of the home cluster against where its members and partners are present.

    Attributes
    ----------
    markets : DataFrame of shape (n_markets, 11)
        One row per market that a home member targets or is present in: ``market, name_en,
        name_uk, members_targeting`` (home members that target it and are not present there
        yet), ``home_present, partners_present`` (organisations of other
        networks with a known partnership with a home member), ``international_present`` (all
        organisations of other networks), ``targeting_with_own_partner`` (targeting members
        with a known partner of their own, home or abroad, present there), ``openers`` (home
        members that could open it for a targeting member), ``no_partner`` (targeted, and no
        home member or partner present); most targeted first.
    openers : DataFrame
        ``market, name_en, name_uk, member_id, name, org_type, joint_export, members_helped,
        helped`` (ids, ``;``-separated): home members present in the market that could take
        targeting members along that they complement and do not compete with; per market, those
        open to joint export first, then by how many they could help.
    """

    home_network: str
    markets: pd.DataFrame
    openers: pd.DataFrame

    @property
    def without_partner(self) -> list[str]:
        """Target markets where no home member and no partner of the cluster is present."""
        return list(self.markets.loc[self.markets["no_partner"], "market"])

    @property
    def targets(self) -> pd.DataFrame:
        """Rows of :attr:`markets` that some home member targets."""
        return self.markets[self.markets["members_targeting"] > 0].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Return the market overview as JSON-ready data."""
        markets = []
        for row in self.markets.to_dict("records"):
            markets.append(
                {key: row[key] for key in row if key not in ("name_en", "name_uk")}
                | {"name": {"en": row["name_en"], "uk": row["name_uk"]}}
            )
        openers: dict[str, list[dict[str, Any]]] = {}
        for row in self.openers.to_dict("records"):
            openers.setdefault(row["market"], []).append(
                {
                    "member_id": row["member_id"],
                    "name": row["name"],
                    "org_type": row["org_type"],
                    "joint_export": row["joint_export"],
                    "members_helped": row["members_helped"],
                    "helped": row["helped"].split(";") if row["helped"] else [],
                }
            )
        return _jsonable(
            {
                "home_network": self.home_network,
                "markets": markets,
                "without_partner": self.without_partner,
                "openers": openers,
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{"markets": ..., "market_openers": ...}``."""
        return {"markets": self.markets, "market_openers": self.openers}


def market_overview(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link] = (),
    home_network: str = HOME_NETWORK,
) -> MarketOverview:
    """Compare the markets home members target with where members and partners are present.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
    links : iterable of Link
        Known links; partner, supplier and deal links make partners.
    home_network : str
    """
    frame = profiles_to_frame(profiles)
    home = _home(frame, home_network)
    abroad = frame[frame["network"] != home_network]
    home_ids = set(home.index)
    known = set(frame.index)
    own_partners: dict[str, set[str]] = {}
    for source, target, _ in _positive_pairs(links, known):
        own_partners.setdefault(source, set()).add(target)
        own_partners.setdefault(target, set()).add(source)
    cluster_partners = {p for m in home_ids for p in own_partners.get(m, ()) if p not in home_ids}

    present = {m: set(v) for m, v in frame["markets_present"].items()}
    targeting: dict[str, set[str]] = {}
    for member_id, markets in home["markets_target"].items():
        for market in set(markets) - present[member_id]:
            targeting.setdefault(market, set()).add(member_id)

    def presence(ids: Iterable[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for member_id in ids:
            for market in present[member_id]:
                counts[market] = counts.get(market, 0) + 1
        return counts

    home_present = presence(home_ids)
    partners_present = presence(cluster_partners)
    abroad_present = presence(abroad.index)
    profiles_by_id = {p.member_id: p for p in frame_to_profiles(home)}
    joint_export = {m: "joint_export" in types for m, types in home["partnership_types"].items()}

    opener_rows = []
    for market, members in targeting.items():
        for opener_id in sorted(m for m in home_ids if market in present[m]):
            opener = profiles_by_id[opener_id]
            helped = sorted(
                m
                for m in members
                if m != opener_id
                and complements(opener, profiles_by_id[m])
                and not competes(opener, profiles_by_id[m])
            )
            if helped:
                opener_rows.append(
                    {
                        "market": market,
                        "member_id": opener_id,
                        "name": opener.name,
                        "org_type": opener.org_type,
                        "joint_export": joint_export[opener_id],
                        "members_helped": len(helped),
                        "helped": ";".join(helped),
                    }
                )
    openers = pd.DataFrame(
        opener_rows,
        columns=[
            "market",
            "member_id",
            "name",
            "org_type",
            "joint_export",
            "members_helped",
            "helped",
        ],
    )
    openers_per_market = openers.groupby("market").size() if len(openers) else pd.Series(dtype=int)

    rows = []
    for market in sorted(set(targeting) | set(home_present)):
        members = targeting.get(market, set())
        with_own = sum(
            1 for m in members if any(market in present[p] for p in own_partners.get(m, ()))
        )
        rows.append(
            {
                "market": market,
                "name_en": country_name(market, "en"),
                "name_uk": country_name(market, "uk"),
                "members_targeting": len(members),
                "home_present": home_present.get(market, 0),
                "partners_present": partners_present.get(market, 0),
                "international_present": abroad_present.get(market, 0),
                "targeting_with_own_partner": with_own,
                "openers": int(openers_per_market.get(market, 0)),
                "no_partner": (
                    bool(members)
                    and not home_present.get(market)
                    and not partners_present.get(market)
                ),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "market",
            "name_en",
            "name_uk",
            "members_targeting",
            "home_present",
            "partners_present",
            "international_present",
            "targeting_with_own_partner",
            "openers",
            "no_partner",
        ],
    )
    table = table.sort_values(
        ["members_targeting", "home_present", "market"], ascending=[False, False, True]
    ).reset_index(drop=True)
    if len(openers):
        openers = openers.sort_values(
            ["market", "joint_export", "members_helped", "member_id"],
            ascending=[True, False, False, True],
        )
        rank = {m: i for i, m in enumerate(table["market"])}
        openers = openers.sort_values("market", key=lambda s: s.map(rank), kind="stable")
    openers.insert(1, "name_en", [country_name(m, "en") for m in openers["market"]])
    openers.insert(2, "name_uk", [country_name(m, "uk") for m in openers["market"]])
    return MarketOverview(home_network, table, openers.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


@dataclass
class NetworkOverview:
    """The graph of known and suggested partnerships around the home cluster.

    Attributes
    ----------
    graph : networkx.Graph
        Nodes are member ids with attributes ``name, network, org_type, home`` (bool);
        edges have ``status`` ("known" or "suggested"), ``kind`` (the link kind, known edges)
        and ``score`` (suggested edges).
    components : DataFrame
        ``component, size, home_members, members`` (ids, ``;``-separated) of the graph of
        known partnerships (:meth:`known_graph`), largest first; a member without partners is a
        component of size 1.
    brokers : DataFrame
        ``member_id, name, network, home, degree, betweenness``: the nodes that most often lie
        on the shortest paths between others in the known graph (normalised betweenness > 0).
    unpartnered : DataFrame
        ``member_id, name, org_type, potential, potential_tier, suggestions`` (the best
        suggested partners, ``name (id, score)`` joined by `` | ``): home members without a
        known partner, by descending potential, to prioritise at the next matchmaking day.
    suggestions : dict of str to list of dict
        The engine's suggestions behind the suggested edges, per home member: ``partner_id,
        name, network, country, score``.
    components_with_suggestions : int
        Components of the whole graph, as if every suggestion became a partnership.
    """

    home_network: str
    graph: nx.Graph
    components: pd.DataFrame
    brokers: pd.DataFrame
    unpartnered: pd.DataFrame
    suggestions: dict[str, list[dict[str, Any]]]
    components_with_suggestions: int

    def known_graph(self) -> nx.Graph:
        """Return the graph of known partnerships: home members, the organisations linked to
        them, and the known edges."""
        nodes = [
            n
            for n, d in self.graph.nodes(data=True)
            if d["home"] or any(s == "known" for *_, s in self.graph.edges(n, data="status"))
        ]
        graph = nx.Graph()
        graph.add_nodes_from((n, self.graph.nodes[n]) for n in nodes)
        graph.add_edges_from(
            (a, b, d) for a, b, d in self.graph.edges(data=True) if d["status"] == "known"
        )
        return graph

    def edges(self) -> pd.DataFrame:
        """Return the edge list: ``source, target, status, kind, score``."""
        rows = [
            {
                "source": a,
                "target": b,
                "status": d["status"],
                "kind": d.get("kind", ""),
                "score": d.get("score"),
            }
            for a, b, d in self.graph.edges(data=True)
        ]
        return pd.DataFrame(rows, columns=["source", "target", "status", "kind", "score"])

    @property
    def n_home(self) -> int:
        return sum(1 for _, home in self.graph.nodes(data="home") if home)

    def to_dict(self) -> dict[str, Any]:
        """Return the network overview as JSON-ready data (nodes and edges included)."""
        status = nx.get_edge_attributes(self.graph, "status")
        return _jsonable(
            {
                "home_network": self.home_network,
                "nodes": [{"member_id": n, **d} for n, d in self.graph.nodes(data=True)],
                "edges": _records(self.edges()),
                "home_members": self.n_home,
                "known_edges": sum(1 for s in status.values() if s == "known"),
                "suggested_edges": sum(1 for s in status.values() if s == "suggested"),
                "components": _records(
                    self.components.assign(
                        members=[m.split(";") for m in self.components["members"]]
                    )
                ),
                "components_with_suggestions": self.components_with_suggestions,
                "brokers": _records(self.brokers),
                "unpartnered": [
                    record | {"suggestions": self.suggestions.get(record["member_id"], [])}
                    for record in _records(self.unpartnered)
                ],
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return components, brokers, unpartnered members and the edge list."""
        return {
            "network_components": self.components,
            "brokers": self.brokers,
            "unpartnered": self.unpartnered,
            "network_edges": self.edges(),
        }


def network_overview(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link] = (),
    matcher=None,
    home_network: str = HOME_NETWORK,
    suggestions_per_member: int = 3,
    n_brokers: int = 10,
    random_state: int = 0,
) -> NetworkOverview:
    """Build the graph of known and suggested partnerships of the home cluster.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
    links : iterable of Link
    matcher : fitted PartnerMatcher, optional
        Gives the suggested edges; fitted on `profiles` and `links` when None. With
        ``suggestions_per_member=0`` no engine is used.
    suggestions_per_member : int
        Suggested partners (any network) added for each home member.
    n_brokers : int
        Brokers listed.
    """
    if not (isinstance(suggestions_per_member, (int, np.integer)) and suggestions_per_member >= 0):
        raise InputError(
            f"Got suggestions_per_member={suggestions_per_member!r}, expected an integer >= 0"
        )
    frame = profiles_to_frame(profiles)
    home = _home(frame, home_network)
    home_ids = set(home.index)
    links = list(links)
    graph = nx.Graph()

    def add_node(member_id: str) -> None:
        if member_id not in graph:
            row = frame.loc[member_id]
            graph.add_node(
                member_id,
                name=row["name"],
                network=row["network"],
                org_type=row["org_type"],
                home=member_id in home_ids,
            )

    for member_id in sorted(home_ids):
        add_node(member_id)
    for source, target, kind in _positive_pairs(links, set(frame.index)):
        if source in home_ids or target in home_ids:
            add_node(source)
            add_node(target)
            graph.add_edge(source, target, status="known", kind=kind)

    # Groups and brokers are those of the known partnerships: the graph before suggestions.
    known = graph.copy()
    suggestions: dict[str, list[dict[str, Any]]] = {}
    if suggestions_per_member:
        engine = _fit_engine(frame, links, matcher, random_state)
        for member_id in sorted(home_ids):
            found = engine.recommend(member_id, suggestions_per_member)
            suggestions[member_id] = [
                {
                    "partner_id": s.partner_id,
                    "name": s.name,
                    "network": s.network,
                    "country": s.country,
                    "score": round(s.score, 4),
                }
                for s in found
            ]
            for suggestion in found:
                if graph.has_edge(member_id, suggestion.partner_id):
                    continue
                add_node(suggestion.partner_id)
                graph.add_edge(
                    member_id,
                    suggestion.partner_id,
                    status="suggested",
                    score=round(suggestion.score, 4),
                )

    parts = sorted(nx.connected_components(known), key=lambda c: (-len(c), min(c)))
    components = pd.DataFrame(
        [
            {
                "component": i,
                "size": len(part),
                "home_members": len(part & home_ids),
                "members": ";".join(sorted(part)),
            }
            for i, part in enumerate(parts, 1)
        ],
        columns=["component", "size", "home_members", "members"],
    )

    betweenness = nx.betweenness_centrality(known, normalized=True)
    broker_rows = [
        {
            "member_id": n,
            "name": graph.nodes[n]["name"],
            "network": graph.nodes[n]["network"],
            "home": graph.nodes[n]["home"],
            "degree": known.degree(n),
            "betweenness": round(b, 4),
        }
        for n, b in betweenness.items()
        if b > 0
    ]
    brokers = pd.DataFrame(
        broker_rows, columns=["member_id", "name", "network", "home", "degree", "betweenness"]
    )
    brokers = brokers.sort_values(["betweenness", "member_id"], ascending=[False, True])
    brokers = brokers.head(n_brokers)

    lonely = [m for m in home_ids if known.degree(m) == 0]
    columns = ["member_id", "name", "org_type", "potential", "potential_tier"]
    unpartnered = home.loc[lonely, columns].copy()
    unpartnered["potential"] = unpartnered["potential"].astype(float).round(3)
    unpartnered["suggestions"] = [
        " | ".join(
            f"{s['name']} ({s['partner_id']}, {s['score']:.2f})" for s in suggestions.get(m, [])
        )
        for m in unpartnered["member_id"]
    ]
    unpartnered = unpartnered.sort_values(["potential", "member_id"], ascending=[False, True])

    with_suggestions = nx.number_connected_components(graph)
    return NetworkOverview(
        home_network,
        graph,
        components,
        brokers.reset_index(drop=True),
        unpartnered.reset_index(drop=True),
        suggestions,
        with_suggestions,
    )


# ---------------------------------------------------------------------------------------------
# Matchmaking outcomes
# ---------------------------------------------------------------------------------------------


def read_outcomes(path: str | Path, member_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Read and validate an outcomes file (CSV, XLSX or JSON; see :data:`OUTCOME_COLUMNS`).

    Raises
    ------
    ProfileValidationError
        With every bad row, column and value of the file.
    """
    frame, unit = read_table(path, "outcomes")
    return validate_outcomes(
        frame, member_ids, source=str(path), unit=unit, first_row=2 if unit == "row" else 1
    )


def _flag(cell: str, default: bool) -> bool | None:
    text = cell.strip().casefold()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    try:
        number = float(text)
    except ValueError:
        return None
    return {1.0: True, 0.0: False}.get(number)


def validate_outcomes(
    raw: pd.DataFrame,
    member_ids: Iterable[str] | None = None,
    source: str = "outcomes",
    unit: str = "row",
    first_row: int = 2,
) -> pd.DataFrame:
    """Validate raw outcome rows.

    Parameters
    ----------
    raw : DataFrame of shape (n_rows, n_columns)
        The columns of :data:`OUTCOME_COLUMNS` (``session, date, member_id, partner_id``
        required; the flags optional).
    member_ids : iterable of str, optional
        Known profile ids; rows naming other ids are errors.

    Returns
    -------
    DataFrame of shape (n_rows, 8)
        The columns of :data:`OUTCOME_COLUMNS`; ``date`` as an ISO date string, flags as bool.

    Raises
    ------
    ProfileValidationError
        With every problem found.
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in _REQUIRED_OUTCOME_COLUMNS if c not in raw.columns]
    if missing:
        raise ProfileValidationError(
            [
                Problem(
                    None,
                    c,
                    None,
                    f"required column {c!r} is missing; the columns are "
                    + ", ".join(OUTCOME_COLUMNS),
                )
                for c in missing
            ],
            source,
        )
    unknown_columns = [c for c in raw.columns if c not in OUTCOME_COLUMNS]
    if unknown_columns:
        logger.warning(
            "%s: unknown outcome columns ignored: %s", source, ", ".join(unknown_columns)
        )
    if raw.empty:
        raise ProfileValidationError(
            [Problem(None, None, None, "no outcome rows in the input")], source
        )
    known = set(member_ids) if member_ids is not None else None
    problems: list[Problem] = []

    def add(position: int, column: str, value: Any, message: str) -> None:
        problems.append(Problem(position + first_row, column, value, message, unit))

    def text(value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return ""
        return str(value).strip()

    rows = []
    seen: dict[tuple[str, str, str], int] = {}
    for position, record in enumerate(raw.to_dict("records")):
        row: dict[str, Any] = {}
        session = text(record.get("session"))
        if not session:
            add(position, "session", session, "session is required (a name or id of the session)")
        row["session"] = session
        date = text(record.get("date"))
        if not date:
            add(position, "date", date, "date is required (ISO 8601, YYYY-MM-DD)")
        else:
            try:
                date = pd.Timestamp(date).date().isoformat()
            except (ValueError, TypeError):
                add(position, "date", date, f"{date!r} is not an ISO 8601 date (YYYY-MM-DD)")
        row["date"] = date
        for column in ("member_id", "partner_id"):
            value = text(record.get(column))
            if not value:
                add(position, column, value, f"{column} is required (a profile id)")
            elif known is not None and value not in known:
                add(position, column, value, f"{value!r} is not the id of any profile")
            row[column] = value
        if row["member_id"] and row["member_id"] == row["partner_id"]:
            add(position, "partner_id", row["partner_id"], "partner_id is the member itself")
        for column in OUTCOME_FLAGS:
            cell = text(record.get(column)) if column in raw.columns else ""
            value = _flag(cell, default=column == "shown")
            if value is None:
                add(
                    position,
                    column,
                    cell,
                    f"{cell!r} is not a yes/no flag; use 1 or 0 "
                    "(true/false, yes/no, так/ні are accepted)",
                )
            row[column] = bool(value)
        key = (row["session"], row["member_id"], row["partner_id"])
        if all(key) and key in seen:
            add(
                position,
                "partner_id",
                row["partner_id"],
                f"{row['partner_id']!r} repeats {unit} {seen[key] + first_row} "
                "(same session, member_id and partner_id)",
            )
        seen.setdefault(key, position)
        rows.append(row)
    if problems:
        raise ProfileValidationError(problems, source)
    return pd.DataFrame(rows, columns=list(OUTCOME_COLUMNS))


@dataclass
class OutcomeSummary:
    """What came of the suggestions of matchmaking sessions.

    Attributes
    ----------
    sessions : DataFrame
        One row per session, in date order: ``session, date`` (its first date), ``members``
        (distinct members), ``rows``, the count of each flag (``shown, accepted, meeting_held,
        deal``) and the rates ``accepted_rate, meeting_rate, deal_rate`` (of the shown).
    months : DataFrame
        The same counts per calendar month (``month`` as YYYY-MM), with ``sessions``.
    """

    sessions: pd.DataFrame
    months: pd.DataFrame
    totals: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return _jsonable(
            {
                "totals": self.totals,
                "sessions": _records(self.sessions),
                "months": _records(self.months),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{"outcome_sessions": ..., "outcome_months": ...}``."""
        return {"outcome_sessions": self.sessions, "outcome_months": self.months}


_RATES = (("accepted", "accepted_rate"), ("meeting_held", "meeting_rate"), ("deal", "deal_rate"))


def _rates(table: pd.DataFrame) -> pd.DataFrame:
    shown = table["shown"].where(table["shown"] > 0)
    for flag, rate in _RATES:
        table[rate] = (table[flag] / shown).round(4)
    return table


def summarise_outcomes(outcomes: pd.DataFrame) -> OutcomeSummary:
    """Count shown suggestions, acceptances, meetings and deals per session and per month.

    Parameters
    ----------
    outcomes : DataFrame
        Validated outcome rows (see :func:`validate_outcomes`).
    """
    missing = [c for c in OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise ValueError(
            f"outcomes lack the columns {missing}; validate them with validate_outcomes()"
        )
    data = outcomes.copy()
    for flag in OUTCOME_FLAGS:
        data[flag] = data[flag].astype(bool).astype(int)
    flags = {flag: (flag, "sum") for flag in OUTCOME_FLAGS}
    sessions = (
        data.groupby("session", sort=False)
        .agg(
            date=("date", "min"),
            members=("member_id", "nunique"),
            rows=("member_id", "size"),
            **flags,
        )
        .reset_index()
        .sort_values(["date", "session"])
        .reset_index(drop=True)
    )
    data["month"] = data["date"].str[:7]
    months = (
        data.groupby("month")
        .agg(
            sessions=("session", "nunique"),
            members=("member_id", "nunique"),
            rows=("member_id", "size"),
            **flags,
        )
        .reset_index()
        .sort_values("month")
        .reset_index(drop=True)
    )
    totals = {
        "sessions": int(data["session"].nunique()),
        "rows": len(data),
        **{flag: int(data[flag].sum()) for flag in OUTCOME_FLAGS},
    }
    shown = totals["shown"]
    totals.update(
        {rate: round(totals[flag] / shown, 4) if shown else None for flag, rate in _RATES}
    )
    return OutcomeSummary(_rates(sessions), _rates(months), totals)


# ---------------------------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------------------------


@dataclass
class ClusterInsights:
    """All the insights of one snapshot of the cluster (see :func:`cluster_insights`)."""

    home_network: str
    n_profiles: int
    n_networks: int
    n_links: int
    model_kind: str | None
    gradation: GradationOverview
    supply: SupplyDemand
    markets: MarketOverview
    network: NetworkOverview
    movement: SnapshotComparison | None = None
    outcomes: OutcomeSummary | None = None

    def summary(self) -> dict[str, Any]:
        """Return the headline figures: members, gaps, markets without partner, and so on."""
        return _jsonable(
            {
                "home_network": self.home_network,
                "profiles": self.n_profiles,
                "networks": self.n_networks,
                "links": self.n_links,
                "members": len(self.gradation.members),
                "capabilities_sought": int((self.supply.capabilities["sought"] > 0).sum()),
                "gaps": len(self.supply.gaps),
                "top_gaps": [gap.capability for gap in self.supply.gaps[:5]],
                "shortages": len(self.supply.shortages),
                "surpluses": len(self.supply.surpluses),
                "target_markets": len(self.markets.targets),
                "markets_without_partner": self.markets.without_partner,
                "components": len(self.network.components),
                "unpartnered_members": len(self.network.unpartnered),
                "model": self.model_kind,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return every part as JSON-ready data (``movement`` and ``outcomes`` may be None)."""
        return {
            "summary": self.summary(),
            "gradation": self.gradation.to_dict(),
            "movement": self.movement.to_dict() if self.movement is not None else None,
            "supply_demand": self.supply.to_dict(),
            "markets": self.markets.to_dict(),
            "network": self.network.to_dict(),
            "outcomes": self.outcomes.to_dict() if self.outcomes is not None else None,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every table, by sheet name (at most 31 characters each)."""
        summary = self.summary()
        rows = [
            {
                "figure": key,
                "value": ", ".join(map(str, value)) if isinstance(value, list) else value,
            }
            for key, value in summary.items()
        ]
        tables = {"summary": pd.DataFrame(rows, columns=["figure", "value"])}
        for part in (
            self.gradation,
            self.movement,
            self.supply,
            self.markets,
            self.network,
            self.outcomes,
        ):
            if part is not None:
                tables.update(part.tables())
        return tables


def cluster_insights(
    profiles: Sequence[Profile] | pd.DataFrame,
    links: Iterable[Link] = (),
    *,
    matcher=None,
    previous: Sequence[Profile] | pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    home_network: str = HOME_NETWORK,
    partners_per_gap: int = 5,
    k: int = 10,
    suggestions_per_member: int = 3,
    random_state: int = 0,
) -> ClusterInsights:
    """Compute every insight of the home cluster.

    Parameters
    ----------
    profiles : sequence of Profile or validated DataFrame
        The current snapshot (all networks).
    links : iterable of Link
        Known links; those naming ids outside `profiles` are ignored.
    matcher : fitted PartnerMatcher, optional
        The engine for gap partners and suggested edges. When None, a
        ``PartnerMatcher(random_state=random_state)`` is fitted on `profiles` and `links`.
    previous : sequence of Profile or validated DataFrame, optional
        An earlier snapshot: adds :attr:`ClusterInsights.movement`.
    outcomes : DataFrame, optional
        Validated matchmaking outcomes (:func:`read_outcomes`): adds the outcome summary.
    home_network : str
    partners_per_gap, k : int
        See :func:`supply_demand`.
    suggestions_per_member : int
        See :func:`network_overview`.
    """
    frame = profiles_to_frame(profiles)
    _home(frame, home_network)
    links = list(links)
    engine = _fit_engine(frame, links, matcher, random_state)
    gradation = gradation_overview(frame, home_network)
    supply = supply_demand(
        frame, links, engine.matcher, home_network, partners_per_gap, k, random_state
    )
    markets = market_overview(frame, links, home_network)
    network = network_overview(
        frame,
        links,
        engine.matcher,
        home_network,
        suggestions_per_member,
        random_state=random_state,
    )
    movement = compare_snapshots(previous, frame, home_network) if previous is not None else None
    summary = summarise_outcomes(outcomes) if outcomes is not None else None
    known = set(frame.index)
    n_links = sum(1 for l in links if l.source in known and l.target in known)
    return ClusterInsights(
        home_network,
        len(frame),
        int(frame["network"].nunique()),
        n_links,
        getattr(engine.matcher, "model_kind_", None),
        gradation,
        supply,
        markets,
        network,
        movement,
        summary,
    )
