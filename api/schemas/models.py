"""Model versions (:mod:`api.versions`): a version with its manifest, the list, a retrain."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

__all__ = ["ModelList", "ModelOut", "ModelPath", "RetrainIn"]


class ModelOut(BaseModel):
    """A model version with its manifest (evaluation figures included when computed)."""

    version_id: int
    name: str | None
    status: str
    active: bool
    error: str | None
    created_at: str
    finished_at: str | None
    manifest: dict[str, Any] | None


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
