"""The cluster-matcher web service: partner suggestions, member data, roles, model versions.

``create_app(test_config=None)`` builds the app: defaults, then the instance config file
(``instance/config.py``), then ``MATCHER_*`` environment variables (and ``DATABASE_URL``), then
`test_config`. Run it with ``matcher serve`` (gunicorn) or ``flask --app api run``. The JSON
API lives under ``/api/v1``, the manager pages under ``/manage`` (:mod:`api.web`).

The layers: the foundation here (config, :mod:`.db`, :mod:`.tables`, :mod:`.migrations`,
:mod:`.errors`, :mod:`.auth`, :mod:`.limits`); the domain in :mod:`api.services` (plain
functions over the database, no request); over it, the API's blueprints (:mod:`.members`,
:mod:`.suggestions`, :mod:`.sessions`, :mod:`.exchange`, :mod:`.insights`, :mod:`.versions`,
:mod:`.users`: they parse a request, call a service and answer) and the pages
(:mod:`api.web`). ``tests/api/test_api_layers.py`` holds the imports to these lines.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_openapi3 import Info, OpenAPI
from sqlalchemy import text

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply to parse (``[`` x 100,000) is invalid
    JSON (a ValueError, which the request turns into a 400/422 problem) instead of a
    RecursionError and a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


def _defaults(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'matcher.sqlite'}",
        "MODELS_DIR": str(instance / "models"),
        "MODEL_KIND": "auto",
        # The share of each shortlist a retrained model gives to partners few have seen
        # (matcher.engine.ranking.SERVICE_EXPLORE; 0 turns exploration off).
        "EXPLORE": 0.1,
        "MODEL_CHECK_SECONDS": 1.0,
        "SUGGESTION_RATE_LIMIT": "600/minute",
        "SUGGESTION_CACHE_SIZE": 4096,
        # Rank the home members into a worker's cache before it serves a version (at start and
        # after an activation): see api.services.suggestions.warm_cache.
        "SUGGESTION_WARM_UP": True,
        "RATELIMIT_STORAGE_URI": f"matcher-sqlite:///{instance / 'ratelimits.sqlite'}",
        "RATELIMIT_ENABLED": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # The manager pages: the session key is SECRET_KEY when set, else the key file
        # (created on first use, shared by every worker of the host).
        "SECRET_KEY_FILE": str(instance / "secret_key"),
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "WEB_LOGIN_RATE_LIMIT": "10/minute",
        # Invitations to the member pages (api.services.invitations): days a link is good for.
        "INVITATION_DAYS": 7,
        # Matchmaking sessions: CP-SAT's threads when an agenda is built (within a request).
        "SESSION_SOLVER_WORKERS": 2,
        # The docs page (flask-openapi3-swagger): Swagger UI's options. Its default validator
        # sends the document to validator.swagger.io whenever the host is not localhost; off,
        # the page asks nothing of any other site.
        "SWAGGER_CONFIG": {"validatorUrl": None},
        # Where `matcher serve` keeps what belongs to one running server (its gunicorn control
        # socket, one per address).
        "RUNTIME_DIR": str(instance / "run"),
    }


def create_app(test_config: dict[str, Any] | None = None) -> OpenAPI:
    """Create and configure the service.

    Parameters
    ----------
    test_config : dict, optional
        Settings that override every other source (tests use it for a temporary database).
    """
    from flask import request

    from . import (
        auth,
        db,
        errors,
        exchange,
        insights,
        members,
        schemas,
        sessions,
        suggestions,
        users,
        versions,
        web,
    )
    from .http import ServiceApp
    from .limits import limiter
    from .services import insights as insights_service
    from .services import serving
    from .services import suggestions as suggestions_service

    app = ServiceApp(
        __name__,
        instance_relative_config=True,
        info=Info(
            title="cluster-matcher API",
            version=API_VERSION,
            description="Partner suggestions for the Kharkiv Fashion Cluster and its partner "
            "networks. Errors are RFC 9457 problem details.",
        ),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        responses=errors.problem_responses_doc(),
        validation_error_status=422,
        validation_error_callback=errors.validation_problem,
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
    )
    app.config.from_mapping(_defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MATCHER")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config is not None:
        app.config.from_mapping(test_config)
    # Options of its own keep the validator off unless they name one.
    app.config["SWAGGER_CONFIG"] = {"validatorUrl": None, **(app.config["SWAGGER_CONFIG"] or {})}
    app.json = BoundedJSONProvider(app)
    app.json.sort_keys = False
    if any(
        app.instance_path in str(app.config[key])
        for key in ("DATABASE_URL", "MODELS_DIR", "RATELIMIT_STORAGE_URI")
    ):
        os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    errors.init_app(app)
    serving.init_app(app)
    insights_service.init_app(app)
    suggestions_service.init_app(app)
    limiter.init_app(app)
    blueprints = (
        members.bp,
        suggestions.bp,
        versions.bp,
        exchange.bp,
        users.bp,
        insights.bp,
        sessions.bp,
    )
    for blueprint in blueprints:
        app.register_api(blueprint)
    protected = {blueprint.name for blueprint in blueprints}
    # The manager pages: a plain blueprint (HTML, sessions), outside the OpenAPI document.
    web.init_app(app)
    app.register_blueprint(web.bp)
    app.register_blueprint(web.member_bp)

    @app.before_request
    def authenticate():
        # Before the request is parsed: no token gives 401, whatever the body.
        if request.blueprint in protected:
            auth.current_caller()

    @app.get("/health", responses={200: schemas.Health})
    def health():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", responses={200: schemas.Ready})
    def ready():
        """Readiness: the database answers and a model is loaded.

        ``degraded`` (still 200: suggestions are answered) when the active version's artifact
        does not load and an older version serves instead; 503 when no version loads.
        """
        session = db.get_db()
        try:
            session.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - any database failure means not ready
            logger.warning("database not reachable: %s", error)
            return errors.problem_response(503, "the database is not reachable")
        state = serving.holder().state(session)
        if state.served is None:
            detail = serving.holder().last_error or "no model is active yet"
            return errors.problem_response(503, detail)
        answer = {
            "status": "ready",
            "database": True,
            "model": state.served.version_id,
            "active_model": state.active_id,
            "detail": "",
        }
        if state.active_problem:
            answer["status"] = "degraded"
            answer["detail"] = (
                f"serving version {state.served.version_id} instead of the active version "
                f"{state.active_id}: {state.active_problem}"
            )
        return answer

    _problem_responses_everywhere(app)
    return app


def _problem_responses_everywhere(app: OpenAPI) -> None:
    """Document every error answer of every operation as problem+json.

    flask-openapi3 adds its own 422 (``application/json``) to operations with parameters; the
    service answers every error with ``application/problem+json``, so the document says so,
    including the errors gunicorn answers itself.
    """
    from http import HTTPStatus

    from .errors import PROBLEM_MIME, problem_responses_doc

    problems = problem_responses_doc()
    document = app.api_doc
    # One schema, referred to by every error answer of every operation (inlined, it made the
    # document nearly 1 MB).
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = problems["400"]["content"][PROBLEM_MIME]["schema"]
    content = {PROBLEM_MIME: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for response in problems.values():
        response["content"] = content
    # Answered by gunicorn before the app sees the request (api.gunicorn_workers makes them
    # problem+json too): request line or headers too long, an Expect or a transfer coding it
    # does not take. 400, 500 and 503 (a request past its time limit) are listed already.
    for code in (414, 417, 431, 501):
        problems[str(code)] = {"description": HTTPStatus(code).phrase, "content": content}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].update(problems)
    document.get("components", {}).get("schemas", {}).pop("ValidationErrorModel", None)
