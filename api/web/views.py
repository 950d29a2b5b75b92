"""The manager pages' views: sign in and out, language, members, profile, suggestions, dashboard."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from pydantic import ValidationError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from matcher.engine.strength import GOOD_FROM, STRONG_FROM, match_strengths
from matcher.filters import FilterError, resolve_filters
from matcher.profiles import HOME_NETWORK
from matcher.taxonomy import load_taxonomy

from ..auth import PAGE_ROLES, hash_token, password_matches
from ..db import get_db
from ..errors import ApiError
from ..limits import limiter
from ..schemas import SuggestionQuery
from ..services import invitations
from ..services.members import may_act_for, member_payload
from ..services.suggestions import stored_member_suggestions
from ..tables import ApiToken, Member, User, utcnow
from . import i18n, names, queries
from .i18n import N_, _, current_language, word
from .login import (
    CsrfError,
    check_csrf,
    csrf_token,
    login_required,
    safe_next,
    sign_in,
    sign_out,
    signed_in_caller,
)

logger = logging.getLogger(__name__)

bp = Blueprint("web", __name__, url_prefix="/manage")

#: The navigation: (endpoint, message key, endpoint prefixes that mark it current). An entry
#: shows only when its endpoint exists: the matchmaking-session pages appear here as soon as a
#: view ``web.sessions`` (``@bp.get("/sessions")``) is registered on this blueprint.
NAVIGATION = (
    ("web.members", N_("Members"), ("web.member", "web.suggestions")),
    ("web.sessions", N_("Matchmaking sessions"), ("web.session",)),
    ("web.dashboard", N_("Dashboard"), ("web.dashboard",)),
    ("web.insights", N_("Insights"), ("web.insights",)),
    ("web.models", N_("Models"), ("web.model",)),
)

SCOPES = ("all", "cluster", "international")
MAX_SUGGESTIONS = 100


# ---------------------------------------------------------------------------------------------
# Language and template helpers
# ---------------------------------------------------------------------------------------------


def frame_context(navigation, caller, side: str) -> dict[str, Any]:
    """The frame of one side's pages (``side`` is the blueprint: ``web`` for the managers',
    ``my`` for the members'): its signed-in caller, navigation, and the addresses of its home,
    sign-in, sign-out and language switch, which ``web/base.html`` and ``web/error.html``
    use."""

    def nav() -> list[tuple[str, str, bool]]:
        endpoint = request.endpoint or ""
        return [
            (url_for(target), _(key), endpoint.startswith(prefixes))
            for target, key, prefixes in navigation
            if target in current_app.view_functions
        ]

    return {
        "caller": caller,
        "nav": nav,
        "frame": {
            "side": side,
            "home": url_for(f"{side}.index"),
            "login": url_for(f"{side}.login"),
            "logout": url_for(f"{side}.logout"),
            "language": url_for("web.language"),
        },
    }


def template_context() -> dict[str, Any]:
    """What every page template sees, on either side (the member pages add their own frame)."""
    language = current_language()
    taxonomy = load_taxonomy()

    def label(vocabulary: str, tag: str) -> str:
        return taxonomy.label(vocabulary, tag, language)

    return {
        **i18n.template_functions(language),
        "lang": language,
        "languages": i18n.LANGUAGES,
        "csrf_token": csrf_token,
        "label": label,
        "network_name": names.network_name,
        # The strength rule's thresholds, for the sentence that explains it on the pages.
        "strength_from": {"strong": STRONG_FROM, "good": GOOD_FROM},
    }


def manager_template_context() -> dict[str, Any]:
    """What every manager page sees: the shared helpers and the managers' frame."""
    return {
        **template_context(),
        **frame_context(NAVIGATION, signed_in_caller(), "web"),
    }


bp.context_processor(manager_template_context)
bp.before_request(check_csrf)


@bp.after_request
def page_headers(response):
    """The headers of every page (both sides)."""
    # Pages show private data (contacts) and forms: never cached, never framed; no inline
    # scripts or styles are used, so the policy can forbid them. A view may set a policy of its
    # own (the insights report: its inline styles, nothing else).
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


# ---------------------------------------------------------------------------------------------
# Errors: HTML pages here (the API answers problem+json)
# ---------------------------------------------------------------------------------------------


