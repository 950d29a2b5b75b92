"""The manager page "Models": the model versions, and how the active one does.

Routes on the pages' blueprint ``web`` (imported by :mod:`api.web` before the blueprint is
registered). The page lists the versions (as ``GET /api/v1/models`` does) and says, in words, what
the active version showed since its activation and what members did with it, beside the version
active before it, and what it learned from: the figures of ``GET /api/v1/models/{version_id}``,
through the same code (:func:`api.services.model_figures.active_version_figures`). A manager
reads its own network's members' feedback, an admin every network's. An admin may activate a
ready version here (a form posted with the CSRF token), through the API's own service function
(:func:`api.services.serving.activate_ready_version`).
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, url_for

from ..db import get_db
from ..errors import ApiError
from ..services.insights import refresh_insights
from ..services.model_figures import active_version_figures, feedback_network
from ..services.serving import activate_ready_version, model_versions
from ..tables import ModelVersion
from .i18n import N_, _
from .login import login_required, signed_in_caller
from .names import network_name
from .views import bp, error_page

logger = logging.getLogger(__name__)

#: What a pair of members taught the active version (its manifest's ``feedback``: outcomes of
#: :mod:`matcher.engine.learning`), strongest first.
LEARNED_OUTCOMES = {
    "deal": N_("A deal"),
    "meeting": N_("A meeting held"),
    "mutual": N_("Accepted by both sides"),
    "accepted": N_("Accepted by one side"),
    "declined": N_("Declined"),
    "ignored": N_("Shown and left unanswered"),
}
#: A version's status (:class:`api.tables.ModelVersion`), as the list says it.
STATUS_WORDS = {
    "training": N_("being trained"),
    "ready": N_("ready"),
    "failed": N_("failed"),
    "purged": N_("purged"),
}


def _outcome_order(item: tuple[str, int]) -> tuple[int, str]:
    outcome = item[0]
    order = list(LEARNED_OUTCOMES)
    return (order.index(outcome) if outcome in order else len(order), outcome)


def _models_page(problems: list[str] | None = None, status: int = 200):
    """The page: versions, the active version's figures; `problems` said above them."""
    session = get_db()
    caller = signed_in_caller()
    network = feedback_network(caller)
    if network is None:
        return error_page(403, _("You look after no network; an administrator can assign you one."))
    figures = active_version_figures(session, network)
    learned = figures.learned_from or {}
    versions = model_versions(session)
    page = render_template(
        "web/models.html",
        versions=versions,
        active_version=next((version for version in versions if version.active), None),
        status_words={status: _(text) for status, text in STATUS_WORDS.items()},
        figures=figures,
        network=network,
        network_label=network_name(network) if network else "",
        # The known outcomes strongest first, then any other the manifest names, as named.
        learned=[
            (outcome, _(LEARNED_OUTCOMES[outcome]) if outcome in LEARNED_OUTCOMES else outcome, n)
            for outcome, n in sorted(learned.items(), key=_outcome_order)
            if n
        ],
        learned_total=sum(learned.values()),
        may_activate=caller.role == "admin",
        problems=problems or [],
    )
    return page, status


@bp.get("/models")
@login_required
def models():
    """The model versions, and what the active one showed and what came of it."""
    return _models_page()


@bp.post("/models/<int:version_id>/activate")
@login_required
def model_activate(version_id: int):
    """Make a ready version the one that serves (admins only, as in the API)."""
    caller = signed_in_caller()
    if caller.role != "admin":
        return error_page(
            403,
            _(
                "Only an administrator may activate another model version: one model serves every network."
            ),
        )
    session = get_db()
    version = session.get(ModelVersion, version_id)
    if version is None:
        return error_page(404, _("Model version {version} doesn't exist.", version=version_id))
    if version.status != "ready":
        problem = _(
            "Version {version} is not ready (it is {status}); only a ready version can be activated.",
            version=version_id,
            status=version.status,
        )
        return _models_page([problem], 409)
    try:
        activate_ready_version(session, current_app.config["MODELS_DIR"], version_id)
    except ApiError as error:
        session.rollback()
        problem = _(
            "Version {version} was not activated: {reason}",
            version=version_id,
            reason=error.description or "",
        )
        return _models_page([problem], error.code or 409)
    session.commit()
    logger.info("model version %s activated by user %s on the pages", version_id, caller.user_id)
    # The figures managers read depend on the serving model: recompute them now (as the API).
    refresh_insights(current_app._get_current_object())
    flash(_("Version {version} is now active.", version=version.name or version_id))
    return redirect(url_for("web.models"))
