"""The member pages: a member firm's own side of the service, under ``/my``.

A second blueprint (``my``) beside the manager pages (``web``, under ``/manage``), with the same
machinery: Jinja templates (``api/templates/my/``, framed by ``web/base.html``), the one
stylesheet, no script, English and Ukrainian, signed-cookie sessions and CSRF tokens
(:mod:`.login`). Only users with the role ``member`` who act for a live member sign in here;
managers and admins use ``/manage``. Every action calls the same service functions as the API
(:mod:`api.services`), with the signed-in member as the caller, so the pages and the API
cannot disagree.

The other member-page modules add their routes to :data:`bp` (imported by ``api.web``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..auth import Caller
from ..db import get_db
from ..tables import Member
from . import views
from .i18n import N_, _, word
from .login import CsrfError, check_csrf, safe_next, sign_in, sign_out, signed_in_member

logger = logging.getLogger(__name__)

bp = Blueprint("my", __name__, url_prefix="/my")

#: The member pages' navigation: (endpoint, message, endpoint prefixes that mark it current).
#: An entry shows only when its endpoint exists.
NAVIGATION = (
    ("my.suggestions", N_("My suggestions"), ("my.suggestions",)),
    ("my.matches", N_("My matches"), ("my.matches",)),
    ("my.sessions", N_("Matchmaking days"), ("my.session",)),
    ("my.profile", N_("My profile"), ("my.profile",)),
)


def member_template_context() -> dict[str, Any]:
    """What every member page sees: the manager pages' helpers, this side's frame."""
    context = views.template_context()
    context.update(views.frame_context(NAVIGATION, signed_in_member(), "my"))
    return context


bp.context_processor(member_template_context)
bp.before_request(check_csrf)
bp.after_request(views.page_headers)
bp.register_error_handler(CsrfError, views.csrf_failed)
bp.register_error_handler(HTTPException, views.http_error)
bp.register_error_handler(Exception, views.page_error)


def member_required(view: Callable) -> Callable:
    """Decorate a member page: only a signed-in member of a live member firm sees it (others
    go to the member sign-in page)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_member() is None:
            flash(
                _(
                    N_("Your session has ended; sign in again.")
                    if g.get("session_ended")
                    else N_("Sign in to see this page.")
                )
            )
            return redirect(url_for("my.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def current_member() -> Caller:
    """The signed-in member (within a :func:`member_required` view)."""
    caller = signed_in_member()
    assert caller is not None and caller.member_id, "used outside a member_required view"
    return caller


@bp.get("/")
def index():
    """The member pages' home: the suggestions, or signing in."""
    if signed_in_member() is None:
        return redirect(url_for("my.login"))
    return redirect(url_for("my.suggestions"))


@bp.get("/<path:unknown>")
def unknown_page(unknown: str):
    """Any other address under the member pages: a 404 page."""
    return views.error_page(404, "")


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out (a POST with the CSRF token; a GET only asks): every session of the user ends."""
    if request.method == "GET":
        if signed_in_member() is None:
            return redirect(url_for("my.login"))
        return render_template("my/logout.html")
    sign_out(everywhere=True)
    flash(_("You are signed out."))
    return redirect(url_for("my.login"))


def back_to(default_endpoint: str) -> str:
    """The page's `next` field if it is one of these pages, else `default_endpoint`'s URL."""
    return safe_next(request.form.get("next"), url_for(default_endpoint))


@bp.route("/login", methods=["GET", "POST"])
@views.login_rate_limit
def login():
    """Sign in with a name and password, or with the member's API token (members only).

    Wrong credentials answer 403 with the manager pages' messages; a manager's or an admin's
    credentials are refused here with a pointer to ``/manage``, a withdrawn member's too.
    """
    if request.method == "GET":
        if signed_in_member() is not None:
            return redirect(safe_next(request.args.get("next"), url_for("my.suggestions")))
        return _login_page(None, 200)
    found = views.credentials_from_form()
    if isinstance(found, views.SignInRefused):
        return _login_page(found.message, found.status)
    user, token_id, method = found
    if user.role != "member" or not user.member_id:
        message = _(
            "These pages are for member firms; {name} has the role “{role}”: cluster managers and administrators sign in at /manage.",
            name=user.name,
            role=word("role." + user.role),
        )
        return _login_page(message, 403)
    member = get_db().get(Member, user.member_id)
    if member is None or member.deleted_at is not None:
        message = _("{name} acts for a member that has withdrawn from the service.", name=user.name)
        return _login_page(message, 403)
    sign_in(user, token_id)
    logger.info("user %s signed in to the member pages with %s", user.user_id, method)
    flash(_("Signed in as {name}.", name=user.name))
    return redirect(safe_next(request.form.get("next"), url_for("my.suggestions")))


def _login_page(error: str | None, status: int):
    next_url = safe_next(request.values.get("next"), url_for("my.suggestions"))
    method = request.form.get("method", "password")
    name = request.form.get("name", "") if request.method == "POST" else ""
    page = render_template(
        "my/login.html", error=error, next_url=next_url, method=method, name=name
    )
    return page, status