def error_page(status: int, message: str, headers: dict[str, str] | None = None):
    """An error page of `status` saying `message` (in the side's frame)."""
    key = f"error.{status}"
    title = word(key) if key in i18n.KEYED else _("Error {status}", status=status)
    body = render_template("web/error.html", status=status, title=title, message=message)
    return body, status, headers or {}


@bp.errorhandler(CsrfError)
def csrf_failed(_error: CsrfError):
    """A form without this session's CSRF token: refused, with what to do."""
    if request.endpoint == "web.login":
        return _login_page(
            _(
                "The form has expired or did not come from this site. Reload the page and try again."
            ),
            400,
        )
    return error_page(
        400,
        _("The form has expired or did not come from this site. Reload the page and try again."),
    )


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """An HTTP error as a page (429 and 503 say what to do)."""
    status = error.code or 500
    headers = {}
    if status == 429:
        message = _("Too many requests; wait a minute and try again.")
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    elif status == 503:
        message = _(
            "No model is active yet: train one (“matcher db train”, or POST /api/v1/models/retrain)."
        )
    elif isinstance(error, ApiError):
        message = error.description or ""
    else:
        message = ""
    return error_page(status, message, headers)


@bp.errorhandler(Exception)
def page_error(_error: Exception):
    """An unexpected error: logged, and a 500 page."""
    logger.exception("unexpected error on %s", request.path)
    return error_page(500, _("The error has been logged; please tell the administrator."))


# ---------------------------------------------------------------------------------------------
# Signing in and out, language
# ---------------------------------------------------------------------------------------------


def _address_key() -> str:
    return "web-login:" + (request.remote_addr or "unknown")


def _user_key() -> str:
    caller = signed_in_caller()
    return f"web-user:{caller.user_id}" if caller else _address_key()


def _login_page(error: str | None, status: int):
    next_url = safe_next(request.values.get("next"), url_for("web.members"))
    method = request.form.get("method", "password")
    name = request.form.get("name", "") if request.method == "POST" else ""
    page = render_template(
        "web/login.html", error=error, next_url=next_url, method=method, name=name
    )
    return page, status


@bp.get("/")
def index():
    """The pages' home: the member list, or signing in."""
    if signed_in_caller() is None:
        return redirect(url_for("web.login"))
    return redirect(url_for("web.members"))


@bp.get("/<path:unknown>")
def unknown_page(unknown: str):
    """Any other address under the pages: a 404 page (the API's are problem+json)."""
    return error_page(404, "")


#: The limit of sign-in attempts per address, on both sides' sign-in pages (POST only).
login_rate_limit = limiter.limit(
    lambda: current_app.config["WEB_LOGIN_RATE_LIMIT"], key_func=_address_key, methods=["POST"]
)


@dataclass(frozen=True)
class SignInRefused:
    """Why the credentials of a sign-in form were refused: the message and the status."""

    message: str
    status: int


def credentials_from_form() -> tuple[User, int | None, str] | SignInRefused:
    """Check the sign-in form's credentials (a name and password, or an API token).

    Returns the user, the token's id (None with a password) and the method; or why they were
    refused (400: missing, 403: wrong). The role is the caller's business.
    """
    db = get_db()
    method = request.form.get("method", "")
    token_id: int | None = None
    if method == "token":
        token = request.form.get("token", "").strip()
        if not token:
            return SignInRefused(_("Enter your API token."), 400)
        found = db.execute(
            select(User, ApiToken.token_id)
            .join(ApiToken, ApiToken.user_id == User.user_id)
            .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        ).first()
        if found is None:
            return SignInRefused(_("The token is unknown or revoked."), 403)
        user, token_id = found
    elif method == "password":
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        if not name or not password:
            return SignInRefused(_("Enter your user name and password."), 400)
        user = db.scalar(select(User).where(User.name == name))
        if not password_matches(user, password):
            return SignInRefused(_("The user name or password is wrong."), 403)
    else:
        return SignInRefused(_("Bad request"), 400)
    return user, token_id, method


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limit
def login():
    """Sign in with a name and password, or with an API token (managers and admins only).

    Wrong credentials and a member's token both answer 403 (a 401 would need an HTTP
    authentication scheme), each with its own message.
    """
    if request.method == "GET":
        if signed_in_caller() is not None:
            return redirect(safe_next(request.args.get("next"), url_for("web.members")))
        return _login_page(None, 200)
    found = credentials_from_form()
    if isinstance(found, SignInRefused):
        return _login_page(found.message, found.status)
    user, token_id, method = found
    if user.role not in PAGE_ROLES:
        logger.info("user %s (role %s) refused on the manager pages", user.user_id, user.role)
        message = _(
            "These pages are for cluster managers and administrators; {name} has the role “{role}”. Members sign in at /my.",
            name=user.name,
            role=word("role." + user.role),
        )
        return _login_page(message, 403)
    sign_in(user, token_id)
    logger.info("user %s signed in to the manager pages with %s", user.user_id, method)
    flash(_("Signed in as {name}.", name=user.name))
    return redirect(safe_next(request.form.get("next"), url_for("web.members")))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out: a POST with the CSRF token, so that no other site can sign you out (a GET
    only asks)."""
    if request.method == "GET":
        if signed_in_caller() is None:
            return redirect(url_for("web.login"))
        return render_template("web/logout.html")
    sign_out(everywhere=True)
    flash(_("You are signed out."))
    return redirect(url_for("web.login"))


@bp.post("/language")
def language():
    """Switch the pages' language (kept in the session) and go back."""
    chosen = request.form.get("lang", "")
    if chosen not in i18n.LANGUAGES:
        return error_page(
            400, _("Unknown language {value}; choose English or Ukrainian.", value=chosen)
        )
    session["lang"] = chosen
    i18n.refresh_language()
    default = url_for("web.members") if signed_in_caller() else url_for("web.login")
    return redirect(safe_next(request.form.get("next"), default))


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


