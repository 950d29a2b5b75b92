"""The matching engine: profiles in, ranked and explained partners out.

Data flow: profiles (:mod:`matcher.profiles`) -> features (:mod:`.features`, the vector views;
:mod:`.pairs`, the pair features) -> index (:mod:`.retrieval`, :mod:`.firststage`, :mod:`.topk`)
-> ranking (:mod:`.ranking`, the learned score: :mod:`.forest`, :mod:`.model_selection`) ->
reasons (:mod:`.reasons`); :mod:`.strength` puts scores in words people read (a match's share
of the best, a tier). :mod:`.artifacts` saves and loads trained models, with a serving artifact
that :mod:`.serving` ranks from with numpy alone (the one-shot command); :mod:`.evaluation`
measures them. :mod:`.compiled` and :mod:`.parallel` are the numba and multi-core helpers the
kernels share.

Its modules' public names are its own, loaded on first use (:mod:`matcher.lazy`).
"""

from __future__ import annotations

from ..lazy import lazy_package

#: The engine's modules, in the order a name is looked for (the cheapest first).
MODULES = (
    "featurenames",
    "compiled",
    "parallel",
    "topk",
    "features",
    "pairs",
    "firststage",
    "forest",
    "retrieval",
    "reasons",
    "strength",
    "model_selection",
    "serving",
    "ranking",
    "artifacts",
    "evaluation",
)

__getattr__, __dir__ = lazy_package(__name__, MODULES)
