"""A fitted model as plain arrays, ranked with numpy alone: the one-shot command's fast path.

``matcher recommend --model NAME`` used to unpickle a :class:`~matcher.engine.ranking.PartnerMatcher`
(a scikit-learn estimator holding scikit-learn objects), which imports scikit-learn, scipy,
pandas and numba before the first suggestion: about 2 CPU-seconds for a ranking that takes a
few milliseconds. :func:`write_serving` saves, beside the pickle, what ranking one fitted
member needs as ``.npy`` files (memory-mapped when loaded) and one JSON document; a
:class:`ServingModel` loaded from them answers :meth:`~ServingModel.recommend` with numpy and
the light modules of this package (the profiles, the filters, the reasons), importing none of
those libraries.

The answers are the engine's, to the last bit: the steps are those of
:meth:`PartnerMatcher.recommend_many <matcher.engine.ranking.PartnerMatcher.recommend_many>`
on a model without a candidate stage (every allowed profile re-ranked), and the compiled loops
of the engine have numpy twins here that add the same numbers in the same order
(:func:`pair_features`, :func:`forest_decision`). What depends on numba's reordered sums (the
neighbours' votes of each fitted member) is computed by the engine when the artifact is
written. Tests hold both paths equal on the sample (a member in 8, and a member in 40 with
each scope, filters, k and language) and on a small cluster with each kind of score and with
exploration.

Written only for models this covers: no candidate stage (at most ``exhaustive_below``
profiles), a score given by the compiled trees, the compiled logistic model or the default
weights, and profiles that survive a JSON round trip. Other models have no serving artifact
and are loaded whole.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, UnknownMemberError
from ..filters import resolve_filters
from ..profiles import Profile
from .featurenames import PAIR_FEATURES, PARTNER_EVIDENCE_PRIOR, RECIPROCITY_FLOOR, UNKNOWN_COVER
from .reasons import explain, exploration_reason

if TYPE_CHECKING:
    from .ranking import PartnerMatcher

__all__ = [
    "LANGUAGES",
    "SCOPES",
    "SERVING_FOLDER",
    "ServingModel",
    "Suggestion",
    "forest_decision",
    "pair_features",
    "shortlist",
    "write_serving",
]

#: The folder of a model that holds its serving artifact.
SERVING_FOLDER = "serving"
#: The JSON document of the artifact (inside :data:`SERVING_FOLDER`).
SERVING_DOCUMENT = "serving.json"
#: Bumped when the artifact's layout changes: an artifact of another format is not read.
SERVING_FORMAT = 1

SCOPES = ("all", "cluster", "international")
#: Languages of the reasons.
LANGUAGES = ("en", "uk")

_F = {name: i for i, name in enumerate(PAIR_FEATURES)}
#: Profile fields that hold tuples (lists after a JSON round trip).
_TUPLE_FIELDS = frozenset(f.name for f in fields(Profile) if f.default == ())


@dataclass(frozen=True)
class Suggestion:
    """One suggested partner with its calibrated score and the reasons for it."""

    partner_id: str
    name: str
    network: str
    country: str
    score: float
    reasons: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of ``matcher recommend --format json``."""
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "network": self.network,
            "country": self.country,
            "score": round(self.score, 4),
            "reasons": self.reasons,
            "details": self.details,
        }


