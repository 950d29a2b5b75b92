"""Model versions: list them, retrain from the current data, activate one.

Thin views over :mod:`api.services.serving`, which trains, activates and serves the versions.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from .auth import current_caller, require
from .db import get_db
from .schemas import ModelList, ModelOut, ModelPath, RetrainIn
from .services.insights import refresh_insights
from .services.model_figures import active_version_figures, feedback_network
from .services.serving import (
    activate_ready_version,
    holder,
    model_versions,
    start_retrain,
    stored_version,
)
from .tables import ModelVersion, isoformat

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
        "activated_at": isoformat(version.activated_at),
        "manifest": version.manifest,
    }


@bp.get("", responses={200: ModelList})
@require("manager", "admin")
def list_versions():
    """List model versions, newest first, with manifests and evaluation figures."""
    session = get_db()
    versions = model_versions(session)
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
    version = start_retrain(
        current_app._get_current_object(), get_db(), caller.user_id, body.activate
    )
    logger.info("retraining as version %s, asked by user %s", version.version_id, caller.user_id)
    return version_payload(version), 202


@bp.get("/<int:version_id>", responses={200: ModelOut})
@require("manager", "admin")
def get_version(path: ModelPath):
    """Return one model version (poll it after a retrain); the active one with what it showed
    since its activation and what members did with it, beside the previous version (`served`:
    a manager counts its own network's members' feedback, an admin every network's; a manager
    who looks after no network gets none)."""
    session = get_db()
    version = stored_version(session, path.version_id)
    payload = version_payload(version)
    network = feedback_network(current_caller())
    if version.active and network is not None:
        payload["served"] = active_version_figures(session, network).to_dict()
    return payload


@bp.post("/<int:version_id>/activate", responses={200: ModelOut})
@require("admin")
def activate(path: ModelPath):
    """Make a ready version the one that serves (every worker switches on its next request).

    Admins only: one model serves every network, and a manager acts for its own network. A
    manager's retrain activates the version it trains on today's data; going back to an older
    version is an admin's choice.
    """
    session = get_db()
    version = activate_ready_version(session, current_app.config["MODELS_DIR"], path.version_id)
    session.commit()
    session.refresh(version)
    # The figures managers read depend on the serving model: recompute them now.
    refresh_insights(current_app._get_current_object())
    return version_payload(version)
