"""One error shape for the whole API: RFC 9457 problem details (``application/problem+json``).

Every error, from a 404 to a validation failure or an unexpected exception, leaves as
``{"type", "title", "status", "detail", "errors"?}``; ``errors`` lists the invalid fields
(``{"field", "message", "value"?, "row"?}``).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from matcher.errors import InputError
from matcher.filters import FilterError
from matcher.profiles import ProfileValidationError

logger = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"


class FieldError(BaseModel):
    """One invalid field (or file row)."""

    field: str | None = None
    message: str
    value: Any = None
    row: int | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] | None = None


class ForbiddenRowsError(ProfileValidationError):
    """Rows of an import that the caller may not write (another network's members or links):
    the service answers 403 naming them, and nothing is written."""


def problem_response(
    status: int,
    detail: str = "",
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return a problem+json response for `status`."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(
        json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=PROBLEM_MIME
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def validation_problem(error: ValidationError) -> Response:
    """Turn a pydantic validation error (query, path, body) into a 422 naming the fields."""
    errors = []
    for item in error.errors(include_url=False):
        errors.append(
            {
                "field": ".".join(str(part) for part in item["loc"]) or None,
                "message": item["msg"],
                "value": item.get("input")
                if isinstance(item.get("input"), (str, int, float, bool))
                else None,
            }
        )
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
    return problem_response(422, f"invalid input: {fields}" if fields else "invalid input", errors)


def profile_problem(error: ProfileValidationError, status: int = 422) -> Response:
    """Turn the engine's validation problems (every bad row or field) into a problem response."""
    errors = [
        {"field": p.column, "message": p.message, "row": p.row, "value": p.as_dict()["value"]}
        for p in error.problems
    ]
    count = len(errors)
    return problem_response(
        status,
        f"{error.source}: {count} problem{'s' if count != 1 else ''}, nothing was changed",
        errors,
    )


def filter_problem(error: FilterError) -> Response:
    """Turn refused filter values into a 422 naming each field, its value and why (the closest
    valid value, or the allowed ones), as :func:`matcher.filters.resolve_filters` says."""
    errors = [{"field": p.field, "value": p.value, "message": p.message} for p in error.problems]
    fields = ", ".join(dict.fromkeys(p.field for p in error.problems))
    return problem_response(422, f"unknown filter values: {fields}", errors)


def problem_responses_doc() -> dict[str, Any]:
    """The problem responses every operation may give, for the OpenAPI document."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["errors"] = {
        "anyOf": [{"type": "array", "items": FieldError.model_json_schema()}, {"type": "null"}]
    }
    content = {PROBLEM_MIME: {"schema": schema}}
    return {
        str(code): {"description": HTTPStatus(code).phrase, "content": content}
        for code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503)
    }


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        headers = {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="cluster-matcher"'
        detail = error.description or ""
        errors = getattr(error, "errors", None)
        response = problem_response(error.code or 500, detail, errors, headers)
        retry = getattr(error, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(ForbiddenRowsError)
    def handle_forbidden_rows(error: ForbiddenRowsError):
        return profile_problem(error, status=403)

    @app.errorhandler(ProfileValidationError)
    def handle_profile(error: ProfileValidationError):
        return profile_problem(error)

    @app.errorhandler(FilterError)
    def handle_filter(error: FilterError):
        return filter_problem(error)

    @app.errorhandler(InputError)
    def handle_input(error: InputError):
        # Any other input the engine refused (its message names the field or value).
        return problem_response(422, str(error))

    @app.errorhandler(ValidationError)
    def handle_validation(error: ValidationError):
        return validation_problem(error)

    @app.errorhandler(IntegrityError)
    def handle_integrity(error: IntegrityError):
        # Two requests raced for the same row, or a reference vanished meanwhile.
        logger.warning("integrity error: %s", error.orig)
        return problem_response(409, "the change conflicts with the stored data; reload and retry")

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        logger.exception("unexpected error")
        return problem_response(500, "an unexpected error occurred; it has been logged")


class ApiError(HTTPException):
    """An HTTP error with a detail and, optionally, the invalid fields."""

    def __init__(self, status: int, detail: str, errors: list[dict] | None = None):
        super().__init__(description=detail)
        self.code = status
        self.errors = errors


def abort(status: int, detail: str, errors: list[dict] | None = None):
    """Stop the request with a problem response of `status` (raises :class:`ApiError`)."""
    raise ApiError(status, detail, errors)
