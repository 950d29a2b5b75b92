"""One block of a batch job: each member's shortlist against the candidates, by
:meth:`matcher.engine.ranking.PartnerMatcher.recommend_many`, as rows of the shortlist table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.ranking import LANGUAGES, SCOPES, PartnerMatcher
from ..errors import InputError

__all__ = ["OUTPUT_COLUMNS", "BatchScorer", "BatchSpec"]


#: The first columns of the shortlist table; a candidate file's extra columns follow.
OUTPUT_COLUMNS = (
    "member_id",
    "rank",
    "partner_id",
    "partner_name",
    "score",
    "reasons",
    "member_name",
    "partner_country",
    "partner_org_type",
    "partner_network",
)


@dataclass(frozen=True)
class BatchSpec:
    """What a batch job asks: the shortlist size, the scope and filters, the language."""

    k: int = 20
    scope: str = "all"
    filters: Mapping[str, Any] = field(default_factory=dict)
    language: str = "en"
    block_rows: int = 256

    def __post_init__(self):
        for name in ("k", "block_rows"):
            value = getattr(self, name)
            if not (
                isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0
            ):
                raise InputError(f"Got {name}={value!r}, expected a positive integer")
        if self.scope not in SCOPES:
            raise InputError(f"Got scope={self.scope!r}, expected one of {', '.join(SCOPES)}")
        if self.language not in LANGUAGES:
            raise InputError(
                f"Got language={self.language!r}, expected one of {', '.join(map(repr, LANGUAGES))}"
            )


class BatchScorer:
    """Scores blocks of members against a fixed set of candidates with a fitted matcher:
    :meth:`PartnerMatcher.recommend_many` over the candidates, one block at a time, as rows of
    the shortlist table.

    Parameters
    ----------
    matcher : PartnerMatcher
        Fitted on profiles that include every member and every candidate.
    candidate_ids : sequence of str
    spec : BatchSpec
    candidate_extra : mapping of str to mapping, optional
        Each candidate's extra columns (hall, stand, ...), written beside each suggestion of
        it; by default those of the model's own profiles. A model given by name was fitted on
        other files: the candidate file's columns are the ones to write.
    """

    def __init__(
        self,
        matcher: PartnerMatcher,
        candidate_ids: Sequence[str],
        spec: BatchSpec,
        candidate_extra: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        self.matcher = matcher
        self.spec = spec
        self.candidate_extra = None if candidate_extra is None else dict(candidate_extra)
        self.candidates = matcher.candidate_set(candidate_ids)
        #: Whether every candidate is scored (no retrieval stage): at most ``exhaustive_below``
        #: candidates, or a model without a vector index.
        self.exhaustive = matcher.index_ is None or len(self.candidates) <= matcher.exhaustive_below

    def _profile_columns(self) -> dict[str, np.ndarray]:
        """The fitted profiles' columns the table shows, as object arrays read once per
        process: a row's cell is then an index, where ``matcher.profile`` builds the whole
        profile and checks the model each time (a tenth of the block's time at 20,000)."""
        columns = self.__dict__.get("_columns")
        if columns is None:
            frame = self.matcher.frame_
            columns = self._columns = {
                name: frame[name].to_numpy(dtype=object)
                if name in frame.columns
                else np.full(len(frame), None, dtype=object)  # a model saved without extras
                for name in ("name", "country", "org_type", "network", "extra")
            }
        return columns

    def __getstate__(self) -> dict:
        # Workers read the columns from their own (memory-mapped) copy of the model.
        return {key: value for key, value in self.__dict__.items() if key != "_columns"}

    def score(self, member_rows: np.ndarray) -> pd.DataFrame:
        """The shortlists of the members at `member_rows` (rows of the fitted profiles)."""
        m, spec = self.matcher, self.spec
        ids = m.frame_["member_id"].to_numpy()[np.asarray(member_rows, dtype=np.int64)].tolist()
        shortlists = m.recommend_many(
            ids,
            spec.k,
            candidates=self.candidates,
            scope=spec.scope,
            filters=spec.filters,
            language=spec.language,
        )
        columns, position = self._profile_columns(), m.position_
        records: list[dict[str, Any]] = []
        for member_id, suggestions in zip(ids, shortlists):
            member_name = columns["name"][position[member_id]]
            for rank, suggestion in enumerate(suggestions, start=1):
                row = position[suggestion.partner_id]
                record = {
                    "member_id": member_id,
                    "rank": rank,
                    "partner_id": suggestion.partner_id,
                    "partner_name": suggestion.name,
                    "score": round(suggestion.score, 4),
                    "reasons": "; ".join(suggestion.reasons),
                    "member_name": member_name,
                    "partner_country": columns["country"][row],
                    "partner_org_type": columns["org_type"][row],
                    "partner_network": columns["network"][row],
                }
                extra = (
                    columns["extra"][row]
                    if self.candidate_extra is None
                    else self.candidate_extra.get(suggestion.partner_id)
                )
                for key, value in (extra or {}).items():
                    record.setdefault(str(key), value)
                records.append(record)
        return pd.DataFrame.from_records(records, columns=None if records else list(OUTPUT_COLUMNS))
