"""The feature pipeline: scikit-learn transformers that turn profiles into offer and need vectors.

Every profile is seen twice, in one feature space:

* its **offer view**: the capabilities it offers, its products, the markets it is present in,
  its seat, and the text of what it offers;
* its **need view**: the capabilities it seeks, its products, the markets it targets, its seat
  (partners nearby are easier to work with), and the text of what it seeks.

Because the two views share columns, "A needs what B offers" is the dot product of A's need row
and B's offer row, block by block. Tags are weighted by inverse document frequency, so a rare
capability (3D design) counts for more than a ubiquitous one (sewing).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import geography

__all__ = [
    "VIEW_BLOCKS",
    "CountryEncoder",
    "MultiHotEncoder",
    "OfferNeedEncoder",
    "TextEncoder",
    "need_frame",
    "offer_frame",
]

#: Blocks of the offer and need views, in column order.
VIEW_BLOCKS = ("capabilities", "products", "markets", "location", "text")


def _items(cell: Any, separator: str) -> list[str]:
    """Return the tags of one cell: a list, a separated string, a scalar or nothing."""
    if cell is None:
        return []
    if isinstance(cell, float) and np.isnan(cell):
        return []
    if isinstance(cell, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return [str(item) for item in cell if item is not None and str(item) != ""]
    if cell is pd.NA:
        return []
    text = str(cell)
    if separator and separator in text:
        return [part.strip() for part in text.split(separator) if part.strip()]
    return [text] if text else []


def _as_2d_object(X: Any) -> np.ndarray:
    """Return X as a 2-D object array whose cells may be lists (np.asarray would flatten them)."""
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=object)
    if isinstance(X, pd.Series):
        return X.to_numpy(dtype=object).reshape(-1, 1)
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported: the encoders read tags and text, "
            "so pass a dense array or a DataFrame."
        )
    if isinstance(X, np.ndarray):
        return X.astype(object, copy=False)
    if hasattr(X, "__array__"):
        return np.asarray(X).astype(object)
    rows = list(X)
    array = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            array[i, j] = cell
    return array


class _TagEncoderBase(TransformerMixin, BaseEstimator):
    """Shared machinery of the multi-hot encoders: fit a vocabulary per column, encode rows."""

    def _expand(self, tag: str, column: int) -> list[str]:
        return [tag]

    def _check(self, X: Any, reset: bool) -> np.ndarray:
        # validate_data sets n_features_in_ / feature_names_in_ and checks them on transform;
        # cells may be lists, so the array itself is built without flattening them.
        _validate_cells(self, X, reset)
        array = _as_2d_object(X)
        if array.ndim != 2:
            raise ValueError(f"Expected a 2-D input, got shape {array.shape}")
        if array.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={array.shape}) while a minimum "
                "of 1 is required."
            )
        return array

    def _column_tags(self, array: np.ndarray, column: int) -> list[list[str]]:
        return [self._cell_tags(cell, column) for cell in array[:, column]]

    def _cell_tags(self, cell: Any, column: int) -> list[str]:
        return [t for item in _items(cell, self.separator) for t in self._expand(item, column)]

    @staticmethod
    def _factorize_column(array: np.ndarray, column: int) -> tuple[np.ndarray, list[Any]]:
        """(the code of each row's cell, the distinct cells of `column` in order of first
        appearance). Rows share few distinct cells, so the encoders read each of them once."""
        cells = array[:, column]
        if set(map(type, cells)) <= {tuple, str}:
            # The validated frame's cells: pandas' hash table groups them in one pass, as a dict
            # keyed by the cells would.
            codes, distinct = pd.factorize(cells)
            return codes, list(distinct)
        index: dict[Any, int] = {}
        codes = np.empty(len(cells), dtype=np.intp)
        distinct = []
        for i, cell in enumerate(cells):
            key = cell if type(cell) in (tuple, str) else _cell_key(cell)
            code = index.get(key)
            if code is None:
                code = index[key] = len(distinct)
                distinct.append(cell)
            codes[i] = code
        return codes, distinct

    def _validate_params(self) -> None:
        if self.weighting not in ("binary", "idf"):
            raise ValueError(f"Got weighting={self.weighting!r}, expected 'binary' or 'idf'")
        if self.norm not in (None, "l2"):
            raise ValueError(f"Got norm={self.norm!r}, expected None or 'l2'")
        if not (isinstance(self.min_frequency, int) and self.min_frequency >= 1):
            raise ValueError(
                f"Got min_frequency={self.min_frequency!r}, expected a positive integer"
            )

    def _adjust_weights(self) -> None:
        """Change the learned ``idf_`` in place (a subclass's hook)."""

    def fit(self, X: Any, y: Any = None) -> _TagEncoderBase:
        """Learn the tags of each column and their weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns)
            Cells are lists of tags, ``separator``-joined strings or single values.
        """
        self._learn(X)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> sp.csr_matrix:
        """``fit(X).transform(X)``, reading each column's distinct cells once for both."""
        return self._encode(*self._learn(X))

    def _learn(self, X: Any) -> tuple[int, list[tuple[np.ndarray, list[Any]]]]:
        """Fit on `X`; return its number of rows and its factorized columns."""
        self._validate_params()
        array = self._check(X, reset=True)
        n_samples = array.shape[0]
        columns = [self._factorize_column(array, column) for column in range(array.shape[1])]
        self.categories_: list[np.ndarray] = []
        self.idf_: list[np.ndarray] = []
        for column, (codes, distinct) in enumerate(columns):
            counts: Counter = Counter()
            for cell, times in zip(distinct, np.bincount(codes, minlength=len(distinct)).tolist()):
                for tag in set(self._cell_tags(cell, column)):
                    counts[tag] += times
            kept = sorted(tag for tag, count in counts.items() if count >= self.min_frequency)
            self.categories_.append(np.array(kept, dtype=object))
            df = np.array([counts[tag] for tag in kept], dtype=float)
            idf = (
                np.log((1 + n_samples) / (1 + df)) + 1
                if self.weighting == "idf"
                else np.ones(len(kept))
            )
            self.idf_.append(idf)
        self._adjust_weights()
        self._lookup = [{tag: i for i, tag in enumerate(cats)} for cats in self.categories_]
        self._offsets = np.cumsum([0] + [len(c) for c in self.categories_])
        return n_samples, columns

    def transform(self, X: Any) -> sp.csr_matrix:
        """Encode rows as weighted multi-hot vectors.

        Returns
        -------
        sparse matrix of shape (n_samples, n_features_out)
            Tags unseen in ``fit`` are ignored; with ``norm="l2"`` each row has unit length.
        """
        check_is_fitted(self, "categories_")
        array = self._check(X, reset=False)
        return self._encode(
            array.shape[0],
            [self._factorize_column(array, column) for column in range(array.shape[1])],
        )

    def _encode(self, n_rows: int, columns: list[tuple[np.ndarray, list[Any]]]) -> sp.csr_matrix:
        """The rows of factorized columns (see :meth:`_factorize_column`) as a sparse matrix."""
        rows, cols, vals = [], [], []
        for column, (codes, distinct) in enumerate(columns):
            lookup, idf, offset = self._lookup[column], self.idf_[column], self._offsets[column]
            # Rows share few distinct cells: encode each distinct cell once, then lay the
            # cells' columns out row by row with index arithmetic.
            encoded = [
                np.array(
                    sorted({lookup[t] for t in self._cell_tags(cell, column) if t in lookup}),
                    dtype=np.int64,
                )
                for cell in distinct
            ]
            lengths = np.array([len(c) for c in encoded], dtype=np.int64)
            counts = lengths[codes]
            total = int(counts.sum())
            if total:
                starts = np.cumsum(lengths) - lengths
                row_starts = np.cumsum(counts) - counts
                found = np.concatenate(encoded)[
                    np.arange(total) - np.repeat(row_starts - starts[codes], counts)
                ]
                rows.append(np.repeat(np.arange(len(codes)), counts))
                cols.append(offset + found)
                vals.append(idf[found])
        rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(vals).astype(np.float64) if vals else np.zeros(0)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, int(self._offsets[-1])))
        matrix.sum_duplicates()
        if self.norm != "l2" or matrix.shape[1] == 0:
            # A vocabulary nobody used (no profile names a market, say) encodes nothing: zero
            # columns, which scikit-learn's normalize refuses and which need no normalising.
            return matrix
        return normalize(matrix)

    def get_feature_names_out(self, input_features: Iterable[str] | None = None) -> np.ndarray:
        """Return ``<column>=<tag>`` for every output column."""
        check_is_fitted(self, "categories_")
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
            )
        input_features = list(input_features)
        if len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features should have length {self.n_features_in_}, "
                f"got {len(input_features)}"
            )
        return np.array(
            [
                f"{name}={tag}"
                for name, cats in zip(input_features, self.categories_)
                for tag in cats
            ],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        return tags


class MultiHotEncoder(_TagEncoderBase):
    """Encode list-valued columns (capabilities, products, markets) as multi-hot vectors.

    Unlike ``MultiLabelBinarizer``, it takes a 2-D input and so fits in a ``ColumnTransformer``.

    Parameters
    ----------
    weighting : {"idf", "binary"}, default="idf"
        ``idf`` weighs a tag by ``log((1 + n) / (1 + df)) + 1``: rare tags count for more.
    norm : {"l2", None}, default="l2"
        Scale each output row to unit length.
    min_frequency : int, default=1
        Tags seen in fewer rows are dropped.
    separator : str, default=";"
        Separator of tags inside a string cell.

    Attributes
    ----------
    categories_ : list of ndarray
        The tags of each input column, sorted.
    idf_ : list of ndarray
        The weight of each tag.
    """

    def __init__(
        self,
        weighting: str = "idf",
        norm: str | None = "l2",
        min_frequency: int = 1,
        separator: str = ";",
    ):
        self.weighting = weighting
        self.norm = norm
        self.min_frequency = min_frequency
        self.separator = separator


class CountryEncoder(_TagEncoderBase):
    """Encode country codes (one or a list per cell) as countries plus their continents.

    Two members in neighbouring countries share the continent column, so geography is
    graded (same country > same continent > elsewhere) instead of all-or-nothing.

    Parameters
    ----------
    continent_weight : float, default=0.5
        Weight of the continent column relative to the country column.
    weighting, norm, min_frequency, separator
        As in :class:`MultiHotEncoder`.
    """

    def __init__(
        self,
        continent_weight: float = 0.5,
        weighting: str = "binary",
        norm: str | None = "l2",
        min_frequency: int = 1,
        separator: str = ";",
    ):
        self.continent_weight = continent_weight
        self.weighting = weighting
        self.norm = norm
        self.min_frequency = min_frequency
        self.separator = separator

    def _expand(self, tag: str, column: int) -> list[str]:
        code = tag.strip().upper()
        continent = geography.continent(code)
        return [code, f"@{continent}"] if continent else [code]

    def _validate_params(self) -> None:
        if not (isinstance(self.continent_weight, (int, float)) and self.continent_weight >= 0):
            raise ValueError(
                f"Got continent_weight={self.continent_weight!r}, expected a number >= 0"
            )
        super()._validate_params()

    def _adjust_weights(self) -> None:
        """Weigh the continent columns by ``continent_weight``."""
        for cats, idf in zip(self.categories_, self.idf_):
            is_continent = np.array([str(c).startswith("@") for c in cats], dtype=bool)
            idf[is_continent] *= self.continent_weight


class TextEncoder(TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams within word boundaries, for Ukrainian, Russian and English.

    Character n-grams match inflected forms ("трикотаж", "трикотажних", "трикотажные") without
    a stemmer for each language. Accents are not stripped: that would turn й into и and ї into і.
    Several input columns are joined with a space.

    Parameters
    ----------
    ngram_range : tuple of int, default=(3, 5)
    min_df : int or float, default=1
    max_features : int or None, default=50000
    sublinear_tf : bool, default=True
    max_fit_documents : int or None, default=20000
        The vocabulary and weights are learned on at most this many documents, drawn at random
        (all of them when there are fewer); None learns on all.
    random_state : int, default=0
        Seed of that draw.

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer

    Notes
    -----
    ``char_wb`` n-grams never cross a word boundary, so a document's n-gram counts are the sum
    of its words' counts. :meth:`transform` therefore analyses each distinct word once and
    forms the documents' counts as a sparse product (documents x words) @ (words x n-grams):
    the same matrix as ``TfidfVectorizer.transform``, several times faster on large inputs,
    where the same words recur in many documents.
    """

    #: From this many documents, :meth:`transform` forms the counts word by word (see the
    #: notes); below, the vectorizer's own transform is faster.
    WORD_PRODUCT_FROM = 2000

    def __init__(
        self,
        ngram_range: tuple[int, int] = (3, 5),
        min_df: float = 1,
        max_features: int | None = 50000,
        sublinear_tf: bool = True,
        max_fit_documents: int | None = 20000,
        random_state: int = 0,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.max_fit_documents = max_fit_documents
        self.random_state = random_state

    def _documents(self, X: Any, reset: bool) -> list[str]:
        _validate_cells(self, X, reset)
        if isinstance(X, pd.DataFrame) and X.shape[1] == 1 and X.shape[0]:
            # One column of plain text (the common case): the cells are the documents.
            values = X.iloc[:, 0].tolist()
            if set(map(type, values)) == {str}:
                return values
        array = _as_2d_object(X)
        if array.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={array.shape}) while a minimum "
                "of 1 is required."
            )
        return [" ".join(" ".join(_items(cell, "")) for cell in row) for row in array]

    def fit(self, X: Any, y: Any = None) -> TextEncoder:
        """Learn the n-gram vocabulary and weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns)
            Text cells; empty cells are allowed.
        """
        documents = self._documents(X, reset=True)
        limit = self.max_fit_documents
        if limit is not None and len(documents) > limit:
            chosen = np.random.default_rng(self.random_state).choice(
                len(documents), limit, replace=False
            )
            documents = [documents[i] for i in np.sort(chosen)]
        if len(documents) >= self.WORD_PRODUCT_FROM:
            by_words = self._fit_by_words(documents)
            if by_words is not None:
                self.vectorizer_ = by_words
                return self
        self.vectorizer_ = self._vectorizer()
        # An input with no text at all still fits (every row then encodes to zeros).
        if not any(doc.strip() for doc in documents):
            documents = documents + ["   "]
        try:
            self.vectorizer_.fit(documents)
        except ValueError:
            self.vectorizer_ = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 1), min_df=1, strip_accents=None
            ).fit(documents + [" x "])
        return self

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            lowercase=True,
            strip_accents=None,
            dtype=np.float64,
            vocabulary=vocabulary,
        )

    def _fit_by_words(self, documents: list[str]) -> TfidfVectorizer | None:
        """What ``self._vectorizer().fit(documents)`` learns, from each distinct word's n-grams
        (see the class notes; about ten times faster on 20,000 sentences): the same
        vocabulary, chosen by the vectorizer's rule (document counts of at least ``min_df``,
        then the ``max_features`` most frequent over the documents, ties as its ``argsort``
        leaves them, over the n-grams in sorted order), and the same weights. The vectorizer
        returned holds that vocabulary as its ``vocabulary``. None when no document has a
        word (the vectorizer's own fit then decides)."""
        lowered = [doc.lower() for doc in documents]
        if not any(doc.split() for doc in lowered):
            return None
        words = CountVectorizer(analyzer=str.split, lowercase=False, dtype=np.float64)
        doc_words = words.fit_transform(lowered).tocsr()
        grams = CountVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            lowercase=False,
            dtype=np.float64,
        )
        word_grams = grams.fit_transform(list(words.get_feature_names_out())).tocsr()
        counts = (doc_words @ word_grams).tocsr()  # documents x n-grams (sorted), whole counts
        n_documents = counts.shape[0]
        least = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_documents
        kept = np.bincount(counts.indices, minlength=counts.shape[1]) >= least
        if self.max_features is not None and kept.sum() > self.max_features:
            totals = np.asarray(counts.sum(axis=0)).ravel()
            most = (-totals[kept]).argsort()[: self.max_features]
            chosen = np.zeros(len(kept), dtype=bool)
            chosen[np.flatnonzero(kept)[most]] = True
            kept = chosen
        columns = np.flatnonzero(kept)
        if not len(columns):
            return None
        names = grams.get_feature_names_out()[columns].tolist()
        weights = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts[:, columns])
        vectorizer = self._vectorizer({name: i for i, name in enumerate(names)})
        vectorizer.idf_ = weights.idf_  # the public way to give a vectorizer its weights
        return vectorizer

    def transform(self, X: Any) -> sp.csr_matrix:
        """Return the L2-normalised TF-IDF rows, shape (n_samples, n_ngrams)."""
        check_is_fitted(self, "vectorizer_")
        return self._tfidf(self._documents(X, reset=False))

    def _tfidf(self, documents: list[str]) -> sp.csr_matrix:
        """``vectorizer_.transform(documents)``, computed word by word (see the class notes)."""
        if self.vectorizer_.analyzer != "char_wb" or len(documents) < self.WORD_PRODUCT_FROM:
            return self.vectorizer_.transform(documents)
        codes, distinct = _distinct(documents)
        doc_words, word_grams = self._word_parts(distinct)
        matrix = self._weigh(doc_words @ word_grams)
        return matrix if len(distinct) == len(documents) else matrix[codes]

    def _word_parts(self, documents: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(documents x words counts, words x n-grams counts) of `documents`."""
        if not any(doc.split() for doc in documents):
            # Not one word (no profile gives this text: no descriptions, or none that states a
            # need): every row encodes to zeros, as the vectorizer's own transform gives them;
            # CountVectorizer would refuse the empty vocabulary.
            return (
                sp.csr_matrix((len(documents), 0), dtype=np.float64),
                sp.csr_matrix((0, len(self.vectorizer_.vocabulary_)), dtype=np.float64),
            )
        # Words as char_wb sees them: lower-cased, split on whitespace.
        words = CountVectorizer(analyzer=str.split, lowercase=False, dtype=np.float64)
        doc_words = words.fit_transform([doc.lower() for doc in documents])
        counter = CountVectorizer(
            analyzer="char_wb",
            ngram_range=self.vectorizer_.ngram_range,
            lowercase=False,
            vocabulary=self.vectorizer_.vocabulary_,
            dtype=np.float64,
        )
        return doc_words.tocsr(), counter.transform(list(words.get_feature_names_out())).tocsr()

    def _weigh(self, counts: sp.spmatrix) -> sp.csr_matrix:
        """TF-IDF weighting and normalisation of n-gram counts, as the fitted vectorizer does."""
        counts = counts.tocsr()
        if self.vectorizer_.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1
        counts = counts @ sp.diags(self.vectorizer_.idf_)
        return normalize(counts.tocsr(), norm=self.vectorizer_.norm, copy=False)

    def transform_reduced(
        self, X: Any, reduce, chunk: int = 50_000, dtype: Any = None
    ) -> np.ndarray:
        """``reduce(self.transform(X))`` computed in chunks of rows, so that the sparse TF-IDF of
        many documents is never held whole; words are analysed once for all chunks, and a
        document that recurs is encoded once (generated need texts repeat: 19,000 distinct in
        a million). `reduce` must work row by row (as a projection does). `dtype`: of the
        returned rows, cast chunk by chunk, so no wider copy of them all is made."""
        check_is_fitted(self, "vectorizer_")
        documents = self._documents(X, reset=False)
        if self.vectorizer_.analyzer != "char_wb" or len(documents) < self.WORD_PRODUCT_FROM:
            return np.asarray(reduce(self._tfidf(documents)), dtype=dtype)
        codes, distinct = _distinct(documents)
        doc_words, word_grams = self._word_parts(distinct)

        def reduced(start: int) -> np.ndarray:
            return np.asarray(reduce(self._weigh(doc_words[start : start + chunk] @ word_grams)))

        # Two threads: the sparse products and the projection release the GIL, so on 2 idle
        # cores the chunks take 0.6 of the time (a million generated offer texts: 2.5 s, not
        # 4 s); the results are those of one thread.
        starts = range(0, len(distinct), chunk)
        parts = Parallel(n_jobs=min(2, len(starts)), backend="threading", return_as="generator")(
            delayed(reduced)(start) for start in starts
        )
        out = None
        for start, part in zip(starts, parts):
            if out is None:
                out = np.empty((len(distinct), part.shape[1]), dtype=dtype or part.dtype)
            out[start : start + len(part)] = part
        return out if len(distinct) == len(documents) else out[codes]

    def get_feature_names_out(self, input_features: Iterable[str] | None = None) -> np.ndarray:
        """Return ``text=<n-gram>`` for every output column."""
        check_is_fitted(self, "vectorizer_")
        return np.array(
            [f"text={gram}" for gram in self.vectorizer_.get_feature_names_out()], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags


# ---------------------------------------------------------------------------------------------
# The two views
# ---------------------------------------------------------------------------------------------


def _distinct(documents: list[str]) -> tuple[np.ndarray, list[str]]:
    """(the code of each document, the distinct documents in order of first appearance)."""
    codes, distinct = pd.factorize(np.array(documents, dtype=object))
    return codes, list(distinct)


def _cell_key(cell: Any) -> Any:
    """A hashable key for a cell (lists become tuples; NaN-like cells one key)."""
    if isinstance(cell, list):
        return ("__list__", tuple(_cell_key(c) for c in cell))
    if isinstance(cell, np.ndarray):
        return ("__array__", tuple(_cell_key(c) for c in cell.tolist()))
    if isinstance(cell, float) and math.isnan(cell):
        return ("__nan__",)
    try:
        hash(cell)
    except TypeError:
        return ("__repr__", repr(cell))
    return (type(cell).__name__, cell)


def _validate_cells(estimator: BaseEstimator, X: Any, reset: bool) -> None:
    """scikit-learn's input checks (``n_features_in_`` and ``feature_names_in_`` set on fit,
    checked on transform) for a table whose cells may be lists, strings or numbers: the array
    itself is not converted (a sparse input is refused by :func:`_as_2d_object`)."""
    if sp.issparse(X):
        _as_2d_object(X)
    validate_data(
        estimator,
        X,
        reset=reset,
        dtype=None,
        ensure_all_finite=False,
        ensure_2d=True,
        skip_check_array=not isinstance(X, np.ndarray),
    )


def _text_parts(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    from ..text import split_many

    parts = split_many(frame["description"].tolist())
    return [offer for offer, _ in parts], [need for _, need in parts]


def _effective(frame: pd.DataFrame, column: str, fallback: str) -> np.ndarray:
    """``given or found`` of each row (the tags given, else those read in the description)."""
    given = frame[column].to_numpy(dtype=object)
    return np.where(
        np.fromiter(map(bool, given), dtype=bool, count=len(given)),
        given,
        frame[fallback].to_numpy(dtype=object),
    )


def _view_frame(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """A frame of object columns (the encoders read Python objects: pandas' string columns
    would be converted to Arrow and back), indexed as `frame`."""
    return pd.DataFrame(
        {
            name: pd.Series(values, index=frame.index, dtype=object)
            if not isinstance(values, pd.Series)
            else values.astype(object)
            for name, values in columns.items()
        }
    )


def offer_frame(frame: pd.DataFrame, texts: list[str] | None = None) -> pd.DataFrame:
    """Return the offer view's input columns of a validated profile frame."""
    if texts is None:
        texts = _text_parts(frame)[0]
    return _view_frame(
        frame,
        {
            "capabilities": _effective(frame, "offers", "text_offers"),
            "products": _effective(frame, "products", "text_products"),
            "markets": frame["markets_present"],
            "location": frame["country"],
            "text": texts,
        },
    )


