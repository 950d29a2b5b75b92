"""The member pages of the matchmaking days a member takes part in (``/my/sessions``).

A member sees the sessions it participates in (the API's list for a member caller), and for
each: the day (date, place, times in the session's time zone), its wish list (the engine's
suggestions among the participants with reasons and a strength a person reads; must, would,
no thanks), its agenda (preliminary until the organisers publish it: the API shows a
participant both, and so does the page, saying which), its calendar (ICS) and printable agenda,
and after the day what came of its meetings. Every read and change calls the API's service
function (:mod:`api.services.sessions`) with the signed-in member as the caller, for the member
itself only: a session it does not take part in is a 404 page, another member's data a 403.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from matcher.engine.strength import match_strengths
from matcher.sessions.model import WISH_LEVELS

from ..db import get_db
from ..downloads import ICS, download_response, printable_response
from ..errors import ApiError
from ..services import sessions as store
from .i18n import _, current_language, ngettext, word
from .member_pages import bp, current_member, member_required

#: The outcome choices of a meeting after the day: (value, held, outcome); "planned" is the
#: choice of a meeting nothing was recorded for (not sent).
OUTCOME_CHOICES = (
    ("planned", None, None),
    ("not_held", False, "none"),
    ("held", True, "none"),
    ("follow_up", True, "follow_up"),
    ("deal", True, "deal"),
)
#: Sessions listed on one page.
SESSIONS_PER_PAGE = 50


def _revision() -> int | None:
    raw = request.form.get("revision", "").strip()
    return int(raw) if raw.isdigit() else None


def refusal_lines(error: ApiError) -> list[str]:
    """The lines of a refused change: the reason, then each field or conflict named."""
    lines = [
        f"{item['field']}: {item['message']}" if item.get("field") else item.get("message", "")
        for item in (error.errors or [])
    ]
    head = (
        word("sessions.refused_" + str(error.code))
        if error.code in (409, 422)
        else error.description or ""
    )
    return [head, *lines]


def outcome_choice(row: dict[str, Any]) -> str:
    """The outcome choice a row of the member's agenda stands at."""
    if row["status"] == "held":
        return "held" if row["outcome"] == "none" else row["outcome"]
    if row["status"] == "cancelled":
        return "not_held"
    return "planned"


@bp.get("/sessions")
@member_required
def sessions():
    """The matchmaking days the member takes part in, newest first."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = store.visible_sessions(
        get_db(), current_member(), page=page, per_page=SESSIONS_PER_PAGE
    )
    return render_template(
        "my/sessions.html", rows=rows, total=total, page=page, per_page=SESSIONS_PER_PAGE
    )


def _session_page(session_id: str, problems: list[str] | None = None, status: int = 200):
    db, caller, language = get_db(), current_member(), current_language()
    me = caller.member_id
    stored = store.get_stored(db, caller, session_id)
    session = stored.session
    agenda = store.participant_agenda(db, caller, session_id, me, language)
    wishes = store.wish_list(db, caller, session_id, me, language)
    partners = wishes["partners"]
    listed = {p["partner_id"] for p in partners}
    others = [
        p
        for m, p in session.participants.items()
        if m != me and m not in listed and not p.withdrawn
    ]
    meetings = [row for row in agenda["rows"] if row["partner_id"]]
    page = render_template(
        "my/session.html",
        stored=stored,
        settings=session.settings,
        state=session.state,
        rows=agenda["rows"],
        meetings=meetings,
        partners=partners,
        strengths=match_strengths([p["score"] for p in partners]),
        others=others,
        levels=WISH_LEVELS,
        choices=[value for value, _held, _outcome in OUTCOME_CHOICES],
        choice=outcome_choice,
        problems=problems or [],
    )
    return page, status


@bp.get("/sessions/<session_id>")
@member_required
def session(session_id: str):
    """One day: when and where, the member's agenda, wish list, calendar and outcomes."""
    return _session_page(session_id)


@bp.post("/sessions/<session_id>/wishes")
@member_required
def session_wish(session_id: str):
    """Set what the member wants of meeting a partner (must, would, no; none clears), as
    ``PUT /api/v1/sessions/{id}/wishes/{member}/{partner}`` does for itself."""
    caller = current_member()
    partner_id = request.form.get("partner_id", "").strip()
    level = request.form.get("level", "").strip()
    if level not in (*WISH_LEVELS, "none"):
        return _session_page(session_id, [_("Unknown wish: {value}.", value=level)], 422)
    try:
        stored = store.set_participant_wish(
            get_db(),
            caller,
            session_id,
            _revision(),
            caller.member_id,
            partner_id,
            None if level == "none" else level,
        )
    except ApiError as error:
        # A day the member does not take part in stays a 404 page (the page reloads it).
        return _session_page(session_id, refusal_lines(error), error.code)
    partner = stored.session.participants[partner_id]
    flash(_("{partner}: {level}.", partner=partner.name, level=word("wish." + level)))
    return redirect(url_for("my.session", session_id=session_id) + f"#partner-{partner_id}")


@bp.post("/sessions/<session_id>/outcomes")
@member_required
def session_outcomes(session_id: str):
    """Record what came of the member's meetings (after publication), all or none, as
    ``POST /api/v1/sessions/{id}/outcomes`` does: only its own meetings."""
    caller = current_member()
    me = caller.member_id
    wanted = {value: (held, outcome) for value, held, outcome in OUTCOME_CHOICES}
    agenda = store.participant_agenda(get_db(), caller, session_id, me, current_language())
    items = []
    for row in agenda["rows"]:
        if not row["partner_id"]:
            continue
        value = request.form.get(f"outcome:{row['partner_id']}")
        if value is None or value == outcome_choice(row):
            continue
        if value not in wanted or wanted[value][0] is None:
            message = _("Choose whether the meeting took place: {value}.", value=value)
            return _session_page(session_id, [message], 422)
        held, outcome = wanted[value]
        items.append(store.OutcomeItem(me, row["partner_id"], held, outcome))
    if not items:
        flash(_("Nothing changed."))
        return redirect(url_for("my.session", session_id=session_id) + "#outcomes")
    try:
        _stored, changed, _counts = store.record_outcomes(
            get_db(), caller, session_id, _revision(), items
        )
    except ApiError as error:
        return _session_page(session_id, refusal_lines(error), error.code)
    flash(
        ngettext(
            "{n} meeting recorded.",
            "{n} meetings recorded.",
            len(changed),
        )
    )
    return redirect(url_for("my.session", session_id=session_id) + "#outcomes")


@bp.get("/sessions/<session_id>/calendar.ics")
@member_required
def session_calendar(session_id: str):
    """The member's calendar of the day (its meetings only), as
    ``GET .../export/ics?member_id=<itself>`` gives it; in the page's language."""
    caller = current_member()
    content = store.participant_ics(
        get_db(), caller, session_id, caller.member_id, current_language()
    )
    return download_response(content, ICS, f"{caller.member_id}.ics")


@bp.get("/sessions/<session_id>/printable")
@member_required
def session_printable(session_id: str):
    """The member's printable agenda (its own only), as ``GET .../export/html`` gives a
    participant, under the printable page's policy."""
    language = current_language()
    page = store.printable_page(get_db(), current_member(), session_id, language)
    return printable_response(page, f"session-{session_id}-{language}.html")
