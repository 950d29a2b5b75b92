"""Batch scoring: every member's shortlist against a candidate list (a fair's exhibitors). A
block of members is a call of the engine's ranking (:mod:`.scoring`); the job cuts the members
into blocks and keeps parts on disk, resumes and runs executors (:mod:`.jobs`); its tables are
viewed and written as CSV, XLSX or Parquet (:mod:`.outputs`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(__name__, ("scoring", "jobs", "outputs"))
