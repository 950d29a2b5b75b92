"""The cluster's gradation: members by type of activity, market presence and potential, and
who moved tier, joined or left between two snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..profiles import (
    HOME_NETWORK,
    PRESENCE_TIERS,
    Profile,
    profiles_to_frame,
)
from ..taxonomy import load_taxonomy
from .common import POTENTIAL_TIERS, _home, _jsonable, _records, labels

__all__ = [
    "PRESENCE_TIERS",
    "GradationOverview",
    "SnapshotComparison",
    "compare_snapshots",
    "gradation_overview",
]


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
