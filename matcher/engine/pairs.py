"""Pair features: how two profiles complement each other, computed for one member against many.

:class:`PairSpace` turns a validated profile frame into per-profile arrays (tag matrices,
codes, text vectors); :func:`pair_features` compares one query row with many candidate rows;
:class:`LinkStats` holds what known links say about members (their partners, degrees, which
kinds of organisation work together).

Reciprocity
-----------
``cover_ab`` is the share of A's needs that B offers, each need weighted by its rarity
(inverse document frequency, squared as in a dot product of idf-weighted vectors); ``cover_ba``
the share of B's needs that A offers. ``reciprocity`` combines them with a harmonic mean, as
RECON does for reciprocal recommenders, but smoothed so that a supplier who needs nothing A
offers is not zeroed out: ``HM(cover_ab, 0.25 + 0.75 * cover_ba)``, where an unknown
``cover_ba`` (B states no needs) counts as 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from ..taxonomy import load_taxonomy
from ..text import split_many
from .compiled import compiled
from .featurenames import (
    PAIR_FEATURES,
    PARTNER_EVIDENCE_PRIOR,
    RECIPROCITY_FLOOR,
    UNKNOWN_COVER,
)
from .features import TextEncoder, _effective
from .quantized import QuantizedKeys
from .serving import partner_share, votes_at
from .topk import top_k_indices

__all__ = [
    "PAIR_FEATURES",
    "PARTNER_EVIDENCE_PRIOR",
    "RECIPROCITY_FLOOR",
    "UNKNOWN_COVER",
    "LinkStats",
    "PairSpace",
    "ProfileArrays",
    "cf_votes",
    "coverage",
    "first_stage_sum",
    "pair_features",
    "reciprocity",
    "reciprocity_of",
    "split_texts",
    "votes_at",
]

_F = {name: i for i, name in enumerate(PAIR_FEATURES)}


def split_texts(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Each description split into (offer text, need text); see :func:`matcher.text.split_needs`."""
    return split_many(frame["description"].tolist())


def _distinct_tuples(lists) -> tuple[np.ndarray, list[tuple]]:
    """(the code of each tag list, the distinct tag lists as tuples in order of first appearance)."""
    lists = lists.to_numpy(dtype=object) if isinstance(lists, pd.Series) else lists
    if set(map(type, lists)) == {tuple}:
        keys = np.fromiter(lists, dtype=object, count=len(lists))
    else:
        keys = np.fromiter(
            (tags if type(tags) is tuple else tuple(tags) for tags in lists), dtype=object
        )
    codes, distinct = pd.factorize(keys)
    return codes, list(distinct)


def _binary(lists, vocabulary: dict[str, int]) -> np.ndarray:
    """Rows of 0/1 (uint8) over `vocabulary`; each distinct tag tuple is looked up once (profiles
    share few of them) and its row repeated."""
    codes, distinct = _distinct_tuples(lists)
    rows = np.zeros((len(distinct), len(vocabulary)), dtype=np.uint8)
    for i, tags in enumerate(distinct):
        rows[i, [vocabulary[t] for t in tags if t in vocabulary]] = 1
    return rows[codes]


def _codes(values, vocabulary: dict[str, int], key=None) -> np.ndarray:
    """The code in `vocabulary` of each value, or of ``key(value)``; -1 for an empty or unknown
    one. Each distinct value is looked up once (a column of a million rows holds a few dozen)."""
    codes, distinct = pd.factorize(
        values if isinstance(values, pd.Series) else np.asarray(values, dtype=object),
        use_na_sentinel=False,
    )
    keys = list(distinct) if key is None else [key(v) for v in distinct]
    return np.array([vocabulary.get(v, -1) if v else -1 for v in keys], dtype=np.int32)[codes]


def _city_key(city: str) -> str:
    return " ".join(str(city or "").casefold().replace("-", " ").split())


