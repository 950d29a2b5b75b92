"""Matchmaking sessions: participants, wishes, the agenda of one-to-one meetings, edits,
outcomes (:mod:`.model`), the agenda's solver (:mod:`.scheduler`) and its exports: CSV, XLSX,
ICS, a printable page (:mod:`.exports`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(__name__, ("model", "scheduler", "exports"))
