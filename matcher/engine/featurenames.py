"""The pair features' names and constants, in a module that imports nothing heavy.

:mod:`matcher.engine.pairs` computes the features (with pandas, scikit-learn and numba at hand);
the reasons (:mod:`matcher.engine.reasons`) and the numpy-only ranking of a serving artifact
(:mod:`matcher.engine.serving`) only need their names and the few constants of their formulas,
without importing those libraries.
"""

from __future__ import annotations

__all__ = ["PAIR_FEATURES", "PARTNER_EVIDENCE_PRIOR", "RECIPROCITY_FLOOR", "UNKNOWN_COVER"]

#: Names of the pair features, in column order.
PAIR_FEATURES = (
    "cover_ab",  # share of A's needs that B offers (idf-weighted)
    "cover_ba",  # share of B's needs that A offers
    "needs_known_b",  # B states what it seeks
    "reciprocity",  # smoothed harmonic mean of the two directions
    "text_ab",  # A's need text against B's offer text (char n-gram cosine)
    "text_ba",  # B's need text against A's offer text
    "view_ab",  # A's need view against B's offer view (all blocks)
    "view_ba",  # B's need view against A's offer view
    "product_overlap",  # share of A's products that B works on
    "market_open_ab",  # share of A's target markets where B is present
    "market_open_ba",  # share of B's target markets where A is present
    "shared_markets",  # Jaccard of present markets
    "same_country",
    "same_continent",
    "same_city",
    "same_network",
    "shared_language",  # 1 shared, 0 none, 0.5 unknown
    "certifications_b",  # B's certifications / 3, capped at 1
    "capacity_fit",  # 1 B's minimum order fits A's volume, 0 it does not, 0.5 unknown
    "offer_similarity",  # cosine of A's and B's offered capabilities
    "same_org_type",
    "competitor",  # same role x same offers x same products x same markets
    "type_affinity",  # how often A's org_type links to B's in known links (log-odds)
    "partner_similarity",  # how much B resembles A's known partners (max cosine)
    "partner_country_share",  # share of A's partners in B's country
    "partner_city_share",  # share of A's partners in B's city
    "partner_type_share",  # share of A's partners of B's org_type
    "cf_vote",  # members like A are linked to B
    "degree_b",  # log(1 + known partners of B)
    "name_similarity",  # char n-gram cosine of the names (same group of companies)
    "potential_b",  # B's potential score
    "certification_gap",  # |A's - B's certifications| / 3 (quality tiers apart)
    "capacity_ratio",  # log10 of B's capacity over A's volume (0 unknown)
    "size_ratio",  # log10 of B's employees over A's (0 unknown)
    "role_affinity",  # how often A's org_type links to firms offering what B offers (log-odds)
    "partner_evidence",  # partner_similarity x k / (k + 3): as much as A's k known partners say
    "degree_a",  # log(1 + known partners of A)
)
#: The number of known partners at which resemblance to them counts half (``partner_evidence``).
PARTNER_EVIDENCE_PRIOR = 3.0

#: Reciprocity (see :mod:`matcher.engine.pairs`): the back cover counts from this floor up...
RECIPROCITY_FLOOR = 0.25
#: ...and a partner that states no needs counts as covered this much.
UNKNOWN_COVER = 0.5