def shortlist(
    rows: np.ndarray, k: int, slots: int, exposure: np.ndarray | None, pool_factor: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the ranked `rows` of the `k` to show, and which of them explore (those the
    plain top `k` would not hold): the best ``k - slots``, then the `slots` least shown
    (`exposure`) of the next ``pool_factor * k`` (the better score first among equally shown),
    in their ranked order."""
    head = min(k - slots, len(rows))
    pool = np.arange(head, min(len(rows), k * (1 + pool_factor)))
    if not slots or len(pool) == 0:
        shown = np.arange(min(k, len(rows)))
        return shown, np.zeros(len(shown), dtype=bool)
    # Fewest shown first; among equals the ranked order (the pool is best first).
    picked = np.sort(pool[np.lexsort((pool, exposure[rows[pool]]))[:slots]])
    shown = np.r_[np.arange(head), picked]
    # A partner the plain ranking would have shown anyway is not called an exploration.
    return shown, shown >= k


def explained(
    profile: Profile,
    partners: list[Profile],
    scores: np.ndarray,
    X: np.ndarray,
    language: str,
    network_names: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Suggestion]:
    """The :class:`Suggestion` of each of `partners` (ranked, with their scores and pair
    features `X`) to `profile`, with its reasons in `language`."""
    suggestions = []
    for i, partner in enumerate(partners):
        reasons, details = explain(profile, partner, X[i], language, network_names)
        suggestions.append(
            Suggestion(
                partner.member_id,
                partner.name,
                partner.network,
                partner.country,
                float(scores[i]),
                reasons,
                details,
            )
        )
    return suggestions


def mark_explorations(suggestions: list[Suggestion], explored: np.ndarray, language: str) -> None:
    """Mark the suggestions given exploration places (`explored`, from :func:`shortlist`):
    ``details["exploration"]`` and the reason that says so."""
    for i in np.flatnonzero(explored).tolist():
        suggestions[i].reasons.append(exploration_reason(language))
        suggestions[i].details["exploration"] = True


# ----------------------------------------------------------------------------------------
# The numpy twins of the compiled loops
# ----------------------------------------------------------------------------------------
def _row_features(a: int, J: np.ndarray, arrays: Mapping[str, np.ndarray], X: np.ndarray) -> None:
    """The columns :func:`matcher.engine.pairs._row_features` writes, for row `a` against rows
    `J`, into `X`: the same formulas with the rows as vectors. Weighted sums add their terms
    one column after the other, as the loop does, so every value is the loop's to the bit."""
    w = (arrays["capability_idf"] * arrays["capability_idf"]).astype(np.float64)
    offer_a, need_a = arrays["cap_offer"][a], arrays["cap_need"][a]
    products_a, languages_a = arrays["products"][a], arrays["languages"][a]
    present_a, target_a = arrays["markets_present"][a], arrays["markets_target"][a]
    text_offer_a, text_need_a = arrays["text_offer"][a], arrays["text_need"][a]
    need_total_a = 0.0
    offer_norm_a = 0.0
    for c in range(len(w)):
        need_total_a += float(need_a[c]) * w[c]
        offer_norm_a += float(offer_a[c]) * w[c]
    offer_norm_a = np.sqrt(offer_norm_a)
    # Counts of 0/1 tags: exact in any order.
    n_products_a = float(products_a.sum())
    n_target_a, n_present_a = float(target_a.sum()), float(present_a.sum())
    n_languages_a = float(languages_a.sum())
    certifications_a = float(arrays["certifications"][a])
    volume_a, employees_a = float(arrays["volume"][a]), float(arrays["employees"][a])

    m = len(J)
    offer_b, need_b = arrays["cap_offer"][J], arrays["cap_need"][J]
    covered, need_total_b = np.zeros(m), np.zeros(m)
    covering, offered_both, offer_total_b = np.zeros(m), np.zeros(m), np.zeros(m)
    for c in range(len(w)):
        # A 0/1 tag times the weight is 0 or the weight: the loop's product exactly.
        offer_c, need_c = offer_b[:, c] * w[c], need_b[:, c] * w[c]
        covered += offer_c * float(need_a[c])
        need_total_b += need_c
        covering += need_c * float(offer_a[c])
        offered_both += offer_c * float(offer_a[c])
        offer_total_b += offer_c
    cover_ab = covered / need_total_a if need_total_a > 0 else np.zeros(m)
    known_b = need_total_b > 0
    cover_ba = np.where(known_b, covering / np.maximum(need_total_b, 1e-9), 0.0)
    X[:, 0] = cover_ab
    X[:, 1] = cover_ba
    X[:, 2] = known_b
    smoothed = RECIPROCITY_FLOOR + (1.0 - RECIPROCITY_FLOOR) * np.where(
        known_b, cover_ba, UNKNOWN_COVER
    )
    X[:, 3] = 2 * cover_ab * smoothed / np.maximum(cover_ab + smoothed, 1e-9)

    # The texts: float32 products added in float64, one dimension after the other.
    text_offer_b, text_need_b = arrays["text_offer"][J].T, arrays["text_need"][J].T
    text_ab, text_ba = np.zeros(m), np.zeros(m)
    for d in range(len(text_need_a)):
        text_ab += text_offer_b[d] * text_need_a[d]
        text_ba += text_need_b[d] * text_offer_a[d]
    X[:, 4] = text_ab
    X[:, 5] = text_ba

    products_b = arrays["products"][J]
    n_products_b = products_b.sum(axis=1, dtype=np.float64)
    shared_products = (products_b @ products_a.astype(np.int64)).astype(np.float64)
    both_products = (n_products_a > 0) & (n_products_b > 0)
    X[:, 8] = np.where(both_products, shared_products / max(n_products_a, 1.0), 0.5)
    present_b, target_b = arrays["markets_present"][J], arrays["markets_target"][J]
    opened = (present_b @ target_a.astype(np.int64)).astype(np.float64)
    opening = (target_b @ present_a.astype(np.int64)).astype(np.float64)
    n_target_b = target_b.sum(axis=1, dtype=np.float64)
    shared = (present_b @ present_a.astype(np.int64)).astype(np.float64)
    n_present_b = present_b.sum(axis=1, dtype=np.float64)
    X[:, 9] = opened / n_target_a if n_target_a > 0 else 0.0
    X[:, 10] = np.where(n_target_b > 0, opening / np.maximum(n_target_b, 1.0), 0.0)
    union = n_present_b + n_present_a - shared
    X[:, 11] = np.where(union > 0, shared / np.maximum(union, 1.0), 0.0)
    for column, name in ((12, "country"), (13, "continent"), (14, "city"), (15, "network")):
        code_a = int(arrays[name][a])
        X[:, column] = (code_a >= 0) & (arrays[name][J] == code_a)
    type_a = int(arrays["org_type"][a])
    same_type = ((type_a >= 0) & (arrays["org_type"][J] == type_a)).astype(np.float64)
    X[:, 20] = same_type
    languages_b = arrays["languages"][J]
    n_languages_b = languages_b.sum(axis=1, dtype=np.float64)
    shared_languages = languages_b @ languages_a.astype(np.int64)
    X[:, 16] = np.where(
        (n_languages_a > 0) & (n_languages_b > 0), (shared_languages > 0).astype(np.float64), 0.5
    )
    certifications_b = arrays["certifications"][J].astype(np.float64)
    X[:, 17] = np.minimum(certifications_b / 3.0, 1.0)
    min_order_b = arrays["min_order"][J]
    X[:, 18] = np.where(
        np.isnan(min_order_b) | math.isnan(volume_a),
        0.5,
        (min_order_b <= volume_a).astype(np.float64),
    )
    offer_sim = offered_both / np.maximum(offer_norm_a * np.sqrt(offer_total_b), 1e-9)
    X[:, 19] = offer_sim
    product_sim = np.where(
        both_products, shared_products / np.sqrt(np.maximum(n_products_a * n_products_b, 1.0)), 0.5
    )
    market_sim = np.where(union > 0, shared / np.maximum(union, 1.0), 0.5)
    X[:, 21] = same_type * offer_sim * product_sim * market_sim * (1 - cover_ab)
    X[:, 30] = arrays["potential"][J]
    X[:, 31] = np.abs(np.minimum(certifications_b, 3.0) - min(certifications_a, 3.0)) / 3
    X[:, 32] = _ratios(arrays["volume"][J], volume_a)
    X[:, 33] = _ratios(arrays["employees"][J], employees_a)


def _ratios(values: np.ndarray, reference: float) -> np.ndarray:
    """``log10((value + 1) / (reference + 1))`` clipped to +-3, 0 where either is unknown: the
    loop's ``_ratio``, with the C library's ``log10`` that the compiled loop calls."""
    out = np.zeros(len(values))
    if math.isnan(reference):
        return out
    for i in np.flatnonzero(~np.isnan(values)).tolist():
        ratio = (float(values[i]) + 1.0) / (reference + 1.0)
        out[i] = min(3.0, max(-3.0, math.log10(ratio)))
    return out


def _row_dots(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, J: np.ndarray, a: int
) -> np.ndarray:
    """Dot products of rows `J` of a canonical CSR matrix with its row `a`, each summed in the
    order of the column indices (as :func:`matcher.engine.pairs._row_dots` merges them)."""
    start, end = indptr[a], indptr[a + 1]
    width = int(indices.max()) + 1 if len(indices) else 1
    query = np.zeros(width)
    query[indices[start:end]] = data[start:end]
    starts, counts = indptr[J], indptr[J + 1] - indptr[J]
    out = np.zeros(len(J))
    longest = int(counts.max()) if len(J) else 0
    for t in range(longest):
        has = np.flatnonzero(counts > t)
        position = starts[has] + t
        # A column the query lacks adds 0 * x = 0: the merge skips it; the sum is the same.
        out[has] += data[position] * query[indices[position]]
    return out


def pair_features(
    a: int,
    J: np.ndarray,
    arrays: Mapping[str, np.ndarray],
    partners: np.ndarray,
    votes: tuple[np.ndarray, np.ndarray] | None,
    has_links: bool,
) -> np.ndarray:
    """The pair features of fitted row `a` against fitted rows `J`, shape (len(J),
    len(PAIR_FEATURES)), float32: :func:`matcher.engine.pairs.pair_features` with the view
    scores of :meth:`PartnerMatcher._features_for <matcher.engine.ranking.PartnerMatcher>`,
    from the arrays of a serving artifact (`partners`: the known partners' rows; `votes`:
    the neighbours' votes, ``(rows, votes)``)."""
    J = np.asarray(J, dtype=np.int64)
    m = len(J)
    X = np.zeros((m, len(PAIR_FEATURES)), dtype=np.float32)
    _row_features(a, J, arrays, X)
    offers, needs = arrays["offers"], arrays["needs"]
    X[:, _F["view_ab"]] = offers[J] @ np.asarray(needs[a], np.float32)
    X[:, _F["view_ba"]] = needs[J] @ np.asarray(offers[a], np.float32)
    X[:, _F["name_similarity"]] = _row_dots(
        arrays["names_indptr"], arrays["names_indices"], arrays["names_data"], J, a
    )
    if has_links:
        type_a = arrays["org_type"][a]
        types_b = arrays["org_type"][J]
        if type_a >= 0:
            X[:, _F["type_affinity"]] = np.where(
                types_b >= 0, arrays["type_affinity"][type_a, types_b], 0.0
            )
            offers_b = arrays["cap_offer"][J]
            n_offers = offers_b.sum(axis=1, dtype=np.float32)
            X[:, _F["role_affinity"]] = np.divide(
                offers_b @ arrays["role_affinity"][type_a],
                n_offers,
                out=np.zeros(m, np.float32),
                where=n_offers > 0,
            )
        X[:, _F["degree_b"]] = np.log1p(arrays["degree"][J])
        k = len(partners)
        X[:, _F["degree_a"]] = np.log1p(k)
        if k:
            embedding = arrays["embedding"]
            sims = embedding[J] @ embedding[partners].T
            X[:, _F["partner_similarity"]] = sims.max(axis=1)
            X[:, _F["partner_evidence"]] = X[:, _F["partner_similarity"]] * (
                k / (k + PARTNER_EVIDENCE_PRIOR)
            )
            for name, codes in (
                ("partner_country_share", "country"),
                ("partner_city_share", "city"),
                ("partner_type_share", "org_type"),
            ):
                X[:, _F[name]] = partner_share(arrays[codes][partners], arrays[codes][J])
        X[:, _F["cf_vote"]] = votes_at(votes, J)
    return X


def partner_share(partner_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The share of the query's partners whose code (a country, a city, a type) each of
    `codes` has; 0 for an unknown code (-1), and for all when no partner's code is known."""
    partner_codes = partner_codes[partner_codes >= 0]
    if not len(partner_codes):
        return np.zeros(len(codes), dtype=np.float32)
    values, counts = np.unique(partner_codes, return_counts=True)
    position = np.minimum(np.searchsorted(values, codes), len(values) - 1)
    found = (values[position] == codes) & (codes >= 0)
    return np.where(found, counts[position] / len(partner_codes), 0.0).astype(np.float32)


def votes_at(votes: tuple[np.ndarray, np.ndarray] | None, J: np.ndarray) -> np.ndarray:
    """The neighbour votes (rows ascending, their votes; see
    :func:`~matcher.engine.pairs.cf_votes`) of rows `J`; 0 for rows without one or no votes."""
    out = np.zeros(len(J), dtype=np.float32)
    if votes is not None and len(votes[0]):
        rows, values = votes
        position = np.minimum(np.searchsorted(rows, J), len(rows) - 1)
        found = rows[position] == J
        out[found] = values[position[found]]
    return out


def forest_decision(X: np.ndarray, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The raw score of each calibrated model of a tree ensemble's node tables, shape
    (n_rows, n_models): :meth:`CompiledForest.decision <matcher.engine.forest.CompiledForest>`
    with numpy. Every (row, tree) walks at once, one level a step (the rows that reached a
    leaf drop out); the leaves' values are then added tree after tree, the loop's order."""
    feature, threshold = arrays["forest_feature"], arrays["forest_threshold"]
    missing_left, is_leaf = arrays["forest_missing_left"], arrays["forest_is_leaf"]
    roots, model_of_tree = arrays["forest_roots"], arrays["forest_model_of_tree"]
    # Node i's children at 2i (left) and 2i + 1 (right): one gather a step.
    children = np.column_stack([arrays["forest_left"], arrays["forest_right"]]).ravel()
    m, n_trees, n_features = len(X), len(roots), X.shape[1]
    flat = np.ascontiguousarray(X).ravel()
    node = np.tile(roots, m)
    # The walking pairs, compacted: their index in `node`, their node, their row's offset.
    pair = np.flatnonzero(~is_leaf[node])
    at = node[pair]
    row_offset = (pair // n_trees) * n_features
    while len(pair):
        x = flat[row_offset + feature[at]]
        # Right unless x <= threshold; a missing value goes where the node sends it.
        go_right = ~(x <= threshold[at])
        missing = np.isnan(x)
        if missing.any():
            go_right &= ~(missing & missing_left[at])
        at = children[2 * at + go_right]
        done = is_leaf[at]
        if done.any():
            node[pair[done]] = at[done]
            walking = ~done
            pair, at, row_offset = pair[walking], at[walking], row_offset[walking]
    leaves = arrays["forest_value"][node].reshape(m, n_trees)
    out = np.zeros((m, len(arrays["forest_baseline"])), dtype=np.float64)
    for t, model in enumerate(model_of_tree.tolist()):
        out[:, model] += leaves[:, t]
    return out + arrays["forest_baseline"]


# ----------------------------------------------------------------------------------------
# Writing the artifact (with the engine at hand)
# ----------------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks of 1 MiB (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scorer_arrays(matcher: PartnerMatcher) -> tuple[str, dict[str, np.ndarray]] | None:
    """The score's kind and arrays, as ``PartnerMatcher.predict_scores`` evaluates it, or
    None for a score only scikit-learn evaluates."""
    from .linear import CompiledLogistic
    from .ranking import _DefaultScorer

    forest = getattr(matcher, "forest_", None)
    if forest is not None:
        names = ("feature", "threshold", "left", "right", "missing_left", "is_leaf", "value")
        names += ("roots", "model_of_tree", "baseline", "slope", "intercept")
        arrays = {f"forest_{name}": np.asarray(getattr(forest, name)) for name in names}
        # Flags as booleans, whatever integer type the compiled walk reads them in.
        for name in ("forest_missing_left", "forest_is_leaf"):
            arrays[name] = arrays[name].astype(bool)
        return "forest", arrays
    if matcher.model_kind_ == "gbt":
        return None
    if isinstance(matcher.scorer_, _DefaultScorer):
        return "default", {
            "default_coef": np.asarray(matcher.scorer_.coef_, dtype=np.float64),
            "default_bias": np.array(matcher.scorer_.bias_, dtype=np.float64),
        }
    logistic = CompiledLogistic.from_calibrated(matcher.scorer_)
    if logistic is None:
        return None
    out = {
        "logistic_intercept": logistic.intercept,
        "logistic_slope": logistic.slope,
        "logistic_offset": logistic.offset,
    }
    for k in range(len(logistic.dropped)):
        out[f"logistic_dropped_{k}"] = np.asarray(logistic.dropped[k], dtype=np.int64)
        out[f"logistic_mean_{k}"] = logistic.mean[k]
        out[f"logistic_scale_{k}"] = logistic.scale[k]
        out[f"logistic_coef_{k}"] = logistic.coef[k]
    return "logistic", out


def _csr(lists: list[np.ndarray], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, values) of a list of 1-d arrays."""
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(values) for values in lists])
    values = np.concatenate(lists).astype(dtype) if lists else np.zeros(0, dtype)
    return indptr, values


def serving_content(matcher: PartnerMatcher) -> tuple[dict[str, np.ndarray], dict] | None:
    """The arrays and the JSON document of `matcher`'s serving artifact, or None for a model
    it does not cover (see the module docstring)."""
    if getattr(matcher, "index_", None) is not None:
        return None
    scorer = _scorer_arrays(matcher)
    if scorer is None:
        return None
    kind, scorer_arrays = scorer
    n = matcher.n_profiles_
    profiles = [matcher._profile_at(row) for row in range(n)]
    records = [asdict(profile) for profile in profiles]
    try:
        text = json.dumps(records, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if [_profile_from(record) for record in json.loads(text)] != profiles:
        return None
    source = matcher.arrays_
    arrays = {
        name: np.asarray(getattr(source, name))
        for name in (
            "cap_offer",
            "cap_need",
            "products",
            "markets_present",
            "markets_target",
            "country",
            "continent",
            "city",
            "network",
            "org_type",
            "languages",
            "certifications",
            "min_order",
            "volume",
            "employees",
            "potential",
            "text_offer",
            "text_need",
        )
    }
    names = source.names
    if not names.has_canonical_format:
        return None
    arrays |= {
        "names_indptr": names.indptr,
        "names_indices": names.indices,
        "names_data": names.data,
        "capability_idf": matcher.space_.capability_idf,
        "offers": matcher.offers_,
        "needs": matcher.needs_,
        "embedding": matcher.embedding_,
    }
    stats = matcher.stats_
    arrays |= {
        "partners_indptr": stats.adjacency.indptr.astype(np.int64),
        "partners_rows": stats.adjacency.indices.astype(np.int64),
        "degree": stats.degree,
        "type_affinity": stats.type_affinity,
        "role_affinity": stats.role_affinity,
    }
    declined = [np.array(sorted(matcher.declined_.get(row, ())), np.int64) for row in range(n)]
    arrays["declined_indptr"], arrays["declined_rows"] = _csr(declined, np.int64)
    # Each fitted member's votes as the engine computes them for one recommendation.
    votes_rows, votes_values = [], []
    if stats.n_links:
        for member_id in source.member_ids.tolist():
            [(rows, values)] = matcher._votes([matcher._query(member_id)])
            votes_rows.append(rows)
            votes_values.append(values)
        arrays["votes_indptr"], arrays["votes_rows"] = _csr(votes_rows, np.int64)
        arrays["votes_values"] = _csr(votes_values, np.float32)[1]
    exposure = getattr(matcher, "exposure_", None)
    if exposure is not None:
        arrays["exposure"] = np.asarray(exposure)
    arrays |= scorer_arrays
    from .ranking import PartnerMatcher

    document = {
        "format": SERVING_FORMAT,
        "pair_features": list(PAIR_FEATURES),
        "scorer": kind,
        "has_links": bool(stats.n_links),
        "language": matcher.language,
        "explore": float(getattr(matcher, "explore", 0.0)),
        "exploration_pool": PartnerMatcher.EXPLORATION_POOL,
        "vocabularies": {
            "country": matcher.space_.countries,
            "org_type": matcher.space_.org_types,
            "network": matcher.space_.networks,
        },
        "profiles": records,
    }
    return {name: np.ascontiguousarray(value) for name, value in arrays.items()}, document


def write_serving(matcher: PartnerMatcher, folder: Path) -> dict[str, Any] | None:
    """Write the serving artifact of `matcher` into ``folder/serving/`` and return the
    manifest's entry for it (its format and the SHA-256 of every file), or None (nothing
    written) for a model it does not cover."""
    from ..files import atomic_write_bytes

    content = serving_content(matcher)
    if content is None:
        return None
    arrays, document = content
    target = Path(folder) / SERVING_FOLDER
    files = {}
    for name, value in arrays.items():
        path = target / f"{name}.npy"
        atomic_write_bytes(
            path,
            lambda handle, value=value: np.save(handle, value, allow_pickle=False),
            private=True,
        )
        files[f"{SERVING_FOLDER}/{name}.npy"] = file_sha256(path)
    text = json.dumps(document, ensure_ascii=False).encode("utf-8")
    path = target / SERVING_DOCUMENT
    atomic_write_bytes(path, lambda handle: handle.write(text), private=True)
    files[f"{SERVING_FOLDER}/{SERVING_DOCUMENT}"] = file_sha256(path)
    return {"format": SERVING_FORMAT, "files": files}


def _profile_from(record: Mapping[str, Any]) -> Profile:
    return Profile(
        **{key: tuple(value) if key in _TUPLE_FIELDS else value for key, value in record.items()}
    )


# ----------------------------------------------------------------------------------------
# Serving
# ----------------------------------------------------------------------------------------
class ServingModel:
    """A fitted model read from its serving artifact (see the module docstring): the fitted
    members' :meth:`recommend` without scikit-learn, scipy, pandas or numba.

    Use :meth:`load` (:func:`matcher.engine.artifacts.load_serving` checks the manifest and
    the versions first).

    Attributes
    ----------
    position_ : dict
        The row of each fitted member's id.
    arrays : dict of ndarray
        The artifact's arrays (memory-mapped, read-only).
    """

    def __init__(self, arrays: dict[str, np.ndarray], document: dict[str, Any]):
        self.arrays = arrays
        self.document = document
        self.language = document["language"]
        self.explore = document["explore"]
        self._records = document["profiles"]
        self.position_ = {record["member_id"]: i for i, record in enumerate(self._records)}
        self._profiles: dict[int, Profile] = {}

    @classmethod
    def load(cls, folder: Path, entry: Mapping[str, Any]) -> ServingModel:
        """The artifact listed by manifest `entry` under model `folder`, its files checked
        against their SHA-256; ``ValueError`` naming a file that is missing or differs."""
        if entry.get("format") != SERVING_FORMAT:
            raise ValueError(f"serving format {entry.get('format')!r}, expected {SERVING_FORMAT}")
        arrays, document = {}, None
        for relative, expected in entry["files"].items():
            path = Path(folder) / relative
            if not path.exists():
                raise ValueError(f"{path} is missing")
            if file_sha256(path) != expected:
                raise ValueError(f"{path} does not match its manifest")
            if path.suffix == ".npy":
                # Plain arrays over the memory map: numpy's memmap class adds a Python call
                # to every index.
                arrays[path.stem] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
            else:
                document = json.loads(path.read_text(encoding="utf-8"))
        if document is None or tuple(document.get("pair_features", ())) != PAIR_FEATURES:
            raise ValueError("the serving document is missing or names other pair features")
        return cls(arrays, document)

    def profile_at(self, row: int) -> Profile:
        """The fitted :class:`Profile` of `row` (built when first asked for)."""
        profile = self._profiles.get(row)
        if profile is None:
            profile = self._profiles[row] = _profile_from(self._records[row])
        return profile

    def _row_of(self, member_id: str) -> int:
        row = self.position_.get(member_id)
        if row is None:
            raise UnknownMemberError(
                f"Member {member_id!r} doesn't exist in the fitted profiles.", [member_id]
            )
        return row

    def _rows(self, name: str, row: int) -> np.ndarray:
        indptr = self.arrays[f"{name}_indptr"]
        return np.asarray(self.arrays[f"{name}_rows"][indptr[row] : indptr[row + 1]])

    def _allowed(self, a: int, scope: str, filters: Mapping[str, Any] | None) -> np.ndarray:
        """The rows member `a` may be offered: `filters`, `scope`, never itself, a known
        partner or one it declined (``PartnerMatcher._rank_many``'s mask)."""
        arrays, vocabularies = self.arrays, self.document["vocabularies"]
        mask = np.ones(len(self._records), dtype=bool)
        for key, value in resolve_filters(filters).items():
            values = set(value)
            if key in ("country", "org_type", "network"):
                wanted = [vocabularies[key][v] for v in values if v in vocabularies[key]]
                mask &= np.isin(arrays[key], wanted)
            else:
                column = "partnership_types" if key == "partnership_type" else "certifications"
                mask &= np.array([bool(values & set(r[column])) for r in self._records])
        if scope != "all":
            network = vocabularies["network"].get(self.profile_at(a).network, -2)
            same = arrays["network"] == network
            mask &= same if scope == "cluster" else ~same
        mask[a] = False
        mask[self._rows("partners", a)] = False
        mask[self._rows("declined", a)] = False
        return mask

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        """Calibrated scores in 0..1 of pair-feature rows `X` (``predict_scores``)."""
        arrays, kind = self.arrays, self.document["scorer"]
        if kind == "forest":
            decision = forest_decision(X, arrays)
            slope, intercept = arrays["forest_slope"], arrays["forest_intercept"]
            return (1.0 / (1.0 + np.exp(slope * decision + intercept))).mean(axis=1)
        if kind == "default":
            z = (
                arrays["default_bias"][()]
                + np.asarray(X, dtype=np.float64) @ arrays["default_coef"]
            )
            return 1.0 / (1.0 + np.exp(-z))
        from .linear import CompiledLogistic

        n_models = len(arrays["logistic_intercept"])
        logistic = CompiledLogistic(
            *(
                [np.asarray(arrays[f"logistic_{name}_{k}"]) for k in range(n_models)]
                for name in ("dropped", "mean", "scale", "coef")
            ),
            intercept=arrays["logistic_intercept"],
            slope=arrays["logistic_slope"],
            offset=arrays["logistic_offset"],
            n_features=len(PAIR_FEATURES),
        )
        return logistic.predict_proba(X)[:, 1]

    def recommend(
        self,
        member: str,
        k: int = 10,
        scope: str = "all",
        filters: Mapping[str, Any] | None = None,
        language: str | None = None,
    ) -> list[Suggestion]:
        """The `k` best partners of the fitted `member`, with reasons: what
        :meth:`PartnerMatcher.recommend <matcher.engine.ranking.PartnerMatcher.recommend>`
        answers with these parameters (see there)."""
        if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > 0):
            raise InputError(f"Got k={k!r}, expected a positive integer")
        if language is not None and language not in LANGUAGES:
            raise InputError(
                f"Got language={language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )
        if scope not in SCOPES:
            raise InputError(f"Got scope={scope!r}, expected one of {', '.join(SCOPES)}")
        a = self._row_of(str(member))
        profile = self.profile_at(a)
        exposure = self.arrays.get("exposure")
        slots = 0 if exposure is None else int(self.explore * k)
        J = np.flatnonzero(self._allowed(a, scope, filters))
        votes = None
        if self.document["has_links"]:
            votes = (self._rows("votes", a), self._votes_values(a))
        X = pair_features(
            a, J, self.arrays, self._rows("partners", a), votes, self.document["has_links"]
        )
        scores = self.predict_scores(X) if len(X) else np.zeros(0)
        # Ties (common for coarse calibrated scores) are broken by the reciprocal view score.
        order = np.lexsort((-X[:, _F["view_ab"]], -scores))
        rows, scores, X = J[order], scores[order], X[order]
        shown, explored = shortlist(rows, k, slots, exposure, self.document["exploration_pool"])
        partners = [self.profile_at(int(rows[i])) for i in shown.tolist()]
        suggestions = explained(
            profile, partners, scores[shown], X[shown], language or self.language
        )
        mark_explorations(suggestions, explored, language or self.language)
        return suggestions

    def _votes_values(self, a: int) -> np.ndarray:
        indptr = self.arrays["votes_indptr"]
        return np.asarray(self.arrays["votes_values"][indptr[a] : indptr[a + 1]])
