"""Markets: where the home members sell and want to sell, and who could open each market."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..i18n import country_name
from ..profiles import (
    HOME_NETWORK,
    Link,
    Profile,
    frame_to_profiles,
    profiles_to_frame,
)
from .common import _home, _jsonable, _positive_pairs, competes, complements

__all__ = ["MarketOverview", "market_overview"]


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
