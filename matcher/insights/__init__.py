"""Cluster insights for managers (:mod:`.cluster`: gradation, supply and demand, markets,
network, outcomes) and their report as HTML, XLSX and JSON (:mod:`.report`).

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(__name__, ("cluster", "report"))
