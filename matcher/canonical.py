"""Compressed sparse matrices in canonical form (sorted column indices, no duplicates).

A fitted model's sparse matrices are read by code that needs sorted rows (the merge of
:func:`matcher.engine.pairs._row_dots`) and by processes that open the model as a read-only memory map
(``matcher batch``'s workers), where sorting a matrix on first use fails. A TF-IDF formed by a
sparse product (the profiles' names above 2,000 profiles) comes out with unsorted column
indices, so :meth:`matcher.engine.ranking.PartnerMatcher.fit` puts every matrix it keeps in canonical
form, and :func:`matcher.engine.artifacts.save_model` and :func:`matcher.batch.jobs.run_batch` check again
(a model may have been changed after fitting).

This module imports nothing of the package, so that every module may use it.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["canonical_sparse"]

#: Values never searched for matrices: arrays, frames, scalars, types, modules and functions.
_LEAVES = (
    np.ndarray,
    pd.DataFrame,
    pd.Series,
    pd.Index,
    str,
    bytes,
    int,
    float,
    complex,
    bool,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)


def canonical_sparse(obj: Any) -> int:
    """Put every compressed sparse matrix reachable from `obj` in canonical form, in place.

    Parameters
    ----------
    obj : object
        A fitted model; its attributes, containers and their attributes are searched (not
        arrays, frames or functions).

    Returns
    -------
    int
        How many matrices were changed.
    """
    changed, seen, stack = 0, set(), [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, _LEAVES) or item is None:
            continue
        seen.add(id(item))
        if sp.issparse(item):
            if item.format in ("csr", "csc", "bsr") and not item.has_canonical_format:
                if all(array.flags.writeable for array in (item.data, item.indices, item.indptr)):
                    item.sum_duplicates()  # in place: no copy of a large fitted matrix
                else:
                    # A copy, then its arrays swapped in: the matrix's own arrays are read-only
                    # (a memory-mapped model).
                    canonical = item.copy()
                    canonical.sum_duplicates()
                    item.data, item.indices = canonical.data, canonical.indices
                    item.indptr = canonical.indptr
                    item.has_canonical_format = True
                changed += 1
            continue
        if isinstance(item, dict):
            values = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            values = item
        else:
            values = [
                *getattr(item, "__dict__", {}).values(),
                *(
                    getattr(item, name)
                    for name in getattr(type(item), "__slots__", ())
                    if isinstance(name, str) and hasattr(item, name)
                ),
            ]
        # Leaves are dropped here: a model's id -> row map holds a value per profile.
        stack.extend(value for value in values if not isinstance(value, _LEAVES))
    return changed
