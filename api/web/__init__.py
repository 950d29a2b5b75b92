"""The manager pages: a small server-rendered interface for cluster managers and admins.

A plain Flask blueprint (``web``, under ``/manage``), not part of the OpenAPI document: Jinja
templates in ``api/templates/web/``, one stylesheet in ``api/static/``, no JavaScript. Members
(search, profile, suggestions with reasons), a dashboard, the cluster insights
(:mod:`.insights_pages`) and the matchmaking sessions (:mod:`.sessions_pages`), in English and
Ukrainian. Sign-in with an API token or a password, signed-cookie sessions and CSRF tokens: see
:mod:`.login`.
"""

from __future__ import annotations

import secrets

from flask import Flask, redirect, url_for

from . import (
    insights_pages,  # noqa: F401 - its routes join `bp` before it is registered
    member_access,  # noqa: F401 - its routes join `bp` and `member_bp` before they are registered
    member_days,  # noqa: F401 - its routes join `member_bp` before it is registered
    member_profile,  # noqa: F401 - its routes join `member_bp` before it is registered
    member_suggestions,  # noqa: F401 - its routes join `member_bp` before it is registered
    model_pages,  # noqa: F401 - its routes join `bp` before it is registered
    sessions_pages,  # noqa: F401 - its routes join `bp` before it is registered
)
from .i18n import init_babel
from .login import InstanceKeySessions, check_csrf
from .member_pages import bp as member_bp
from .views import NAVIGATION, bp, template_context

__all__ = ["NAVIGATION", "bp", "check_csrf", "init_app", "member_bp", "template_context"]


def init_app(app: Flask) -> None:
    """Set up the pages' sessions and translations (Flask-Babel) and send ``/`` to them (the blueprint is registered apart)."""
    app.session_interface = InstanceKeySessions()
    init_babel(app)
    if not app.config.get("SECRET_KEY") and app.config.get("TESTING"):
        # Tests sign with a key of their own and write no key file.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.add_url_rule("/", endpoint="root", view_func=lambda: redirect(url_for("web.index")))
