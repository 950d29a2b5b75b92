"""The matching engine: profiles in, ranked and explained partners out.

Data flow: profiles (:mod:`matcher.profiles`) -> features (:mod:`.features`, the vector views;
:mod:`.pairs`, the pair features) -> index (:mod:`.retrieval`, :mod:`.firststage`, :mod:`.topk`)
-> ranking (:mod:`.ranking`, the learned score: :mod:`.forest`, :mod:`.model_selection`) ->
reasons (:mod:`.reasons`). :mod:`.artifacts` saves and loads trained models; :mod:`.evaluation`
measures them. :mod:`.compiled` and :mod:`.parallel` are the numba and multi-core helpers the
kernels share.

The names below are imported from their module on first use (:pep:`562`), so importing one
module of the package does not load the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .artifacts import (
        DEFAULT_MODELS_DIR,
        ArtifactError,
        canonical_sparse,
        data_hash,
        list_models,
        load_model,
        read_manifest,
        save_model,
    )
    from .compiled import (
        compiled,
    )
    from .evaluation import (
        METHODS,
        below_linear,
        evaluate,
        metrics_at,
        ranking_metrics,
        retrieval_recall,
    )
    from .features import (
        VIEW_BLOCKS,
        CountryEncoder,
        MultiHotEncoder,
        OfferNeedEncoder,
        TextEncoder,
        need_frame,
        offer_frame,
    )
    from .firststage import (
        FIRST_STAGE_FEATURES,
        FirstStage,
    )
    from .forest import (
        CompiledForest,
    )
    from .model_selection import (
        MAX_TRAINING_PAIRS,
        MODEL_CANDIDATES,
        OPTIONAL_FEATURES,
        FeatureMask,
        ModelCandidate,
        TrainingPairs,
        build_learner,
        candidate_named,
        feature_evidence_se,
        inner_scores,
        select_model,
        without_features,
    )
    from .pairs import (
        PAIR_FEATURES,
        PARTNER_EVIDENCE_PRIOR,
        RECIPROCITY_FLOOR,
        UNKNOWN_COVER,
        LinkStats,
        PairSpace,
        ProfileArrays,
        cf_votes,
        coverage,
        first_stage_sum,
        pair_features,
        reciprocity,
        reciprocity_of,
        split_texts,
        votes_at,
    )
    from .parallel import (
        split_rows,
    )
    from .ranking import (
        DEFAULT_WEIGHTS,
        LANGUAGES,
        MODEL_KINDS,
        SCOPES,
        PartnerMatcher,
        Suggestion,
    )
    from .reasons import (
        explain,
        main_risk,
    )
    from .retrieval import (
        ComplementIndex,
    )
    from .topk import (
        TopK,
        top_k_indices,
        top_k_rows,
    )

#: Each public name and the module of this package that defines it.
_MODULE_OF = {
    "compiled": "compiled",
    "split_rows": "parallel",
    "TopK": "topk",
    "top_k_indices": "topk",
    "top_k_rows": "topk",
    "VIEW_BLOCKS": "features",
    "CountryEncoder": "features",
    "MultiHotEncoder": "features",
    "OfferNeedEncoder": "features",
    "TextEncoder": "features",
    "need_frame": "features",
    "offer_frame": "features",
    "PAIR_FEATURES": "pairs",
    "PARTNER_EVIDENCE_PRIOR": "pairs",
    "RECIPROCITY_FLOOR": "pairs",
    "UNKNOWN_COVER": "pairs",
    "LinkStats": "pairs",
    "PairSpace": "pairs",
    "ProfileArrays": "pairs",
    "cf_votes": "pairs",
    "coverage": "pairs",
    "first_stage_sum": "pairs",
    "pair_features": "pairs",
    "reciprocity": "pairs",
    "reciprocity_of": "pairs",
    "split_texts": "pairs",
    "votes_at": "pairs",
    "FIRST_STAGE_FEATURES": "firststage",
    "FirstStage": "firststage",
    "CompiledForest": "forest",
    "ComplementIndex": "retrieval",
    "explain": "reasons",
    "main_risk": "reasons",
    "MAX_TRAINING_PAIRS": "model_selection",
    "MODEL_CANDIDATES": "model_selection",
    "OPTIONAL_FEATURES": "model_selection",
    "FeatureMask": "model_selection",
    "ModelCandidate": "model_selection",
    "TrainingPairs": "model_selection",
    "build_learner": "model_selection",
    "candidate_named": "model_selection",
    "feature_evidence_se": "model_selection",
    "inner_scores": "model_selection",
    "select_model": "model_selection",
    "without_features": "model_selection",
    "DEFAULT_WEIGHTS": "ranking",
    "LANGUAGES": "ranking",
    "MODEL_KINDS": "ranking",
    "SCOPES": "ranking",
    "PartnerMatcher": "ranking",
    "Suggestion": "ranking",
    "DEFAULT_MODELS_DIR": "artifacts",
    "ArtifactError": "artifacts",
    "canonical_sparse": "artifacts",
    "data_hash": "artifacts",
    "list_models": "artifacts",
    "load_model": "artifacts",
    "read_manifest": "artifacts",
    "save_model": "artifacts",
    "METHODS": "evaluation",
    "below_linear": "evaluation",
    "evaluate": "evaluation",
    "metrics_at": "evaluation",
    "ranking_metrics": "evaluation",
    "retrieval_recall": "evaluation",
}

__all__ = [
    "DEFAULT_MODELS_DIR",
    "DEFAULT_WEIGHTS",
    "FIRST_STAGE_FEATURES",
    "LANGUAGES",
    "MAX_TRAINING_PAIRS",
    "METHODS",
    "MODEL_CANDIDATES",
    "MODEL_KINDS",
    "OPTIONAL_FEATURES",
    "PAIR_FEATURES",
    "PARTNER_EVIDENCE_PRIOR",
    "RECIPROCITY_FLOOR",
    "SCOPES",
    "UNKNOWN_COVER",
    "VIEW_BLOCKS",
    "ArtifactError",
    "CompiledForest",
    "ComplementIndex",
    "CountryEncoder",
    "FeatureMask",
    "FirstStage",
    "LinkStats",
    "ModelCandidate",
    "MultiHotEncoder",
    "OfferNeedEncoder",
    "PairSpace",
    "PartnerMatcher",
    "ProfileArrays",
    "Suggestion",
    "TextEncoder",
    "TopK",
    "TrainingPairs",
    "below_linear",
    "build_learner",
    "candidate_named",
    "canonical_sparse",
    "cf_votes",
    "compiled",
    "coverage",
    "data_hash",
    "evaluate",
    "explain",
    "feature_evidence_se",
    "first_stage_sum",
    "inner_scores",
    "list_models",
    "load_model",
    "main_risk",
    "metrics_at",
    "need_frame",
    "offer_frame",
    "pair_features",
    "ranking_metrics",
    "read_manifest",
    "reciprocity",
    "reciprocity_of",
    "retrieval_recall",
    "save_model",
    "select_model",
    "split_rows",
    "split_texts",
    "top_k_indices",
    "top_k_rows",
    "votes_at",
    "without_features",
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
