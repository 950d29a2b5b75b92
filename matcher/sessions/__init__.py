"""Matchmaking sessions: the session as data (:mod:`.model`), participants and wishes
(:mod:`.wishes`), candidate meetings and conflicts (:mod:`.agenda`), hand edits (:mod:`.edits`),
publication and outcomes (:mod:`.outcomes`), the agenda's solver (:mod:`.scheduler`) and its
exports: CSV, XLSX, ICS, a printable page (:mod:`.exports`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(
    __name__, ("model", "wishes", "agenda", "edits", "outcomes", "scheduler", "exports")
)
