"""Supply and demand of capabilities in the home cluster: gaps, shortages and surpluses, and
for each gap the partners abroad who offer it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..profiles import (
    HOME_NETWORK,
    Link,
    Profile,
    profiles_to_frame,
)
from ..taxonomy import load_taxonomy
from .common import (
    LANGUAGES,
    _Engine,
    _fit_engine,
    _home,
    _jsonable,
    _offers,
    _seeks,
    labels,
)

__all__ = ["Gap", "GapPartner", "SupplyDemand", "supply_demand"]


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
    network_names: Mapping[str, Mapping[str, str]] | None = None,
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
    network_names : dict, optional
        The networks' display names for the engine's reasons, ``{network: {language: name}}``
        (see :func:`matcher.i18n.network_name`).
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
                engine,
                seekers,
                offering,
                set(abroad.index) - offering,
                frame,
                partners_per_gap,
                k,
                network_names,
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
    network_names: Mapping[str, Mapping[str, str]] | None = None,
) -> list[GapPartner]:
    """The engine's best partners among `offering` for the members `seekers`, aggregated."""
    found: dict[str, dict[str, Any]] = {}
    first, *others = LANGUAGES
    shortlists = engine.recommend_many(
        seekers,
        k,
        scope="international",
        exclude=not_offering,
        language=first,
        network_names=network_names,
    )
    for member_id, shortlist in zip(seekers, shortlists):
        for suggestion in shortlist:
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
                entry["reasons"] = {first: list(suggestion.reasons)}
    ranked = sorted(found.items(), key=lambda item: (-item[1]["total"], -item[1]["best"], item[0]))
    # The other languages' reasons of the partners shown only (the pair explained again, not
    # every seeker ranked again: the same reasons, in a fraction of the time).
    shown = ranked[:n]
    for language in others:
        explained = engine.explain_pairs(
            [(entry["for_member"], partner_id) for partner_id, entry in shown],
            language,
            network_names,
        )
        for (_, entry), suggestion in zip(shown, explained):
            entry["reasons"][language] = list(suggestion.reasons)
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
