"""Cluster insights for managers: :mod:`.gradation`, :mod:`.supply` (supply and demand),
:mod:`.markets`, :mod:`.network`, :mod:`.outcomes`, all of them together in :mod:`.cluster`
(which also defines every figure), what they share in :mod:`.common`, and their report as
HTML, XLSX and JSON (:mod:`.report`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(
    __name__,
    ("common", "gradation", "supply", "markets", "network", "outcomes", "cluster", "report"),
)
