"""Model versions: list them, retrain from the current data, activate one."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import func, select

from .auth import current_caller, require
from .db import get_db
from .errors import abort
from .insights import refresh_insights
from .schemas import ModelList, ModelOut, ModelPath, RetrainIn
from .serving import (
    activate_version,
    add_training_version,
    artifact_problem,
    fail_abandoned_versions,
    holder,
    start_training,
)
from .tables import Member, ModelVersion, isoformat

logger = logging.getLogger(__name__)

bp = APIBlueprint(
    "models",
    __name__,
    url_prefix="/api/v1/models",
    abp_tags=[Tag(name="models")],
    abp_security=[{"bearer": []}],
)


def version_payload(version: ModelVersion) -> dict[str, Any]:
    """Return the JSON of a model version."""
    return {
        "version_id": version.version_id,
        "name": version.name,
        "status": version.status,
        "active": version.active,
        "error": version.error,
        "created_at": isoformat(version.created_at),
        "finished_at": isoformat(version.finished_at),
        "manifest": version.manifest,
    }


@bp.get("", responses={200: ModelList})
@require("manager", "admin")
def list_versions():
    """List model versions, newest first, with manifests and evaluation figures."""
    session = get_db()
    versions = session.scalars(select(ModelVersion).order_by(ModelVersion.version_id.desc())).all()
    served = holder().get(session)
    return {
        "items": [version_payload(v) for v in versions],
        "serving": served.version_id if served else None,
    }


@bp.post("/retrain", responses={202: ModelOut})
@require("manager", "admin")
def retrain(body: RetrainIn):
    """Retrain from the current data in the background; the old model serves meanwhile."""
    caller = current_caller()
    session = get_db()
    if fail_abandoned_versions(session):
        session.commit()
    running = session.scalar(
        select(ModelVersion.version_id).where(ModelVersion.status == "training")
    )
    if running is not None:
        abort(409, f"version {running} is being trained; wait until it is ready or failed")
    live = session.scalar(
        select(func.count()).select_from(Member).where(Member.deleted_at.is_(None))
    )
    if live < 2:
        # Refused here rather than as a failed version a minute later.
        abort(409, f"{live} live member(s): a model needs at least two; import members first")
    version = add_training_version(session, caller.user_id)
    session.commit()
    start_training(current_app._get_current_object(), version.version_id, body.activate)
    logger.info("retraining as version %s, asked by user %s", version.version_id, caller.user_id)
    return version_payload(version), 202


@bp.get("/<int:version_id>", responses={200: ModelOut})
@require("manager", "admin")
def get_version(path: ModelPath):
    """Return one model version (poll it after a retrain)."""
    version = get_db().get(ModelVersion, path.version_id)
    if version is None:
        abort(404, f"Model version {path.version_id} doesn't exist.")
    return version_payload(version)


@bp.post("/<int:version_id>/activate", responses={200: ModelOut})
@require("admin")
def activate(path: ModelPath):
    """Make a ready version the one that serves (every worker switches on its next request).

    Admins only: one model serves every network, and a manager acts for its own network. A
    manager's retrain activates the version it trains on today's data; going back to an older
    version is an admin's choice.
    """
    session = get_db()
    version = session.get(ModelVersion, path.version_id)
    if version is None:
        abort(404, f"Model version {path.version_id} doesn't exist.")
    if version.status != "ready":
        abort(
            409,
            f"Model version {path.version_id} is {version.status}; only a ready version "
            "can be activated",
        )
    problem = artifact_problem(current_app.config["MODELS_DIR"], version.name)
    if problem:
        abort(409, f"Model version {path.version_id} was not activated: {problem}")
    activate_version(session, version.version_id)
    session.commit()
    session.refresh(version)
    # The figures managers read depend on the serving model: recompute them now.
    refresh_insights(current_app._get_current_object())
    return version_payload(version)
