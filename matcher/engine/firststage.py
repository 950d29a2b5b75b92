"""The first stage on large data: a linear score over every profile, from the pair features
that cost a few vector operations for all profiles at once.

Vector searches over the candidate index find profiles whose views complement a member's or
resemble it. The learned re-ranking leans on more than that: the idf-weighted share of the
member's needs the other offers (``cover_ab``), the same country, how many partners the other
already has, how members like this one voted (``cf_vote``). On 100,000 generated profiles the
vector searches alone kept 0.51 of the top 10 that re-ranking every profile gives; the best
400 by this score, added to them, keep 0.77.

The score is linear in the features below, each computed exactly as
:func:`matcher.engine.pairs.pair_features` computes it (a test holds the two together). Its weights are
learned by a logistic regression on the same training pairs as the re-ranking model, or are the
matching :data:`matcher.engine.ranking.DEFAULT_WEIGHTS` when there are too few links to learn from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from .pairs import PAIR_FEATURES, LinkStats, ProfileArrays, _same, coverage, first_stage_sum
from .parallel import split_rows
from .serving import partner_share

__all__ = ["FIRST_STAGE_FEATURES", "FirstStage"]

#: Pair features the first stage scores with, all cheap for every profile at once.
FIRST_STAGE_FEATURES = (
    "cover_ab",
    "cover_ba",
    "reciprocity",
    "same_country",
    "same_city",
    "same_network",
    "same_org_type",
    "type_affinity",
    "degree_b",
    "partner_country_share",
    "potential_b",
    "cf_vote",
)


class FirstStage:
    """Linear first-stage score of one member against many profiles (see the module docstring).

    Parameters
    ----------
    arrays : ProfileArrays
        The fitted profiles.
    stats : LinkStats
        What the fitted links say (degrees, which kinds work together).
    idf : ndarray of shape (n_capabilities,)
        Capability rarity, as for :func:`matcher.engine.pairs.pair_features`.
    rows : ndarray of int, optional
        Score only these rows of `arrays` (a batch's candidates), ascending; all rows by
        default.

    Attributes
    ----------
    weights_ : ndarray of shape (len(FIRST_STAGE_FEATURES),)
    rows : ndarray of int or None
    """

    #: Rows from which :meth:`scores` splits its pass between the cores (per core).
    SPLIT_ROWS = 262_144

    def __init__(
        self,
        arrays: ProfileArrays,
        stats: LinkStats,
        idf: np.ndarray,
        rows: np.ndarray | None = None,
    ):
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self.stats = stats
        self.idf = idf
        self.arrays = arrays
        self._prepare()
        self.weights_ = np.zeros(len(FIRST_STAGE_FEATURES))

    def _prepare(self) -> None:
        """Per-row arrays over the stage's rows: capability rows as sparse float32 (a product
        touches only the tags profiles have), codes, degrees and potential."""
        arrays, stats = self.arrays, self.stats
        take = slice(None) if self.rows is None else self.rows
        self._offer = sp.csc_matrix(arrays.cap_offer[take], dtype=np.float32)
        self._need = sp.csc_matrix(arrays.cap_need[take], dtype=np.float32)
        self._need_total = self._need @ (self.idf * self.idf)
        self._codes = {
            name: getattr(arrays, name)[take] for name in ("country", "city", "network", "org_type")
        }
        self._potential = arrays.potential[take]
        self._log_degree = np.log1p(stats.degree[take]).astype(np.float32)
        self._code_max = {name: int(values.max(initial=-1)) for name, values in self._codes.items()}
        # The four codes of a row side by side, plus one (0: none), in the narrowest type
        # (one byte each for the generated profiles' 33 countries and 77 cities): what the
        # score's pass over every row reads of them (see first_stage_sum).
        largest = max(self._code_max.values()) + 1
        kind = next(t for t in (np.uint8, np.uint16, np.int64) if largest <= np.iinfo(t).max)
        self._shifted_codes = np.empty((len(self._potential), 4), dtype=kind)
        for column, values in enumerate(self._codes.values()):
            self._shifted_codes[:, column] = values + 1

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key in (
            "_offer",
            "_need",
            "_need_total",
            "_codes",
            "_shifted_codes",
            "_potential",
            "_log_degree",
            "_code_max",
        ):
            state.pop(key)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._prepare()

    def restricted(self, rows: np.ndarray) -> FirstStage:
        """The same score over a subset of the fitted rows (`rows`, global row numbers)."""
        stage = FirstStage(self.arrays, self.stats, self.idf, rows)
        stage.weights_ = self.weights_.copy()
        return stage

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position among the stage's rows, whether it is one of them) of fitted rows `rows`."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.rows is None:
            return rows, np.ones(len(rows), dtype=bool)
        position = np.minimum(np.searchsorted(self.rows, rows), max(len(self.rows) - 1, 0))
        return position, self.rows[position] == rows if len(self.rows) else np.zeros(
            len(rows), dtype=bool
        )

    def fit(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> FirstStage:
        """Learn the weights from training pairs `X` (all :data:`PAIR_FEATURES` columns) and
        labels `y` (weighed by `sample_weight`, if given), by a logistic regression on
        standardised columns."""
        columns = X[:, [PAIR_FEATURES.index(name) for name in FIRST_STAGE_FEATURES]].astype(
            np.float64
        )
        scaler = StandardScaler().fit(columns)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(
            scaler.transform(columns), y, sample_weight=sample_weight
        )
        self.weights_ = model.coef_[0] / scaler.scale_
        return self

    def set_weights(self, weights: Mapping[str, float]) -> FirstStage:
        """Use fixed weights by feature name (missing names weigh 0)."""
        self.weights_ = np.array([float(weights.get(name, 0.0)) for name in FIRST_STAGE_FEATURES])
        return self

    def distil(self, columns: np.ndarray, best: np.ndarray) -> FirstStage:
        """Learn the weights from what the whole model ranks first: a logistic regression on
        standardised columns of whether each row is among a member's best by the whole score.

        :meth:`fit` learns from known links, as the whole model does; but the first stage's
        task is to keep the whole model's *top*, which on 100,000 generated profiles a score
        distilled from that top does better (with trees as the whole model, its best 600
        rows kept 0.93 of the exhaustive top 10 against 0.89 for the score learned from links,
        its best 1200 0.98 against 0.95).

        Parameters
        ----------
        columns : ndarray of shape (n_rows, len(FIRST_STAGE_FEATURES))
            :meth:`column_matrix` rows of several members.
        best : ndarray of bool, shape (n_rows,)
            Whether the row is among its member's best by the whole score.
        """
        columns = np.asarray(columns, dtype=np.float64)
        best = np.asarray(best, dtype=bool)
        if best.all() or not best.any():
            raise ValueError(
                f"Got {int(best.sum())} best rows of {len(best)}; expected both kinds of row"
            )
        scaler = StandardScaler().fit(columns)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(columns), best)
        self.weights_ = model.coef_[0] / scaler.scale_
        return self

    def column_matrix(
        self,
        query: ProfileArrays,
        a: int,
        partners: np.ndarray,
        votes: tuple[np.ndarray, np.ndarray] | None,
        positions: np.ndarray,
    ) -> np.ndarray:
        """The :meth:`columns` at `positions` (among the stage's rows), one row each: shape
        (len(positions), len(FIRST_STAGE_FEATURES)), float32. ``column_matrix(...) @ weights_``
        is :meth:`scores` at those positions."""
        out = np.empty((len(positions), len(FIRST_STAGE_FEATURES)), dtype=np.float32)
        for j, (_, values) in enumerate(self.columns(query, a, partners, votes)):
            out[:, j] = values[positions] if isinstance(values, np.ndarray) else values
        return out

    def columns(
        self,
        query: ProfileArrays,
        a: int,
        partners: np.ndarray,
        votes: tuple[np.ndarray, np.ndarray] | None,
    ) -> Iterator[tuple[str, np.ndarray | float]]:
        """Yield (feature name, values over the stage's rows) in :data:`FIRST_STAGE_FEATURES`
        order; a constant stands for a column that is the same for every row.

        Parameters
        ----------
        query : ProfileArrays
            Arrays holding the query's row (the fitted ones, or a prospective member's).
        a : int
            The query's row in `query`.
        partners : ndarray
            The query's known partners (fitted rows).
        votes : tuple of ndarray or None
            :func:`matcher.engine.pairs.cf_votes` of the query (None when there are no links).
        """
        stats, codes = self.stats, self._codes
        cover_ab, cover_ba, _, both = coverage(
            query, a, self._offer, self._need, self._need_total, self.idf
        )
        yield "cover_ab", cover_ab
        yield "cover_ba", cover_ba
        yield "reciprocity", both
        yield "same_country", _same(query.country[a], codes["country"])
        yield "same_city", _same(query.city[a], codes["city"])
        yield "same_network", _same(query.network[a], codes["network"])
        yield "same_org_type", _same(query.org_type[a], codes["org_type"])
        linked = bool(stats.n_links)
        type_a = query.org_type[a]
        if linked and type_a >= 0:
            types_b = codes["org_type"]
            yield "type_affinity", np.where(types_b >= 0, stats.type_affinity[type_a, types_b], 0.0)
        else:
            yield "type_affinity", 0.0
        yield "degree_b", self._log_degree if linked else 0.0
        if linked and len(partners):
            yield (
                "partner_country_share",
                partner_share(self.arrays.country[partners], codes["country"]),
            )
        else:
            yield "partner_country_share", 0.0
        yield "potential_b", self._potential
        if linked and votes is not None:
            position, found = self.positions(votes[0])
            column = np.zeros(self._offer.shape[0], dtype=np.float32)
            column[position[found]] = votes[1][found]
            yield "cf_vote", column
        else:
            yield "cf_vote", 0.0

    @staticmethod
    def _add_postings(matrix: sp.csc_matrix, weights: np.ndarray, out: np.ndarray) -> None:
        """``out += matrix @ weights`` for a 0/1 matrix, one column (posting list) at a time."""
        for column in np.flatnonzero(weights).tolist():
            rows = matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]
            out[rows] += np.float32(weights[column])

    def scores(
        self,
        query: ProfileArrays,
        a: int,
        partners: np.ndarray,
        votes: tuple[np.ndarray, np.ndarray] | None,
        allowed: np.ndarray | None = None,
    ) -> np.ndarray:
        """The first-stage score of every row of the stage (float32): the weighted sum of
        :meth:`columns` in one compiled pass over the rows (split between the cores from
        :attr:`SPLIT_ROWS` rows each), ``-inf`` at rows where `allowed` (a mask over the
        stage's rows, optional) is False. The covers come from the
        capabilities' posting lists (only the profiles offering what the member needs, or
        needing what it offers, are touched); each code column reads a table over its codes
        that holds the weighted terms (the same country and the partners' share of it, ...)."""
        w = dict(zip(FIRST_STAGE_FEATURES, self.weights_.tolist()))
        stats = self.stats
        linked = bool(stats.n_links)
        n = self._offer.shape[0]
        weight = self.idf * self.idf
        need_a = query.cap_need[a] * weight
        cover_ab = np.zeros(n, dtype=np.float32)
        if need_a.sum() > 0:
            self._add_postings(self._offer, need_a / need_a.sum(), cover_ab)
        covered_ba = np.zeros(n, dtype=np.float32)
        self._add_postings(self._need, query.cap_offer[a] * weight, covered_ba)

        def table(name: str, size: int = 0) -> np.ndarray:
            return np.zeros(max(self._code_max[name], int(getattr(query, name)[a]), size - 1) + 1)

        country = table("country")
        if query.country[a] >= 0:
            country[query.country[a]] += w["same_country"]
        if linked and len(partners):
            partner_codes = self.arrays.country[partners]
            partner_codes = partner_codes[partner_codes >= 0]
            if len(partner_codes):
                counted = np.bincount(partner_codes, minlength=len(country))[: len(country)]
                country += w["partner_country_share"] * counted / len(partner_codes)
        city, network = table("city"), table("network")
        for values, name, feature in (
            (city, "city", "same_city"),
            (network, "network", "same_network"),
        ):
            if getattr(query, name)[a] >= 0:
                values[getattr(query, name)[a]] = w[feature]
        types = table("org_type", len(stats.type_affinity))
        type_a = query.org_type[a]
        if type_a >= 0:
            types[type_a] += w["same_org_type"]
            if linked:
                affinity = stats.type_affinity[type_a]
                types[: len(affinity)] += w["type_affinity"] * affinity
        total = np.empty(n, dtype=np.float32)
        mask = np.zeros(0, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
        if len(mask) not in (0, n):
            raise ValueError(f"allowed has {len(mask)} rows; the stage has {n}")
        # Each table with a 0 first, for rows without the code (see first_stage_sum).
        tables = [np.r_[0.0, values] for values in (country, city, network, types)]
        split_rows(
            lambda start, stop: first_stage_sum(
                cover_ab,
                covered_ba,
                self._need_total,
                self._potential,
                self._log_degree,
                self._shifted_codes,
                *tables,
                w["cover_ab"],
                w["cover_ba"],
                w["reciprocity"],
                w["potential_b"],
                w["degree_b"] if linked else 0.0,
                mask,
                total,
                start,
                stop,
            ),
            n,
            self.SPLIT_ROWS,
        )
        if linked and votes is not None:
            position, found = self.positions(votes[0])
            total[position[found]] += np.float32(w["cf_vote"]) * votes[1][found]
        return total
