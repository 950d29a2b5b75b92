"""The service's own answers (:func:`api.create_app`): liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["Health", "Ready"]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    """Readiness. ``degraded``: the active version's artifact does not load in this worker,
    and `model` (an older version) serves instead; `detail` says why."""

    status: Literal["ready", "degraded"]
    database: bool
    model: int | None = Field(description="The version this worker serves.")
    active_model: int | None = Field(None, description="The version activated in the database.")
    detail: str = ""
