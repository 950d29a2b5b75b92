"""Model versions (:mod:`api.versions`): a version with its manifest, the list, a retrain."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

__all__ = [
    "ModelList",
    "ModelOut",
    "ModelPath",
    "RetrainIn",
    "ServedFiguresOut",
    "ServingPeriodOut",
]


class ServingPeriodOut(BaseModel):
    """What one version showed while it served, and what came of it
    (:mod:`api.services.model_figures`)."""

    version_id: int
    name: str | None
    since: str = Field(description="When the version was activated.")
    until: str | None = Field(description="When another version was activated (null: serving).")
    shown: int = Field(description="Suggestions first shown in the period (member and partner).")
    members: int = Field(description="Members shown at least one of them.")
    accepted: int = Field(description="Of those, accepted by the member (at any time after).")
    declined: int = Field(description="Of those, declined by the member (at any time after).")
    meeting: int = Field(description="Pairs of members that met after it (once per pair).")
    deal: int = Field(description="Pairs of members that made a deal after it (once per pair).")
    acceptance: float | None = Field(description="accepted / shown (null: nothing shown).")


class ServedFiguresOut(BaseModel):
    """The active version's figures beside the previous version's, on the caller's network."""

    network: str | None = Field(
        description="The network whose members' feedback is counted (a manager's own; null: "
        "every network, for an admin)."
    )
    active: ServingPeriodOut | None = Field(
        description="Since the active version's activation (null: never recorded)."
    )
    previous: ServingPeriodOut | None = Field(
        description="The version activated before it, while it served (null: none)."
    )
    learned_from: dict[str, int] | None = Field(
        description="The feedback the active version learned from: pairs by outcome (its "
        "manifest's `feedback`, every network's)."
    )


class ModelOut(BaseModel):
    """A model version with its manifest (evaluation figures included when computed)."""

    version_id: int
    name: str | None
    status: str
    active: bool
    error: str | None
    created_at: str
    finished_at: str | None
    activated_at: str | None = Field(
        None, description="When the version last became the active one (null: never recorded)."
    )
    manifest: dict[str, Any] | None
    served: ServedFiguresOut | None = Field(
        None,
        description="Only in `GET /models/{version_id}` of the active version: what it showed "
        "since its activation and what members did with it, beside the previous version.",
    )


class ModelList(BaseModel):
    items: list[ModelOut]
    serving: int | None = Field(description="The version this worker serves.")


class ModelPath(BaseModel):
    version_id: int = Field(ge=1, le=2_000_000_000)


class RetrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activate: StrictBool = Field(
        True, description="Activate the new version once it is trained and checked."
    )
