"""Batch scoring: every member's shortlist against a candidate list (a fair's exhibitors),
in blocks, with parts on disk, resume and executors (:mod:`.scoring`).

The names below are imported from their module on first use (:pep:`562`), so importing one
module of the package does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scoring import (
        OUTPUT_COLUMNS,
        BatchScorer,
        BatchSpec,
        member_summary,
        reverse_view,
        run_batch,
        write_table,
    )

#: Each public name and the module of this package that defines it.
_MODULE_OF = {
    "OUTPUT_COLUMNS": "scoring",
    "BatchScorer": "scoring",
    "BatchSpec": "scoring",
    "member_summary": "scoring",
    "reverse_view": "scoring",
    "run_batch": "scoring",
    "write_table": "scoring",
}

__all__ = [
    "OUTPUT_COLUMNS",
    "BatchScorer",
    "BatchSpec",
    "member_summary",
    "reverse_view",
    "run_batch",
    "write_table",
]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
