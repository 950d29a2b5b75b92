"""The member pages "My suggestions" and "My matches" (``/my/suggestions``, ``/my/matches``).

A member firm sees the engine's partners for itself (the API's ``GET
/api/v1/members/{id}/suggestions`` through the same service, with the manager suggestions
page's filters and strength), and answers each one: accept, decline (the partner disappears at
once; undone on "My matches"), or save for later. Every answer is a feedback event added by
:func:`api.services.feedback.add_feedback`, the one path of ``POST
/api/v1/members/{id}/feedback``, with the signed-in member as the caller: the pages never name
the member in a form, so nobody acts for another firm here. A partner's contacts show only by
:func:`api.services.members.may_see_contacts` (a mutual match), the API's own rule.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, flash, redirect, render_template, request

from matcher.engine.strength import match_strengths
from matcher.taxonomy import load_taxonomy

from ..db import get_db
from ..errors import ApiError
from ..limits import limiter
from ..services.feedback import add_feedback, member_matches, mutual_partners, record_shown
from ..services.members import get_member, may_see_contacts, member_payload, require_act_for
from ..tables import Member
from .i18n import _
from .member_pages import back_to, bp, current_member, member_required
from .views import MAX_SUGGESTIONS, SCOPES, error_page, suggestions_for_page

logger = logging.getLogger(__name__)

#: The feedback a member gives on these pages (``shown`` is recorded by the page itself).
PAGE_EVENTS = ("accepted", "declined", "saved", "undeclined", "meeting", "deal")


def _member_key() -> str:
    """Rate-limit the suggestions per signed-in user, as the manager page does."""
    return f"my-user:{current_member().user_id}"


def _contacts(session, caller, partner: Member) -> dict[str, Any] | None:
    """The partner's contacts if the service's rule lets `caller` see them, else None."""
    return member_payload(partner, may_see_contacts(session, caller, partner))["contact"]


@bp.get("/suggestions")
@member_required
@limiter.limit(lambda: current_app.config["SUGGESTION_RATE_LIMIT"], key_func=_member_key)
def suggestions():
    """The signed-in member's suggested partners, best first, with reasons, strength, its
    answers so far and, for mutual matches, the partner's contacts."""
    caller = current_member()
    session = get_db()
    member = get_member(session, caller.member_id)
    form, results, problems, status = suggestions_for_page(
        caller,
        member.member_id,
        request.args,
        _("No partners can be suggested yet; please come back later."),
    )
    if results:
        # What a client of the API records: each partner shown, once per member and partner.
        record_shown(session, caller, member, [s["partner_id"] for s in results])
        session.commit()
    states = {match.partner_id: match for match in member_matches(session, member.member_id)}
    mutual = mutual_partners(session, member.member_id)
    contacts = {
        s["partner_id"]: _contacts(session, caller, get_member(session, s["partner_id"]))
        for s in results or []
        if s["partner_id"] in mutual
    }
    taxonomy = load_taxonomy()
    page = render_template(
        "my/suggestions.html",
        member=member,
        form=form,
        problems=problems,
        suggestions=results,
        strengths=match_strengths([s["score"] for s in results or []]),
        states=states,
        contacts=contacts,
        scopes=SCOPES,
        org_types=taxonomy.ids("org_types"),
        partnership_types=taxonomy.ids("partnership_types"),
        max_k=MAX_SUGGESTIONS,
    )
    return page, status


@bp.get("/matches")
@member_required
def matches():
    """What the member did with its partners: mutual matches (with contacts), accepted and
    waiting, saved for later, declined (with undo), and the meetings and deals recorded."""
    caller = current_member()
    session = get_db()
    found = member_matches(session, caller.member_id)
    partners = {m.partner_id: get_member(session, m.partner_id) for m in found}
    groups: dict[str, list] = {"mutual": [], "accepted": [], "saved": [], "declined": []}
    for match in found:
        if match.state in groups:
            groups[match.state].append(match)
    recorded = [m for m in found if m.meeting or m.deal]
    contacts = {
        m.partner_id: _contacts(session, caller, partners[m.partner_id]) for m in groups["mutual"]
    }
    return render_template(
        "my/matches.html", groups=groups, recorded=recorded, partners=partners, contacts=contacts
    )


@bp.post("/feedback")
@member_required
def feedback():
    """Record the signed-in member's answer about a partner (form fields ``partner_id`` and
    ``event``), as ``POST /api/v1/members/{id}/feedback`` does, then go back to ``next``."""
    caller = current_member()
    session = get_db()
    event = request.form.get("event", "")
    partner_id = request.form.get("partner_id", "").strip()
    if event not in PAGE_EVENTS:
        return error_page(400, _("Unknown answer: {value}.", value=event))
    member = get_member(session, caller.member_id)
    require_act_for(caller, member)
    try:
        add_feedback(session, caller, member, partner_id, event)
    except ApiError as error:
        if error.code == 404:
            return error_page(404, _("There is no member {value}.", value=partner_id))
        return error_page(error.code, _("You cannot answer about your own firm."))
    session.commit()
    partner = get_member(session, partner_id)
    flash(
        _flash_message(
            event, partner.name, partner_id in mutual_partners(session, member.member_id)
        )
    )
    return redirect(back_to("my.suggestions"))


def _flash_message(event: str, name: str, mutual: bool) -> str:
    """What the page says once `event` about partner `name` is recorded."""
    if event == "accepted":
        if mutual:
            return _("You both accepted: contact details are open to both of you.")
        return _("You accepted {name}. Contact details open when {name} accepts too.", name=name)
    messages = {
        "declined": _(
            "{name} is declined and no longer suggested; you can undo this under “My matches”.",
            name=name,
        ),
        "saved": _("{name} is saved for later.", name=name),
        "undeclined": _("The decline of {name} is undone: it can be suggested again.", name=name),
        "meeting": _("Your meeting with {name} is recorded.", name=name),
        "deal": _("Your deal with {name} is recorded.", name=name),
    }
    return messages[event]