@bp.get("/members")
@login_required
def members():
    """Search members by text, type of activity, country, network and market presence."""
    db = get_db()
    networks = queries.live_networks(db)
    search = queries.parse_member_search(request.args, networks)
    problems = [i18n.filter_problem(p) for p in search.filter_problems]
    problems += [_(key, **params) for key, params in search.problems]
    found: list[Member] = []
    total = None
    if not problems:
        # The caller's own network first (an administrator's: the home cluster).
        home = signed_in_caller().network_id or HOME_NETWORK
        found, total = queries.search_members(db, search, home)
    pages = max(1, math.ceil((total or 0) / search.per_page))
    if search.page > pages:
        # A page past the end (an old link, a shorter list after a filter): the last page.
        return redirect(url_for("web.members", **search.args(page=pages)))
    taxonomy = load_taxonomy()
    page = render_template(
        "web/members.html",
        search=search,
        problems=problems,
        members=found,
        total=total,
        pages=pages,
        networks=networks,
        countries=queries.live_countries(db),
        org_types=taxonomy.ids("org_types"),
        presences=taxonomy.ids("market_presence"),
        per_page_choices=queries.PER_PAGE_CHOICES,
    )
    return page, 400 if problems else 200


def _live_member(member_id: str) -> Member | None:
    member = get_db().get(Member, member_id)
    return member if member is not None and member.deleted_at is None else None


@bp.get("/members/<member_id>")
@login_required
def member(member_id: str):
    """A member's profile: gradation, offers and needs, markets; contacts when allowed."""
    found = _live_member(member_id)
    if found is None:
        return error_page(
            404, _("Member {member_id} doesn't exist (or was withdrawn).", member_id=member_id)
        )
    caller = signed_in_caller()
    allowed = may_act_for(caller, found)
    return render_template(
        "web/member.html",
        member=found,
        profile=member_payload(found, show_contact=allowed),
        allowed=allowed,
        # Its managers invite it to the member pages (api.web.member_access).
        open_invitation=invitations.open_invitation_of(get_db(), member_id) if allowed else None,
        member_user=invitations.member_user(get_db(), member_id) if allowed else None,
    )


def suggestions_for_page(
    caller, member_id: str, args, no_model: str
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, list[str], int]:
    """Read the suggestion form from `args` and get the suggestions it asks for, as the API
    gives them (both sides' suggestion pages): the form to show again, the suggestions (None
    when refused), the problems and the status (400 for bad input; 503, saying `no_model`,
    when no model is active)."""
    form, filters, problems = suggestion_options(args)
    if problems:
        return form, None, problems, 400
    try:
        options = SuggestionQuery(
            k=int(form["k"]),
            scope=form["scope"],
            country=filters.get("country", []),
            org_type=filters.get("org_type", []),
            partnership_type=filters.get("partnership_type", []),
            language=current_language(),
        )
        return form, stored_member_suggestions(get_db(), caller, member_id, options), [], 200
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return form, None, problems, 400
    except ApiError as error:
        if error.code != 503:
            raise
        return form, None, [no_model], 503


