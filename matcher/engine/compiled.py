"""Numeric loops compiled by numba, in one way everywhere.

numba is a required dependency: the loops of the pair features, the candidate stage, the top-k
selection and the tree walk are written in plain Python over numpy arrays and compiled on
first use. :func:`compiled` gives each the same options: machine code only (no Python
objects), the GIL released so that threads run it side by side, and the machine code cached
on disk beside the module, so that a new process does not compile it again.

numba checks a cached function against its own module's source only: a compiled function
that calls another (``_row_features`` calls ``_ratio``) is kept in the same module as it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from numba import njit

__all__ = ["compiled"]

F = TypeVar("F", bound=Callable)


def compiled(function: F, *, fastmath: bool = False) -> F:
    """`function` compiled by numba (see the module docstring); `fastmath` lets it reorder
    floating-point sums (for loops whose exact rounding does not matter)."""
    return njit(cache=True, nogil=True, fastmath=fastmath)(function)
