"""The member's own profile (``/my/profile``) and a prospect's trial (``/my/try``).

The profile page shows the signed-in member's profile with the taxonomy's labels and takes a
change through the API's own path (:func:`api.services.members.change_member`, as ``PATCH
/api/v1/members/{id}``): the form names the revision it was read at, so a change made meanwhile
by someone else is refused, never overwritten. The form's values are checked by the API's
schema (:class:`api.schemas.MemberUpdate`) and its problems shown beside their fields.

The trial page is public: a firm that is not a member yet gives a short profile and sees the
partners the service would suggest, as ``POST /api/v1/suggestions`` answers (the same
:func:`api.services.suggestions.suggest_for_prospect`), without any contact details, and
rate-limited per address.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from matcher import geography
from matcher.profiles import PRESENCE_TIERS
from matcher.taxonomy import load_taxonomy

from ..db import get_db
from ..errors import ApiError
from ..limits import limiter
from ..schemas import MemberCreate, MemberUpdate
from ..schemas.suggestions import SuggestionOptions
from ..services.members import change_member, get_member, member_payload, parse_profile
from ..services.suggestions import suggest_for_prospect
from . import views
from .i18n import _, country_name, current_language, format_number, language_name, ngettext
from .member_pages import bp, current_member, member_required

logger = logging.getLogger(__name__)

#: The profile's multi-value fields chosen from a taxonomy vocabulary (checkbox groups).
TAG_FIELDS = {
    "offers": "capabilities",
    "seeks": "capabilities",
    "products": "products",
    "partnership_types": "partnership_types",
    "certifications": "certifications",
}
#: The multi-value fields of ISO codes (multi-selects), and their kind.
CODE_FIELDS = {"markets_present": "country", "markets_target": "country", "languages": "language"}
#: Whole-number fields and their largest value (the API's bounds).
NUMBER_FIELDS = {
    "employees": 10_000_000,
    "capacity_units_month": 1_000_000_000,
    "min_order_qty": 1_000_000_000,
}
#: Single-value text and choice fields of the profile form.
TEXT_FIELDS = ("name", "country", "org_type", "city", "description")
CONTACT_FIELDS = ("person", "email", "phone")

#: The prospect's short profile, and the id and network its trial is ranked under.
TRIAL_FIELDS = ("name", "org_type", "country", "offers", "seeks", "products", "markets_present")
TRIAL_MEMBER_ID = "prospect-trial"
TRIAL_NETWORK = "prospect"


def choices() -> dict[str, list[tuple[str, str]]]:
    """The form's options as (id, label in the page's language), sorted by label."""
    language = current_language()
    taxonomy = load_taxonomy()
    options = {
        vocabulary: sorted(
            ((tag, taxonomy.label(vocabulary, tag, language)) for tag in taxonomy.ids(vocabulary)),
            key=lambda item: item[1].casefold(),
        )
        for vocabulary in ("org_types", *TAG_FIELDS.values())
    }
    options["country"] = sorted(
        ((code, country_name(code, language)) for code in geography.country_codes()),
        key=lambda item: item[1].casefold(),
    )
    options["language"] = sorted(
        ((code, language_name(code, language)) for code in geography.language_codes()),
        key=lambda item: item[1].casefold(),
    )
    return options


# ---------------------------------------------------------------------------------------------
# Reading a form and naming its problems
# ---------------------------------------------------------------------------------------------


def read_fields(form, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API fields a form gives among `names` (lists as lists, numbers as numbers), and the
    problems of values that are not even of the right kind (by field)."""
    fields: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in names:
        if name in TAG_FIELDS or name in CODE_FIELDS:
            fields[name] = [v.strip() for v in form.getlist(name) if v.strip()]
        elif name in NUMBER_FIELDS:
            value = form.get(name, "").strip()
            if not value:
                continue
            if value.isdigit():
                fields[name] = int(value)
            else:
                problems[name] = number_problem(value, NUMBER_FIELDS[name])
        else:
            fields[name] = form.get(name, "").strip()
    return fields, problems