@dataclass
class ProfileArrays:
    """Per-profile arrays of a :class:`PairSpace`; every array has one row per profile."""

    member_ids: np.ndarray
    cap_offer: np.ndarray
    cap_need: np.ndarray
    products: np.ndarray
    markets_present: np.ndarray
    markets_target: np.ndarray
    country: np.ndarray
    continent: np.ndarray
    city: np.ndarray
    network: np.ndarray
    org_type: np.ndarray
    languages: np.ndarray
    certifications: np.ndarray
    min_order: np.ndarray
    volume: np.ndarray
    employees: np.ndarray
    potential: np.ndarray
    text_offer: np.ndarray
    text_need: np.ndarray
    names: sp.csr_matrix

    def __len__(self) -> int:
        return len(self.member_ids)


class PairSpace:
    """Vocabularies and text encoders fitted on a profile frame, shared by every pair feature.

    Parameters
    ----------
    frame : DataFrame
        A validated profile frame (see :func:`matcher.profiles.validate_profiles`).
    """

    #: Dimensions of the dense text space.
    TEXT_DIMENSIONS = 96

    def text_vectors(self, texts: list[str]) -> np.ndarray:
        """Return L2-normalised dense text vectors, shape (len(texts), n_dimensions)."""
        if self.text_svd is None:
            return normalize(
                self.text_encoder.transform(pd.DataFrame({"text": texts})).toarray()
            ).astype(np.float32)
        # In chunks: the sparse TF-IDF of a million documents would not fit in memory. The texts
        # stay Python strings (object dtype): the encoder reads them as such.
        dense = self.text_encoder.transform_reduced(
            pd.DataFrame({"text": pd.Series(texts, dtype=object)}),
            self.text_svd.transform,
            dtype=np.float32,
        )
        return normalize(dense, copy=False)

    def __init__(self, frame: pd.DataFrame, texts: list[tuple[str, str]] | None = None):
        taxonomy = load_taxonomy()
        self.capabilities = {tag: i for i, tag in enumerate(taxonomy.ids("capabilities"))}
        self.products = {tag: i for i, tag in enumerate(taxonomy.ids("products"))}
        self.org_types = {tag: i for i, tag in enumerate(taxonomy.ids("org_types"))}
        markets = sorted(
            {
                m
                for col in ("markets_present", "markets_target")
                for ms in _distinct_tuples(frame[col])[1]
                for m in ms
            }
            | set(pd.unique(frame["country"]))
        )
        self.markets = {code: i for i, code in enumerate(markets)}
        self.countries = self.markets
        from .. import geography

        continents = sorted({geography.continent(c) or "?" for c in markets})
        self.continents = {name: i for i, name in enumerate(continents)}
        self.continent_of = {c: geography.continent(c) or "?" for c in markets}
        self.cities = {
            c: i
            for i, c in enumerate(sorted({_city_key(c) for c in pd.unique(frame["city"])} - {""}))
        }
        self.networks = {n: i for i, n in enumerate(sorted(set(pd.unique(frame["network"]))))}
        self.languages = {
            code: i
            for i, code in enumerate(
                sorted({c for ls in _distinct_tuples(frame["languages"])[1] for c in ls})
            )
        }
        offers = _effective(frame, "offers", "text_offers")
        seeks = _effective(frame, "seeks", "text_seeks")
        cap = _binary(offers, self.capabilities) + _binary(seeks, self.capabilities)
        df = (cap > 0).sum(axis=0)
        n = 2 * len(frame)
        self.capability_idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        texts = texts if texts is not None else split_texts(frame)
        documents = pd.DataFrame(
            {"text": pd.Series(list(chain.from_iterable(texts)), dtype=object)}
        )
        self.text_encoder = TextEncoder(ngram_range=(3, 5), max_features=30000).fit(documents)
        # Latent semantic analysis: char n-gram TF-IDF reduced to a dense space, so that text
        # similarity is a BLAS product and related words (трикотаж, knit) can meet.
        n_grams = len(self.text_encoder.vectorizer_.vocabulary_)
        n_components = min(self.TEXT_DIMENSIONS, n_grams - 1, len(documents) - 1)
        # The latent space is learned on at most as many documents as the vocabulary.
        limit = self.text_encoder.max_fit_documents
        if limit is not None and len(documents) > limit:
            chosen = np.sort(np.random.default_rng(0).choice(len(documents), limit, replace=False))
            documents = documents.iloc[chosen]
        self.text_svd = (
            TruncatedSVD(n_components, random_state=0).fit(self.text_encoder.transform(documents))
            if n_components >= 2
            else None
        )
        self.name_encoder = TextEncoder(ngram_range=(3, 4), max_features=30000).fit(frame[["name"]])

    def arrays(
        self, frame: pd.DataFrame, texts: list[tuple[str, str]] | None = None
    ) -> ProfileArrays:
        """Return the arrays of the profiles of `frame` in this space (`texts`: the
        descriptions already split by :func:`split_texts`, to save splitting them again)."""
        offers = _effective(frame, "offers", "text_offers")
        seeks = _effective(frame, "seeks", "text_seeks")
        products = _effective(frame, "products", "text_products")
        texts = texts if texts is not None else split_texts(frame)
        volume = (
            frame["capacity_units_month"]
            .astype("Float64")
            .to_numpy(dtype=np.float64, na_value=np.nan)
        )
        employees = frame["employees"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        min_order = (
            frame["min_order_qty"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        )
        return ProfileArrays(
            member_ids=frame["member_id"].to_numpy(dtype=object),
            cap_offer=_binary(offers, self.capabilities),
            cap_need=_binary(seeks, self.capabilities),
            products=_binary(products, self.products),
            markets_present=_binary(frame["markets_present"], self.markets),
            markets_target=_binary(frame["markets_target"], self.markets),
            country=_codes(frame["country"], self.countries),
            continent=_codes(
                frame["country"], self.continents, key=lambda c: self.continent_of.get(c, "")
            ),
            city=_codes(frame["city"], self.cities, key=_city_key),
            network=_codes(frame["network"], self.networks),
            org_type=_codes(frame["org_type"], self.org_types),
            languages=_binary(frame["languages"], self.languages),
            certifications=np.fromiter(
                map(len, frame["certifications"]), dtype=np.float32, count=len(frame)
            ),
            min_order=min_order,
            volume=volume,
            employees=employees,
            potential=frame["potential"].to_numpy(dtype=np.float32),
            text_offer=self.text_vectors([t[0] for t in texts]),
            text_need=self.text_vectors([t[1] for t in texts]),
            names=self.name_encoder.transform(frame[["name"]]),
        )


#: Linked members from which the votes of one member read int8 codes of their embeddings
#: (:class:`~matcher.engine.quantized.QuantizedKeys`): below, the float32 pass takes under a
#: millisecond (86,000 linked members of 100,000 profiles: 0.3 ms); on a million profiles
#: (860,000) it took 5-10 ms.
QUANTIZED_VOTES_FROM = 262_144


class LinkStats:
    """What known positive links say, as arrays over the profiles of a :class:`PairSpace`.

    Parameters
    ----------
    pairs : ndarray of shape (n_links, 2)
        Row indices (source, target) of positive links.
    arrays : ProfileArrays
        The profiles the indices refer to.
    embedding : ndarray of shape (n_profiles, n_features)
        L2-normalised whole-profile embeddings, for partner resemblance and neighbour votes.
    quantized : bool, default=True
        Keep int8 codes of the linked members' embeddings from
        :data:`QUANTIZED_VOTES_FROM` of them, for one member's votes (``quantized``, else
        None); the training pairs' statistics of each part go without.
    """

    def __init__(
        self,
        pairs: np.ndarray,
        arrays: ProfileArrays,
        embedding: np.ndarray,
        n_types: int,
        quantized: bool = True,
    ):
        n = len(arrays)
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        self.n_links = len(pairs)
        data = np.ones(2 * len(pairs), dtype=np.float32)
        rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
        adjacency = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
        adjacency.data[:] = 1.0
        self.adjacency = adjacency
        self.degree = np.asarray(adjacency.sum(axis=1)).ravel()
        self.linked = np.flatnonzero(self.degree > 0)
        self.embedding = embedding
        self.linked_embedding = np.ascontiguousarray(embedding[self.linked])
        # Many linked members: a recommendation's votes read them as int8 codes, a quarter of
        # the bytes, and find the same voters with the same likeness (matcher.engine.quantized).
        self.quantized = (
            QuantizedKeys(self.linked_embedding)
            if quantized and len(self.linked) >= QUANTIZED_VOTES_FROM
            else None
        )
        # Which kinds of organisation work with which: log-odds against independence.
        types = arrays.org_type
        counts = np.zeros((n_types, n_types))
        valid = (
            (types[pairs[:, 0]] >= 0) & (types[pairs[:, 1]] >= 0)
            if len(pairs)
            else np.array([], bool)
        )
        a, b = types[pairs[valid, 0]], types[pairs[valid, 1]]
        np.add.at(counts, (a, b), 1)
        np.add.at(counts, (b, a), 1)
        total = counts.sum()
        if total:
            expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / total
            self.type_affinity = np.log((counts + 1) / (expected + 1))
        else:
            self.type_affinity = np.zeros((n_types, n_types))
        # Which kinds of organisation work with firms offering which capabilities (the roles of
        # the value chain, read from what partners offer): log-odds against independence,
        # smoothed by one link, over both ends of every link.
        offers = arrays.cap_offer
        n_capabilities = offers.shape[1]
        member, partner = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
        typed = types[member] >= 0
        member_types, partner = types[member[typed]], partner[typed]
        roles = np.zeros((n_types, n_capabilities))
        for kind in np.unique(member_types).tolist():
            # How often each profile is the partner of this kind, times what it offers: only
            # the linked rows are read (a copy of every row's offers would take gigabytes).
            times = np.bincount(partner[member_types == kind], minlength=n)
            rows = np.flatnonzero(times)
            roles[kind] = times[rows] @ offers[rows]
        total = roles.sum()
        if total:
            expected = np.outer(roles.sum(axis=1), roles.sum(axis=0)) / total
            self.role_affinity = np.log((roles + 1) / (expected + 1)).astype(np.float32)
        else:
            self.role_affinity = np.zeros((n_types, n_capabilities), dtype=np.float32)

    def partners(self, a: int) -> np.ndarray:
        """Return the row indices of the known partners of row `a`."""
        start, end = self.adjacency.indptr[a], self.adjacency.indptr[a + 1]
        return self.adjacency.indices[start:end]


def pair_features(
    query: ProfileArrays,
    a: int,
    cand: ProfileArrays,
    J: np.ndarray,
    stats: LinkStats | None,
    query_vector: np.ndarray,
    query_partners: np.ndarray,
    view_ab: np.ndarray,
    view_ba: np.ndarray,
    idf: np.ndarray,
    votes: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Return the pair features of the query row `a` against candidate rows `J`.

    Parameters
    ----------
    query, cand : ProfileArrays
        Arrays of the query's profiles and of the candidates (often the same object).
    a : int
        Row of the query in `query`.
    J : ndarray of shape (m,)
        Rows of the candidates in `cand`.
    stats : LinkStats or None
        Known links over `cand`'s rows; None when there are none.
    query_vector : ndarray of shape (n_embedding_features,)
        The query's whole-profile embedding.
    query_partners : ndarray
        Rows (in `cand`) of the query's known partners.
    view_ab, view_ba : ndarray of shape (m,)
        Cosine of the query's need view with the candidates' offer views, and the reverse.
    idf : ndarray of shape (n_capabilities,)
    votes : tuple of ndarray, optional
        :func:`cf_votes` of the query, when already computed.

    Returns
    -------
    ndarray of shape (m, len(PAIR_FEATURES)), float32
    """
    m = len(J)
    X = np.zeros((m, len(PAIR_FEATURES)), dtype=np.float32)
    J = np.asarray(J, dtype=np.int64)
    w = (idf * idf).astype(np.float64)
    codes_a = np.array(
        [query.country[a], query.continent[a], query.city[a], query.network[a], query.org_type[a]],
        dtype=np.int64,
    )
    numbers_a = np.array(
        [query.certifications[a], query.volume[a], query.employees[a]], dtype=np.float64
    )
    _row_features(
        J,
        query.cap_offer[a],
        query.cap_need[a],
        w,
        query.products[a],
        query.markets_present[a],
        query.markets_target[a],
        query.languages[a],
        codes_a,
        numbers_a,
        query.text_offer[a],
        query.text_need[a],
        cand.cap_offer,
        cand.cap_need,
        cand.products,
        cand.markets_present,
        cand.markets_target,
        cand.languages,
        cand.country,
        cand.continent,
        cand.city,
        cand.network,
        cand.org_type,
        cand.certifications,
        cand.min_order,
        cand.volume,
        cand.employees,
        cand.potential,
        cand.text_offer,
        cand.text_need,
        X,
    )
    X[:, _F["view_ab"]] = view_ab
    X[:, _F["view_ba"]] = view_ba
    X[:, _F["name_similarity"]] = _row_dots(cand.names, J, query.names, a)

    if stats is not None and stats.n_links:
        type_a = query.org_type[a]
        types_b = cand.org_type[J]
        if type_a >= 0:
            X[:, _F["type_affinity"]] = np.where(
                types_b >= 0, stats.type_affinity[type_a, types_b], 0.0
            )
            offers_b = cand.cap_offer[J]
            n_offers = offers_b.sum(axis=1, dtype=np.float32)
            X[:, _F["role_affinity"]] = np.divide(
                offers_b @ stats.role_affinity[type_a],
                n_offers,
                out=np.zeros(m, np.float32),
                where=n_offers > 0,
            )
        X[:, _F["degree_b"]] = np.log1p(stats.degree[J])
        k = len(query_partners)
        X[:, _F["degree_a"]] = np.log1p(k)
        if k:
            sims = stats.embedding[J] @ stats.embedding[query_partners].T
            X[:, _F["partner_similarity"]] = sims.max(axis=1)
            X[:, _F["partner_evidence"]] = X[:, _F["partner_similarity"]] * (
                k / (k + PARTNER_EVIDENCE_PRIOR)
            )
            X[:, _F["partner_country_share"]] = partner_share(
                cand.country[query_partners], cand.country[J]
            )
            X[:, _F["partner_city_share"]] = partner_share(cand.city[query_partners], cand.city[J])
            X[:, _F["partner_type_share"]] = partner_share(
                cand.org_type[query_partners], cand.org_type[J]
            )
        X[:, _F["cf_vote"]] = votes_at(
            votes if votes is not None else cf_votes(stats, query_vector), J
        )
    return X


def reciprocity_of(cover_ab, cover_ba, known_b):
    """One pair's reciprocity, compiled (the vector form is :func:`reciprocity`; the two are held
    equal by a test)."""
    smoothed = RECIPROCITY_FLOOR + (1.0 - RECIPROCITY_FLOOR) * (
        cover_ba if known_b else UNKNOWN_COVER
    )
    return 2 * cover_ab * smoothed / max(cover_ab + smoothed, 1e-9)


def _ratio(value, reference):
    # log10((value + 1) / (reference + 1)) clipped to +-3; 0 where either is unknown.
    if np.isnan(reference) or np.isnan(value):
        return 0.0
    return min(3.0, max(-3.0, np.log10((value + 1.0) / (reference + 1.0))))


def _row_features(
    J,
    offer_a,
    need_a,
    w,
    products_a,
    present_a,
    target_a,
    languages_a,
    codes_a,
    numbers_a,
    text_offer_a,
    text_need_a,
    cap_offer,
    cap_need,
    products,
    present,
    target,
    languages,
    country,
    continent,
    city,
    network,
    org_type,
    certifications,
    min_order,
    volume,
    employees,
    potential,
    text_offer,
    text_need,
    X,
):
    # The features of the query (the *_a arguments) against rows J read from the candidates'
    # arrays in place, one row at a time; the formulas are documented at PAIR_FEATURES and in
    # the module docstring (reciprocity), and coverage() computes the first four the same way.
    need_total_a = 0.0
    offer_norm_a = 0.0
    for c in range(w.shape[0]):
        need_total_a += need_a[c] * w[c]
        offer_norm_a += offer_a[c] * w[c]
    offer_norm_a = np.sqrt(offer_norm_a)
    n_products_a = 0.0
    for c in range(products_a.shape[0]):
        n_products_a += products_a[c]
    n_target_a = 0.0
    n_present_a = 0.0
    for c in range(target_a.shape[0]):
        n_target_a += target_a[c]
        n_present_a += present_a[c]
    n_languages_a = 0.0
    for c in range(languages_a.shape[0]):
        n_languages_a += languages_a[c]
    certifications_a, volume_a, employees_a = numbers_a[0], numbers_a[1], numbers_a[2]
    for k in range(J.shape[0]):
        j = J[k]
        covered = 0.0
        need_total_b = 0.0
        covering = 0.0
        offered_both = 0.0
        offer_total_b = 0.0
        for c in range(w.shape[0]):
            covered += cap_offer[j, c] * need_a[c] * w[c]
            need_total_b += cap_need[j, c] * w[c]
            covering += cap_need[j, c] * offer_a[c] * w[c]
            offered_both += cap_offer[j, c] * offer_a[c] * w[c]
            offer_total_b += cap_offer[j, c] * w[c]
        cover_ab = covered / need_total_a if need_total_a > 0 else 0.0
        known_b = need_total_b > 0
        cover_ba = covering / max(need_total_b, 1e-9) if known_b else 0.0
        X[k, 0] = cover_ab
        X[k, 1] = cover_ba
        X[k, 2] = 1.0 if known_b else 0.0
        X[k, 3] = reciprocity_of(cover_ab, cover_ba, known_b)
        text_ab = 0.0
        text_ba = 0.0
        for d in range(text_need_a.shape[0]):
            text_ab += text_offer[j, d] * text_need_a[d]
            text_ba += text_need[j, d] * text_offer_a[d]
        X[k, 4] = text_ab
        X[k, 5] = text_ba
        n_products_b = 0.0
        shared_products = 0.0
        for c in range(products_a.shape[0]):
            n_products_b += products[j, c]
            shared_products += products[j, c] * products_a[c]
        both_products = n_products_a > 0 and n_products_b > 0
        X[k, 8] = shared_products / max(n_products_a, 1.0) if both_products else 0.5
        opened = 0.0
        opening = 0.0
        n_target_b = 0.0
        shared = 0.0
        n_present_b = 0.0
        for c in range(target_a.shape[0]):
            opened += present[j, c] * target_a[c]
            opening += target[j, c] * present_a[c]
            n_target_b += target[j, c]
            shared += present[j, c] * present_a[c]
            n_present_b += present[j, c]
        X[k, 9] = opened / n_target_a if n_target_a > 0 else 0.0
        X[k, 10] = opening / max(n_target_b, 1.0) if n_target_b > 0 else 0.0
        union = n_present_b + n_present_a - shared
        X[k, 11] = shared / max(union, 1.0) if union > 0 else 0.0
        X[k, 12] = 1.0 if codes_a[0] >= 0 and country[j] == codes_a[0] else 0.0
        X[k, 13] = 1.0 if codes_a[1] >= 0 and continent[j] == codes_a[1] else 0.0
        X[k, 14] = 1.0 if codes_a[2] >= 0 and city[j] == codes_a[2] else 0.0
        X[k, 15] = 1.0 if codes_a[3] >= 0 and network[j] == codes_a[3] else 0.0
        same_type = 1.0 if codes_a[4] >= 0 and org_type[j] == codes_a[4] else 0.0
        X[k, 20] = same_type
        n_languages_b = 0.0
        shared_languages = 0.0
        for c in range(languages_a.shape[0]):
            n_languages_b += languages[j, c]
            shared_languages += languages[j, c] * languages_a[c]
        if n_languages_a > 0 and n_languages_b > 0:
            X[k, 16] = 1.0 if shared_languages > 0 else 0.0
        else:
            X[k, 16] = 0.5
        X[k, 17] = min(certifications[j] / 3.0, 1.0)
        if np.isnan(volume_a) or np.isnan(min_order[j]):
            X[k, 18] = 0.5
        else:
            X[k, 18] = 1.0 if min_order[j] <= volume_a else 0.0
        offer_sim = offered_both / max(offer_norm_a * np.sqrt(offer_total_b), 1e-9)
        X[k, 19] = offer_sim
        product_sim = (
            shared_products / np.sqrt(max(n_products_a * n_products_b, 1.0))
            if both_products
            else 0.5
        )
        market_sim = shared / max(union, 1.0) if union > 0 else 0.5
        X[k, 21] = same_type * offer_sim * product_sim * market_sim * (1 - cover_ab)
        X[k, 30] = potential[j]
        X[k, 31] = abs(min(certifications[j], 3.0) - min(certifications_a, 3.0)) / 3
        X[k, 32] = _ratio(volume[j], volume_a)
        X[k, 33] = _ratio(employees[j], employees_a)


reciprocity_of = compiled(reciprocity_of)
_ratio = compiled(_ratio)
_row_features = compiled(_row_features)


def first_stage_sum(
    cover_ab,
    covered_ba,
    need_total,
    potential,
    log_degree,
    codes,
    country_table,
    city_table,
    network_table,
    type_table,
    w_cover_ab,
    w_cover_ba,
    w_reciprocity,
    w_potential,
    w_degree,
    allowed,
    out,
    start,
    stop,
):
    # The linear score of the candidate stage (matcher.engine.firststage.FirstStage.scores), per row:
    # cover_ba and reciprocity as coverage() computes them. Kept here beside reciprocity_of,
    # which it calls: numba's cache checks only the module of the function it compiled. Rows
    # start..stop (a range per core); -inf where `allowed` (empty: every row allowed) is False.
    # `codes` holds each row's country, city, network and org_type codes plus one (0: none),
    # and each table a 0 first: four lookups without a branch, twice as fast on a million
    # rows as a test of each code (the same sums: adding 0.0 changes no bit).
    masked = allowed.shape[0] > 0
    for i in range(start, stop):
        if masked and not allowed[i]:
            out[i] = -np.inf
            continue
        cover = cover_ab[i]
        known = need_total[i] > 0
        back = covered_ba[i] / max(need_total[i], 1e-9) if known else 0.0
        both = reciprocity_of(cover, back, known)
        total = (
            w_cover_ab * cover
            + w_cover_ba * back
            + w_reciprocity * both
            + w_potential * potential[i]
            + w_degree * log_degree[i]
        )
        total += country_table[codes[i, 0]]
        total += city_table[codes[i, 1]]
        total += network_table[codes[i, 2]]
        total += type_table[codes[i, 3]]
        out[i] = total


first_stage_sum = compiled(first_stage_sum)

#: The columns :func:`_row_features` writes by position: checked against PAIR_FEATURES at import.
_ROW_FEATURE_COLUMNS = {
    "cover_ab": 0,
    "cover_ba": 1,
    "needs_known_b": 2,
    "reciprocity": 3,
    "text_ab": 4,
    "text_ba": 5,
    "product_overlap": 8,
    "market_open_ab": 9,
    "market_open_ba": 10,
    "shared_markets": 11,
    "same_country": 12,
    "same_continent": 13,
    "same_city": 14,
    "same_network": 15,
    "shared_language": 16,
    "certifications_b": 17,
    "capacity_fit": 18,
    "offer_similarity": 19,
    "same_org_type": 20,
    "competitor": 21,
    "potential_b": 30,
    "certification_gap": 31,
    "capacity_ratio": 32,
    "size_ratio": 33,
}
assert all(_F[name] == column for name, column in _ROW_FEATURE_COLUMNS.items())


def coverage(
    query: ProfileArrays, a: int, offer_b, need_b, need_total_b: np.ndarray, idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How the query row `a` and other profiles cover each other's needs (see the module
    docstring): ``(cover_ab, cover_ba, needs_known_b, reciprocity)``.

    `offer_b` and `need_b` are the others' capability rows, dense or sparse (both only meet
    vectors in products); `need_total_b` is ``need_b @ idf**2``, which callers scoring many
    queries against the same rows compute once.
    """
    w = idf * idf
    need_a = query.cap_need[a] * w
    offer_a = query.cap_offer[a]
    need_total_a = need_a.sum()
    m = need_b.shape[0]
    cover_ab = offer_b @ need_a / need_total_a if need_total_a > 0 else np.zeros(m, np.float32)
    known_b = need_total_b > 0
    cover_ba = np.where(known_b, need_b @ (offer_a * w) / np.maximum(need_total_b, 1e-9), 0.0)
    return cover_ab, cover_ba, known_b, reciprocity(cover_ab, cover_ba, known_b)


def reciprocity(cover_ab: np.ndarray, cover_ba: np.ndarray, known_b: np.ndarray) -> np.ndarray:
    """The smoothed harmonic mean of the two covers (see the module docstring)."""
    ba_smoothed = RECIPROCITY_FLOOR + (1.0 - RECIPROCITY_FLOOR) * np.where(
        known_b, cover_ba, UNKNOWN_COVER
    )
    return 2 * cover_ab * ba_smoothed / np.maximum(cover_ab + ba_smoothed, 1e-9)


def cf_votes(
    stats: LinkStats, query_vector: np.ndarray, voters: int = 20, sims: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour votes: the `voters` linked members most like the query (by embedding; the
    query itself, at likeness 1, does not vote) vote for their partners, each vote weighted by
    the voter's likeness. Returns (rows, votes): the profiles with a vote, ascending, and
    their votes; every other profile has none (see :func:`votes_at`). `sims`, the query's
    likeness to each of ``stats.linked``, saves computing it when a search already has."""
    if not len(stats.linked):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if sims is None:
        quantized = getattr(stats, "quantized", None)  # None in models saved before
        sims = (
            quantized.likeness(query_vector, voters + 1)
            if quantized is not None
            else stats.linked_embedding @ np.asarray(query_vector, dtype=np.float32).ravel()
        )
    top = top_k_indices(sims, voters + 1)
    top = top[np.argsort(-sims[top], kind="stable")]
    top = top[sims[top] < 0.9999][:voters]
    # Each voter's partners (its adjacency row), weighted by its likeness, summed per partner.
    indptr, indices = stats.adjacency.indptr, stats.adjacency.indices
    partners = [indices[indptr[v] : indptr[v + 1]] for v in stats.linked[top].tolist()]
    if not partners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    weights = np.repeat(sims[top].astype(np.float64), [len(p) for p in partners])
    rows, inverse = np.unique(np.concatenate(partners), return_inverse=True)
    return rows.astype(np.int64), np.bincount(inverse, weights=weights).astype(np.float32)


def _merge_dots(q_indices, q_data, indptr, indices, data, J, out):
    # Both rows' column indices are sorted: one merge per candidate row.
    for k in range(J.shape[0]):
        p, end = indptr[J[k]], indptr[J[k] + 1]
        i = 0
        total = 0.0
        while i < q_indices.shape[0] and p < end:
            if q_indices[i] == indices[p]:
                total += q_data[i] * data[p]
                i += 1
                p += 1
            elif q_indices[i] < indices[p]:
                i += 1
            else:
                p += 1
        out[k] = total


def _gather_dots(q_indices, q_data, n_columns, indptr, indices, data, J, out):
    # The query row scattered into a dense vector: needs neither row's column indices sorted.
    dense = np.zeros(n_columns)
    for i in range(q_indices.shape[0]):
        dense[q_indices[i]] += q_data[i]
    for k in range(J.shape[0]):
        total = 0.0
        for p in range(indptr[J[k]], indptr[J[k] + 1]):
            total += data[p] * dense[indices[p]]
        out[k] = total


_merge_dots = compiled(_merge_dots)
_gather_dots = compiled(_gather_dots)


def _row_dots(matrix: sp.csr_matrix, J: np.ndarray, query: sp.csr_matrix, a: int) -> np.ndarray:
    """Dot products of rows `J` of a sparse matrix with row `a` of another: the same as
    ``(matrix[J] @ query[a].T)`` without copying the rows out.

    Neither matrix is written to: a batch's worker processes open the fitted model as a
    read-only memory map, where sorting the indices in place fails. Fitted and saved models,
    and the model a batch gives its workers, keep their matrices in canonical form (see
    :func:`matcher.canonical.canonical_sparse`); a matrix with unsorted or duplicate column
    indices (one changed after fitting) is read by a gather instead of the merge, which needs
    sorted rows.
    """
    start, end = query.indptr[a], query.indptr[a + 1]
    J = np.asarray(J, dtype=np.int64)
    out = np.zeros(len(J), dtype=np.float64)
    if matrix.has_canonical_format and query.has_canonical_format:
        _merge_dots(
            query.indices[start:end],
            query.data[start:end],
            matrix.indptr,
            matrix.indices,
            matrix.data,
            J,
            out,
        )
    else:
        _gather_dots(
            query.indices[start:end],
            query.data[start:end],
            query.shape[1],
            matrix.indptr,
            matrix.indices,
            matrix.data,
            J,
            out,
        )
    return out


def _same(code_a: int, codes_b: np.ndarray) -> np.ndarray:
    """True where a profile shares the query's code (never for an unknown code, -1)."""
    return (codes_b == code_a) & (code_a >= 0)
