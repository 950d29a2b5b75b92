"""Generated data: the fictional sample cluster and large synthetic profile files
(:mod:`.generator`, its word tables in :mod:`.tables`), and the held-out value-chain world
(:mod:`.value_chain`) used to evaluate on data the engine was not built on.

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

__getattr__, __dir__ = lazy_package(__name__, ("generator", "value_chain"))