def number_problem(value: Any, largest: int) -> str:
    return _(
        "“{value}” is not a whole number from 0 to {max}.",
        value=value,
        max=format_number(largest, current_language()),
    )


def field_problems(error: ValidationError) -> dict[str, str]:
    """The schema's problems by field, each naming the value and what is allowed."""
    problems: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"] if not isinstance(part, int)]
        field = location[0] if location else ""
        if field == "contact" and len(location) > 1:
            field = location[1]
        value = item.get("input")
        if field in TAG_FIELDS:
            message = _(
                "“{value}” is not one of the allowed values: choose among those listed.",
                value=value,
            )
        elif CODE_FIELDS.get(field) == "country" or field == "country":
            message = _("“{value}” is not a country's ISO code, such as DE or UA.", value=value)
        elif CODE_FIELDS.get(field) == "language":
            message = _("“{value}” is not a language's ISO code, such as en or uk.", value=value)
        elif field == "org_type":
            message = _(
                "“{value}” is not a type of activity: choose one of those listed.", value=value
            )
        elif field in NUMBER_FIELDS:
            message = number_problem(value, NUMBER_FIELDS[field])
        elif field == "name" and not value:
            message = _("Give your firm's name.")
        elif field == "email":
            message = _("“{value}” is not an email address.", value=value)
        elif not location:
            # A rule of the whole profile: it offers or seeks something, or describes itself.
            field = "offers"
            message = _("A profile offers or seeks at least one capability, or has a description.")
        else:
            message = _(
                "“{value}” is not allowed here (too long, or characters that are not allowed).",
                value=value,
            )
        problems.setdefault(field, message)
    return problems


def conflict_problems(error: ApiError) -> dict[str, str]:
    """The problems of a change the engine refused (409), by field."""
    problems: dict[str, str] = {}
    for item in getattr(error, "errors", None) or []:
        problems.setdefault(item.get("field") or "offers", item.get("message") or "")
    if not problems:
        problems["offers"] = error.description
    return problems


# ---------------------------------------------------------------------------------------------
# The gradation and what would raise it
# ---------------------------------------------------------------------------------------------


def presence_step(profile: dict[str, Any]) -> str:
    """One sentence: what would raise the member's market presence (the derivation rule of
    :func:`matcher.profiles.derive_market_presence`)."""
    if not profile.get("market_presence_derived"):
        return _(
            "Your cluster's managers set this tier; listing the markets where you sell lets it be derived."
        )
    tier = profile.get("market_presence", "local")
    if tier == "local":
        return _("List the markets where you sell: your own country makes it national.")
    if tier == "national":
        return _(
            "A market abroad on your continent makes it regional; one on another continent international."
        )
    if tier == "regional":
        return _(
            "A market on another continent, or five markets abroad, would make it international."
        )
    return _("It is at the top tier.")


def potential_step(profile: dict[str, Any]) -> str:
    """One sentence: the single change that would raise the member's potential most (the
    weights of :func:`matcher.profiles.potential_score`)."""
    if not profile.get("capacity_units_month") and not profile.get("employees"):
        return _(
            "Giving your monthly capacity (or your number of employees) counts up to {share} of it.",
            share=format_number(0.30, current_language(), 2),
        )
    new_targets = set(profile.get("markets_target") or []) - set(
        profile.get("markets_present") or []
    )
    steps = [
        (0.25, len(profile.get("certifications") or []), _("One more certification")),
        (0.15, len(new_targets), _("One more target market where you do not sell yet")),
        (0.10, len(profile.get("partnership_types") or []), _("One more partnership type")),
    ]
    for weight, count, what in steps:
        if count < 3:
            return _(
                "{what} would raise it by {gain}.",
                what=what,
                gain=format_number(weight / 3, current_language(), 2),
            )
    if profile.get("market_presence") in PRESENCE_TIERS[:-1]:
        return _("A higher market presence would raise it.")
    return _("It grows now only with your capacity.")