def suggestion_options(args) -> tuple[dict[str, Any], dict[str, list[str]], list[str]]:
    """Read the suggestion form: the values to show again, the resolved partner filters and the
    problems (translated; a filter value is checked as the API and the command line check it)."""
    problems: list[str] = []
    form = {
        "k": args.get("k", "10").strip() or "10",
        "scope": args.get("scope", "all").strip() or "all",
        "country": args.get("country", "").strip(),
        "org_type": args.get("org_type", "").strip(),
        "partnership_type": args.get("partnership_type", "").strip(),
    }
    if not form["k"].isdigit() or not 1 <= int(form["k"]) <= MAX_SUGGESTIONS:
        problems.append(
            _(
                "How many must be a whole number from 1 to {max}; got {value}.",
                value=form["k"],
                max=MAX_SUGGESTIONS,
            )
        )
    if form["scope"] not in SCOPES:
        problems.append(_("Unknown scope: {value}.", value=form["scope"]))
    filters: dict[str, list[str]] = {}
    try:
        filters = resolve_filters(
            {
                "country": [c for c in re.split(r"[\s,;]+", form["country"]) if c],
                "org_type": form["org_type"],
                "partnership_type": form["partnership_type"],
            }
        )
    except FilterError as error:
        problems += [i18n.filter_problem(p) for p in error.problems]
    for key in ("org_type", "partnership_type"):
        if key in filters:
            form[key] = filters[key][0]
    return form, filters, problems


@bp.get("/members/<member_id>/suggestions")
@login_required
@limiter.limit(lambda: current_app.config["SUGGESTION_RATE_LIMIT"], key_func=_user_key)
def suggestions(member_id: str):
    """The member's suggested partners with reasons: the API's answer, in the page's language."""
    found = _live_member(member_id)
    if found is None:
        return error_page(
            404, _("Member {member_id} doesn't exist (or was withdrawn).", member_id=member_id)
        )
    caller = signed_in_caller()
    if not may_act_for(caller, found):
        return error_page(
            403,
            _(
                "Only the managers of {network} and administrators see the suggestions of {name}.",
                name=found.name,
                network=names.network_name(found.network_id),
            ),
        )
    form, results, problems, status = suggestions_for_page(
        caller,
        found.member_id,
        request.args,
        _(
            "No model is active yet: train one (“matcher db train”, or POST /api/v1/models/retrain)."
        ),
    )
    taxonomy = load_taxonomy()
    page = render_template(
        "web/suggestions.html",
        member=found,
        form=form,
        problems=problems,
        suggestions=results,
        strengths=match_strengths([s["score"] for s in results or []]),
        scopes=SCOPES,
        org_types=taxonomy.ids("org_types"),
        partnership_types=taxonomy.ids("partnership_types"),
        max_k=MAX_SUGGESTIONS,
    )
    return page, status


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


@bp.get("/dashboard")
@login_required
def dashboard():
    """Members by type, market presence and potential; what became of the suggestions."""
    db = get_db()
    caller = signed_in_caller()
    networks = queries.live_networks(db)
    chosen = request.args.get("network")
    if caller.role == "manager":
        # A manager sees its own network's figures only, as on /insights and in the exports.
        if chosen not in (None, caller.network_id):
            return error_page(
                403,
                _(
                    "A manager of {network} sees the figures of its own network only, not of {value}.",
                    # A network by its name; anything else as it was asked for.
                    value=names.network_name(chosen) if chosen in networks else chosen,
                    network=names.network_name(caller.network_id),
                ),
            )
        chosen = caller.network_id
        networks = [caller.network_id]
    elif chosen is None:
        chosen = "all"
    problems = []
    figures = None
    if chosen != "all" and chosen not in networks:
        problems.append(_("Unknown network: {value}.", value=chosen))
    else:
        figures = queries.dashboard(db, "" if chosen == "all" else chosen, utcnow())
    taxonomy = load_taxonomy()
    page = render_template(
        "web/dashboard.html",
        figures=figures,
        problems=problems,
        networks=networks,
        chosen=chosen,
        can_choose=caller.role != "manager",
        presences=taxonomy.ids("market_presence"),
        tiers=queries.POTENTIAL_TIERS,
        recent_days=queries.RECENT_DAYS,
    )
    return page, 400 if problems else 200