def need_frame(frame: pd.DataFrame, texts: list[str] | None = None) -> pd.DataFrame:
    """Return the need view's input columns of a validated profile frame."""
    if texts is None:
        texts = _text_parts(frame)[1]
    return _view_frame(
        frame,
        {
            "capabilities": _effective(frame, "seeks", "text_seeks"),
            "products": _effective(frame, "products", "text_products"),
            "markets": frame["markets_target"],
            "location": frame["country"],
            "text": texts,
        },
    )


def _has_content(frame: pd.DataFrame, columns: list[str]) -> bool:
    """Whether any cell of `columns` of an offer or need frame holds something: a non-empty
    tuple of tags or a non-blank string (each distinct cell is looked at once)."""
    for column in columns:
        _codes, distinct = pd.factorize(frame[column].to_numpy(dtype=object))
        for cell in distinct:
            if isinstance(cell, str) and cell.strip():
                return True
            if isinstance(cell, (tuple, list)) and len(cell):
                return True
    return False


class OfferNeedEncoder(TransformerMixin, BaseEstimator):
    """Encode validated profiles into aligned offer and need views.

    One ``ColumnTransformer`` of a :class:`MultiHotEncoder` per tag block, a
    :class:`CountryEncoder` for markets and seat, and a :class:`TextEncoder`, fitted on the offer
    and the need rows together so that both views share vocabularies and weights.

    Parameters
    ----------
    block_weights : dict or None
        Weight of each block of :data:`VIEW_BLOCKS`; ``None`` uses
        ``{"capabilities": 1.0, "products": 0.5, "markets": 0.4, "location": 0.3, "text": 0.5}``.
    text : bool, default=True
        Include the text block.

    Attributes
    ----------
    column_transformer_ : ColumnTransformer
    block_slices_ : dict of str to slice
        Columns of each block within one view.
    """

    DEFAULT_BLOCK_WEIGHTS: ClassVar[dict[str, float]] = {
        "capabilities": 1.0,
        "products": 0.5,
        "markets": 0.4,
        "location": 0.3,
        "text": 0.5,
    }

    def __init__(self, block_weights: dict[str, float] | None = None, text: bool = True):
        self.block_weights = block_weights
        self.text = text

    def _blocks(self) -> list[tuple[str, Any, list[str]]]:
        blocks = [
            ("capabilities", MultiHotEncoder(weighting="idf"), ["capabilities"]),
            ("products", MultiHotEncoder(weighting="idf"), ["products"]),
            ("markets", CountryEncoder(), ["markets"]),
            ("location", CountryEncoder(), ["location"]),
        ]
        if self.text:
            blocks.append(("text", TextEncoder(), ["text"]))
        return blocks

    def fit(self, X: pd.DataFrame, y: Any = None) -> OfferNeedEncoder:
        """Fit the blocks on the offer and need rows of the validated profile frame `X`."""
        self.fit_transform_views(X)
        return self

    def fit_transform_views(self, X: pd.DataFrame) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Fit as :meth:`fit` does and return :meth:`transform_views` of `X`: the blocks encode
        the offer and need rows as they are fitted on them (scikit-learn's ColumnTransformer
        fits by fit_transform), so those rows are not encoded a second time."""
        weights = dict(self.DEFAULT_BLOCK_WEIGHTS)
        if self.block_weights is not None:
            unknown = set(self.block_weights) - set(VIEW_BLOCKS)
            if unknown:
                raise ValueError(
                    f"Got block_weights for {sorted(unknown)}, expected keys of {list(VIEW_BLOCKS)}"
                )
            weights.update(self.block_weights)
        offer_texts, need_texts = self._texts(X)
        stacked = pd.concat(
            [offer_frame(X, offer_texts), need_frame(X, need_texts)], ignore_index=True
        )
        # A block with nothing to encode (no profile names a market, no description anywhere)
        # encodes nothing: dropped, so its slice of the views is empty.
        blocks = [
            (name, encoder if _has_content(stacked, columns) else "drop", columns)
            for name, encoder, columns in self._blocks()
        ]
        self.column_transformer_ = ColumnTransformer(
            blocks,
            transformer_weights={name: weights[name] for name, _, _ in blocks},
            sparse_threshold=1.0,
        )
        views = sp.csr_matrix(self.column_transformer_.fit_transform(stacked))
        self.block_weights_ = weights
        self.block_slices_ = {
            name: self.column_transformer_.output_indices_[name] for name, _, _ in blocks
        }
        self.n_features_in_ = X.shape[1]
        return views[: len(X)], views[len(X) :]

    def _view(self, frame: pd.DataFrame) -> sp.csr_matrix:
        check_is_fitted(self, "column_transformer_")
        return sp.csr_matrix(self.column_transformer_.transform(frame))

    def transform_offers(self, X: pd.DataFrame) -> sp.csr_matrix:
        """Return the offer view, shape (n_profiles, n_view_features)."""
        return self._view(offer_frame(X))

    def transform_needs(self, X: pd.DataFrame) -> sp.csr_matrix:
        """Return the need view, shape (n_profiles, n_view_features)."""
        return self._view(need_frame(X))

    def transform_views(self, X: pd.DataFrame) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Return (offer view, need view), each of shape (n_profiles, n_view_features)."""
        offer_texts, need_texts = self._texts(X)
        return self._view(offer_frame(X, offer_texts)), self._view(need_frame(X, need_texts))

    def _texts(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        """The descriptions' offer and need parts; not split at all without the text block."""
        if self.text:
            return _text_parts(X)
        empty = [""] * len(X)
        return empty, empty

    def transform(self, X: pd.DataFrame) -> sp.csr_matrix:
        """Return both views side by side, shape (n_profiles, 2 * n_view_features)."""
        offers, needs = self.transform_views(X)
        return sp.hstack([offers, needs], format="csr")

    def get_view_feature_names(self) -> np.ndarray:
        """Return the names of one view's columns (``capabilities__capabilities=sewing``, ...)."""
        check_is_fitted(self, "column_transformer_")
        return self.column_transformer_.get_feature_names_out()

    def get_feature_names_out(self, input_features: Iterable[str] | None = None) -> np.ndarray:
        """Return ``offer__<name>`` then ``need__<name>`` for every view column."""
        names = self.get_view_feature_names()
        return np.concatenate(
            [np.char.add("offer__", names.astype(str)), np.char.add("need__", names.astype(str))]
        ).astype(object)
