"""Batch scoring: every member's shortlist against a candidate list (a fair's exhibitors),
in blocks, with parts on disk, resume and executors (:mod:`.scoring`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(__name__, ("scoring",))