# ---------------------------------------------------------------------------------------------
# My profile
# ---------------------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def profile():
    """The signed-in member's profile, and its change (as the API's PATCH, with its revision)."""
    caller = current_member()
    session = get_db()
    member = get_member(session, caller.member_id)
    if request.method == "GET":
        return _profile_page(member_payload(member, True), {}, None, 200)
    if request.form.get("member_id") != caller.member_id:
        # The form names the member it was read for; a changed one is not this member's.
        return views.error_page(403, _("You may change only your own profile."))
    revision = request.form.get("revision", "")
    fields, problems = read_fields(
        request.form, TEXT_FIELDS + tuple(TAG_FIELDS) + tuple(CODE_FIELDS) + tuple(NUMBER_FIELDS)
    )
    fields["contact"] = {
        key: request.form.get("contact_" + key, "").strip() or None for key in CONTACT_FIELDS
    }
    shown = {**member_payload(member, True), **fields, "revision": revision}
    if not revision.isdigit():
        return _profile_page(shown, {}, _("The form names no revision; open the page again."), 400)
    try:
        changes = MemberUpdate.model_validate(fields).model_dump(exclude_unset=True)
    except ValidationError as error:
        problems = {**field_problems(error), **problems}
    if problems:
        return _profile_page(shown, problems, _("Nothing was saved; see the fields marked."), 422)
    try:
        member, applied = change_member(
            session, caller, caller.member_id, changes, lambda read: read.revision == int(revision)
        )
    except ApiError as error:
        session.rollback()
        if error.code != 409:
            raise
        message = _("Nothing was saved; see the fields marked.")
        return _profile_page(shown, conflict_problems(error), message, 409)
    if not applied:
        message = _(
            "Someone changed your profile since you opened this page; nothing was saved. The page now shows the profile as it is (revision {revision}): make your change again.",
            revision=member.revision,
        )
        return _profile_page(member_payload(member, True), {}, message, 409)
    logger.info("member %s changed its profile on the member pages", caller.member_id)
    flash(_("Your profile is saved."))
    return redirect(url_for("my.profile"))


def _profile_page(profile: dict[str, Any], problems: dict[str, str], error: str | None, status):
    page = render_template(
        "my/profile.html",
        profile=profile,
        problems=problems,
        error=error,
        options=choices(),
        tag_fields=TAG_FIELDS,
        presence_step=presence_step(profile) if not problems else "",
        potential_step=potential_step(profile) if not problems else "",
    )
    return page, status


# ---------------------------------------------------------------------------------------------
# A prospect's trial
# ---------------------------------------------------------------------------------------------


def _address_key() -> str:
    return "my-try:" + (request.remote_addr or "unknown")


@bp.route("/try", methods=["GET", "POST"], endpoint="try_")
@limiter.limit(
    lambda: current_app.config["SUGGESTION_RATE_LIMIT"],
    key_func=_address_key,
    methods=["POST"],
)
def try_():
    """A public trial: the partners the service would suggest for a short profile."""
    if request.method == "GET":
        return _try_page({}, {}, None, 200)
    fields, problems = read_fields(request.form, TRIAL_FIELDS + ("description",))
    shown = dict(fields)
    fields["name"] = fields.get("name") or _("Your firm")
    body = {"member_id": TRIAL_MEMBER_ID, "network": TRIAL_NETWORK, **fields}
    try:
        prospect = MemberCreate.model_validate(body)
    except ValidationError as error:
        problems = {**field_problems(error), **problems}
    if problems:
        return _try_page(shown, problems, None, 422)
    options = SuggestionOptions(language=current_language())
    profile = parse_profile(prospect.member_id, prospect.model_dump(exclude={"contact"}))
    suggestions = suggest_for_prospect(get_db(), profile, options)
    return _try_page(shown, {}, suggestions, 200)


def _try_page(form: dict[str, Any], problems: dict[str, str], suggestions, status):
    page = render_template(
        "my/try.html",
        form=form,
        problems=problems,
        suggestions=suggestions,
        options=choices(),
        count=(
            ngettext("{n} partner, best first.", "{n} partners, best first.", len(suggestions))
            if suggestions
            else ""
        ),
    )
    return page, status
