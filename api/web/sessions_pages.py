"""The manager pages of matchmaking sessions: the list, a session, wish lists, the agenda grid,
outcomes and downloads.

Routes on the pages' blueprint ``web`` (imported by :mod:`api.web` before the blueprint is
registered); the view ``web.sessions`` puts "Matchmaking sessions" in the navigation. Every
change goes through :mod:`api.services.sessions` as the API's does (the same access rules, the
same revision check, all or nothing); every form carries the CSRF token (checked by the
blueprint's ``check_csrf``) and the revision the page showed, so a change made meanwhile in
another tab or by another manager is refused (409) instead of overwritten. A refused change
shows the page again with what was wrong; a change that holds redirects (post/redirect/get) with
a notice.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from matcher.engine.strength import match_strengths
from matcher.sessions.agenda import check_agenda, conflicts_in
from matcher.sessions.edits import (
    add_meeting,
    cancel_meeting,
    lock_meeting,
    move_meeting,
    swap_meetings,
)
from matcher.sessions.exports import (
    ics_archive_bytes,
    participant_calendar,
    render_html,
    write_csv,
    xlsx_bytes,
)
from matcher.sessions.model import (
    AGENDA_STATES,
    PAIR_RULES,
    WISH_LEVELS,
    AgendaConflictError,
    Meeting,
    SessionProblem,
    SessionSettings,
    SessionValidationError,
)
from matcher.sessions.outcomes import publish, record_outcome, reopen
from matcher.sessions.scheduler import MARKED_DROP_SHARE
from matcher.sessions.wishes import add_participant, remove_participant

from ..db import get_db
from ..downloads import CSV, ICS, XLSX, ZIP, download_response, printable_response
from ..errors import ApiError
from ..services import sessions as store
from . import agenda_grid, queries
from .i18n import _, current_language, format_share, ngettext, word
from .login import login_required, safe_next, signed_in_caller
from .names import page_network_names
from .views import bp, error_page

logger = logging.getLogger(__name__)

#: Seconds of the build form (the API's bounds).
BUILD_SECONDS, MAX_BUILD_SECONDS = 20, 60
#: Members listed by the participant search.
SEARCH_ROWS = 20
#: "Must" meetings a rebuild would drop, listed by name on its confirmation page (then a count).
LISTED_MUST_MEETINGS = 30
_SPLIT = re.compile(r"[\s,;]+")
#: The outcome choices of the outcomes form: (value, held, outcome).
OUTCOME_CHOICES = (
    ("planned", None, None),
    ("not_held", False, "none"),
    ("held", True, "none"),
    ("follow_up", True, "follow_up"),
    ("deal", True, "deal"),
)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _load(session_id: str) -> store.Stored:
    """The session as the signed-in manager sees it (404 page otherwise)."""
    return store.get_stored(get_db(), signed_in_caller(), session_id)


def _revision() -> int | None:
    raw = request.form.get("revision", "").strip()
    return int(raw) if raw.isdigit() else None


def _problems(error: ApiError) -> list[str]:
    """The lines of a refused change: the reason, then each conflict or bad field."""
    lines = []
    for item in getattr(error, "errors", None) or []:
        field = item.get("field") or ""
        if field.startswith("agenda."):
            lines.append(f"{word('conflict.' + field.split('.', 1)[1])}: {item['message']}")
        elif item.get("row") is not None:
            lines.append(
                _(
                    "row {row}, {field}: {message}",
                    row=item["row"],
                    field=field,
                    message=item["message"],
                )
            )
        elif field.startswith("participants."):
            # "participants.<id>.network": the message names the participant (by name).
            lines.append(item["message"])
        else:
            lines.append(f"{field}: {item['message']}" if field else item["message"])
    return [
        word("sessions.refused_" + str(error.code))
        if error.code in (409, 422)
        else (error.description or "")
    ] + (lines or [error.description or ""])


def _change(session_id: str, step, allow=store.require_manager, after=None):
    """Apply a change as the signed-in manager (the API's path: revision check, all or none);
    the conflicts of a refused change are worded in the page's language."""
    language = current_language()

    def worded(session):
        try:
            return step(session)
        except AgendaConflictError as error:
            raise AgendaConflictError(conflicts_in(session, error.conflicts, language)) from None

    return store.change(
        get_db(), signed_in_caller(), session_id, _revision(), worded, allow=allow, after=after
    )


def _slots_text(numbers) -> str:
    numbers = sorted(numbers)
    if not numbers:
        return "—"
    parts, start, previous = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if n is not None:
            start = previous = n
    return ", ".join(parts)


def _percent(value: float | None) -> str:
    """A share (the optimality gap) with two decimals, "—" if missing (the library's format)."""
    return format_share(value, current_language(), digits=2)


def _common(stored: store.Stored) -> dict[str, Any]:
    session = stored.session
    return {
        "stored": stored,
        "session": session,
        "settings": session.settings,
        "figures": store.session_figures(session),
        "slots_text": _slots_text,
        "percent": _percent,
        "build_defaults": build_defaults(session),
        "build_report": build_report(session),
    }


def build_defaults(session) -> dict[str, Any]:
    """What the build form starts from: the settings of the last build (time limit, method,
    "also plan suggestions nobody marked"), else the defaults. A rebuild that forgot them
    planned 4 meetings instead of 960."""
    asked = (session.last_build or {}).get("settings") or {}
    seconds = asked.get("time_limit")
    if not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_BUILD_SECONDS:
        seconds = BUILD_SECONDS
    return {
        "time_limit": f"{seconds:g}",
        "method": "greedy" if asked.get("method") == "greedy" else "auto",
        "include_suggested": bool(asked.get("include_suggested")),
    }


def build_report(session) -> dict[str, Any] | None:
    """The last build in a manager's words: how close to the best possible agenda it is (the
    verdict), and the wishes the current agenda meets; None before the first build.

    ``verdict`` is ``best`` (proven optimal), ``bounded`` (the best possible agenda is at most
    ``better`` better, by the objective: the wishes met, weighted, and the fairness bonuses)
    or ``unknown`` (the greedy agenda, or an objective that penalties made 0 or less).
    """
    build = session.last_build
    if not build:
        return None
    objective, bound = build.get("objective"), build.get("best_bound")
    better = None
    if build.get("status") == "optimal" or (bound is not None and bound == objective):
        verdict = "best"
    elif bound is not None and isinstance(objective, (int, float)) and objective > 0:
        verdict, better = "bounded", max(0.0, (bound - objective) / objective)
    else:
        verdict = "unknown"
    scheduled = {m.pair for m in session.active_meetings()}
    wishes = [
        (wish.level, tuple(sorted(pair)) in scheduled)
        for pair, wish in session.wishes.items()
        if wish.level in ("must", "would")
        and not any(session.is_withdrawn(m) for m in pair)
        and all(m in session.participants for m in pair)
    ]
    return {
        "verdict": verdict,
        "better": better,
        "wishes": len(wishes),
        "wishes_met": sum(met for _level, met in wishes),
        "musts": sum(level == "must" for level, _met in wishes),
        "musts_met": sum(level == "must" and met for level, met in wishes),
        "settings": build.get("settings") or {},
    }


# ---------------------------------------------------------------------------------------------
# The list and creating a session
# ---------------------------------------------------------------------------------------------


def _create_defaults() -> dict[str, str]:
    return {
        "name": "",
        "date": "",
        "place": "",
        "timezone": "Europe/Kyiv",
        "meeting_minutes": "25",
        "tables": "10",
        "start": "10:00",
        "end": "13:00",
        "breaks": "",
        "gap_minutes": "5",
        "slots": "",
        "member_ids": "",
        "network": "",
    }


def _sessions_page(
    form: dict[str, Any], problems: list[str], status: int, chosen_networks=(), chosen_rules=()
):
    db = get_db()
    caller = signed_in_caller()
    rows, total = store.visible_sessions(db, caller, per_page=200)
    page = render_template(
        "web/sessions.html",
        rows=rows,
        total=total,
        form=form,
        problems=problems,
        networks=queries.live_networks(db),
        chosen_networks=set(chosen_networks),
        pair_rules=list(PAIR_RULES),
        chosen_rules=set(chosen_rules),
        states=AGENDA_STATES,
    )
    return page, status


@bp.get("/sessions")
@login_required
def sessions():
    """The sessions of the manager's network (an admin: all), and the form to create one."""
    return _sessions_page(_create_defaults(), [], 200)


@bp.post("/sessions")
@login_required
def session_create():
    """Create a session from the form (slots from start, end and breaks, or listed)."""
    caller = signed_in_caller()
    form = {
        key: request.form.get(key, default).strip() for key, default in _create_defaults().items()
    }
    networks = request.form.getlist("networks")
    rules = request.form.getlist("pair_rules")
    problems = []
    numbers = {}
    for key, low, high in (
        ("meeting_minutes", 5, 240),
        ("tables", 1, 1000),
        ("gap_minutes", 0, 120),
    ):
        if form[key].isdigit() and low <= int(form[key]) <= high:
            numbers[key] = int(form[key])
        else:
            problems.append(
                _(
                    "{field}: “{value}” is not a whole number from {low} to {high}.",
                    field=word("sessions.field." + key),
                    value=form[key],
                    low=low,
                    high=high,
                )
            )
    network = form["network"] if caller.role == "admin" and form["network"] else caller.network_id
    if not network:
        problems.append(_("You look after no network; an administrator can assign you one."))
    if problems:
        return _sessions_page(
            form,
            [_("The input has problems (nothing was changed):"), *problems],
            422,
            networks,
            rules,
        )
    slots = [s for s in _SPLIT.split(form["slots"]) if s] or None
    try:
        with store.library_errors(strip="settings."):
            settings = SessionSettings.create(
                name=form["name"],
                date=form["date"],
                timezone=form["timezone"],
                meeting_minutes=numbers["meeting_minutes"],
                tables=numbers["tables"],
                slots=slots,
                start=None if slots else form["start"] or None,
                end=None if slots else form["end"] or None,
                breaks=[b for b in re.split(r"[,;]\s*|\s+", form["breaks"]) if b]
                if not slots
                else (),
                gap_minutes=numbers["gap_minutes"] if not slots else 0,
                place=form["place"],
                networks=networks,
                member_ids=[m for m in _SPLIT.split(form["member_ids"]) if m],
                pair_rules=rules,
            )
        stored = store.create_session(get_db(), caller, settings, network)
    except ApiError as error:
        return _sessions_page(form, _problems(error), error.code, networks, rules)
    flash(_("Session “{name}” created.", name=settings.name))
    return redirect(url_for("web.session", session_id=stored.session_id))


# ---------------------------------------------------------------------------------------------
# A session: settings, participants, building, publishing, downloads
# ---------------------------------------------------------------------------------------------


def _member_search(stored: store.Stored, q: str) -> list[Any]:
    """Live members matching `q` (name, id, description) who may join and are not in yet."""
    if not q:
        return []
    search = queries.MemberSearch(q=q[: queries.MAX_QUERY_LENGTH], per_page=200)
    found, _total = queries.search_members(get_db(), search, stored.network_id)
    settings = stored.session.settings
    return [
        m
        for m in found
        if m.member_id not in stored.session.participants
        and settings.admits(m.member_id, m.network_id)
    ][:SEARCH_ROWS]


def _session_page(session_id: str, problems: list[str] | None = None, status: int = 200):
    stored = _load(session_id)
    q = request.args.get("q", "").strip()
    page = render_template(
        "web/session.html",
        **_common(stored),
        problems=problems or [],
        q=q,
        found=_member_search(stored, q),
        conflicts=check_agenda(stored.session, language=current_language()),
        build_seconds=BUILD_SECONDS,
        max_build_seconds=MAX_BUILD_SECONDS,
    )
    return page, status


@bp.get("/sessions/<session_id>")
@login_required
def session(session_id: str):
    """A session: its settings, participants (add, import, remove), building and downloads."""
    return _session_page(session_id)


@bp.post("/sessions/<session_id>/participants")
@login_required
def session_participant_add(session_id: str):
    """Add a member found by the search, with its availability."""
    member_id = request.form.get("member_id", "").strip()
    available = request.form.get("available", "").strip() or None
    db = get_db()

    def step(session):
        if member_id in session.participants:
            raise SessionValidationError(
                [SessionProblem("member_id", member_id, "already a participant")]
            )
        add_participant(
            session, store.participant_of_member(db, session.settings, member_id, available)
        )

    try:
        stored, _result = _change(session_id, step)
    except ApiError as error:
        return _session_page(session_id, _problems(error), error.code)
    flash(_("{name} takes part now.", name=stored.session.participants[member_id].name))
    return redirect(url_for("web.session", session_id=session_id) + "#participants")


@bp.post("/sessions/<session_id>/participants/import")
@login_required
def session_import(session_id: str):
    """Import participants from a CSV or XLSX file: every row checked, all or none."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _session_page(session_id, [_("Choose a file to import.")], 400)
    data, filename = upload.read(), upload.filename
    db = get_db()

    def step(session):
        participants = store.participants_of_upload(db, session.settings, data, filename, None)
        for participant in participants:
            add_participant(session, participant, replace_existing=True)
        return len(participants)

    try:
        _stored, count = _change(session_id, step)
    except ApiError as error:
        return _session_page(session_id, _problems(error), error.code)
    flash(ngettext("{n} participant imported.", "{n} participants imported.", count))
    return redirect(url_for("web.session", session_id=session_id) + "#participants")


@bp.post("/sessions/<session_id>/participants/<member_id>/remove")
@login_required
def session_participant_remove(session_id: str, member_id: str):
    """Remove a participant with its wishes and meetings."""

    def step(session) -> str:
        name = session.participant(member_id).name
        remove_participant(session, member_id)
        return name

    try:
        _stored, name = _change(session_id, step)
    except ApiError as error:
        return _session_page(session_id, _problems(error), error.code)
    flash(_("{name} removed, with its wishes and meetings.", name=name))
    return redirect(url_for("web.session", session_id=session_id) + "#participants")


@bp.post("/sessions/<session_id>/suggestions")
@login_required
def session_suggest(session_id: str):
    """Refresh the engine's suggestions among the participants."""
    db = get_db()

    def step(session):
        found = store.engine_suggestions(db, session)
        if found is None:
            raise ApiError(
                503,
                _(
                    "No model is active yet: train one (“matcher db train”, or POST /api/v1/models/retrain)."
                ),
            )
        session.suggestions = dict(found)
        return sum(s.suggested for items in found.values() for s in items)

    try:
        _stored, count = _change(session_id, step)
    except ApiError as error:
        if error.code == 503:
            return _session_page(
                session_id,
                [
                    _(
                        "No model is active yet: train one (“matcher db train”, or POST /api/v1/models/retrain)."
                    )
                ],
                503,
            )
        return _session_page(session_id, _problems(error), error.code)
    flash(
        ngettext(
            "The engine suggested {n} partner among the participants.",
            "The engine suggested {n} partners among the participants.",
            count,
        )
    )
    default = url_for("web.session_wishes", session_id=session_id)
    return redirect(safe_next(request.form.get("next"), default))


@bp.post("/sessions/<session_id>/build")
@login_required
def session_build(session_id: str):
    """Build the agenda within the time limit, then show the grid with the figures; a build
    that would plan markedly fewer meetings or drop "must" meetings waits for confirmation."""
    raw = request.form.get("time_limit", str(BUILD_SECONDS)).strip()
    try:
        time_limit = float(raw.replace(",", "."))
    except ValueError:
        time_limit = -1.0
    if not 0 < time_limit <= MAX_BUILD_SECONDS:
        return _agenda_page(
            session_id,
            [
                _(
                    "Time limit “{value}”: give seconds from 1 to {max}.",
                    value=raw,
                    max=MAX_BUILD_SECONDS,
                )
            ],
            422,
        )
    method = "greedy" if request.form.get("method") == "greedy" else "auto"
    include_suggested = request.form.get("include_suggested") == "1"
    workers = int(current_app.config.get("SESSION_SOLVER_WORKERS", 2))
    try:
        outcome = store.rebuild_agenda(
            get_db(),
            signed_in_caller(),
            session_id,
            _revision(),
            time_limit=time_limit,
            method=method,
            include_suggested=include_suggested,
            num_workers=workers,
            on_drop="hold",
        )
    except ApiError as error:
        return _agenda_page(session_id, _problems(error), error.code)
    if not outcome.replaced:
        return redirect(url_for("web.session_rebuild", session_id=session_id))
    flash(
        ngettext(
            "Agenda built: {n} meeting planned.",
            "Agenda built: {n} meetings planned.",
            len(outcome.result.meetings),
        )
    )
    return redirect(url_for("web.session_agenda", session_id=session_id))


def _meeting_names(session, meeting_ids) -> list[dict[str, Any]]:
    """Meetings named by id (``a~b``) as the confirmation page lists them: both names, the
    time and table of the current agenda, and who marked it "must"."""
    by_id = {m.meeting_id: m for m in session.active_meetings()}
    listed = []
    for meeting_id in meeting_ids:
        meeting = by_id.get(meeting_id)
        if meeting is None:
            continue
        a, b = meeting.pair

        def name(member_id: str) -> str:
            participant = session.participants.get(member_id)
            return participant.name if participant else member_id

        listed.append(
            {
                "meeting_id": meeting_id,
                "names": [name(a), name(b)],
                "time": session.settings.slot_label(meeting.slot),
                "table": meeting.table,
                "marked_by": [
                    name(x) for x, y in ((a, b), (b, a)) if session.level(x, y) == "must"
                ],
            }
        )
    return listed


@bp.get("/sessions/<session_id>/rebuild")
@login_required
def session_rebuild(session_id: str):
    """A built agenda that would drop meetings: what it drops, and Replace or Keep current."""
    stored = _load(session_id)
    candidate = store.get_candidate(get_db(), stored)
    if candidate is None:
        flash(_("No new agenda waits for confirmation."))
        return redirect(url_for("web.session_agenda", session_id=session_id))
    dropped = candidate.dropped
    page = render_template(
        "web/session_rebuild.html",
        **_common(stored),
        candidate=candidate,
        dropped=dropped,
        lost_must=_meeting_names(stored.session, dropped.get("lost_must", ())),
        listed_must=LISTED_MUST_MEETINGS,
        lost=len(dropped.get("lost", ())),
        fewer_share=1 - dropped["proposed"] / dropped["current"] if dropped["current"] else 0.0,
        marked_share=MARKED_DROP_SHARE,
        new_settings=(candidate.session.last_build or {}).get("settings") or {},
    )
    return page, 200


@bp.post("/sessions/<session_id>/rebuild/replace")
@login_required
def session_rebuild_replace(session_id: str):
    """Replace the agenda with the new one waiting for confirmation (its token and the
    revision it was built from must match: a stale form changes nothing)."""
    token = request.form.get("token", "")
    try:
        stored, _build = store.replace_with_candidate(
            get_db(), signed_in_caller(), session_id, token, _revision()
        )
    except ApiError as error:
        if error.code != 409:
            return _agenda_page(session_id, _problems(error), error.code)
        # An older token, or a session changed since the build: the same to the manager.
        stale = _(
            "This new agenda no longer waits for confirmation (a newer build, a change of the "
            "session or a decision on it came first); nothing was changed."
        )
        return _agenda_page(session_id, [word("sessions.refused_409"), stale], 409)
    flash(
        ngettext(
            "Agenda replaced: {n} meeting planned.",
            "Agenda replaced: {n} meetings planned.",
            len(stored.session.active_meetings()),
        )
    )
    return redirect(url_for("web.session_agenda", session_id=session_id))


@bp.post("/sessions/<session_id>/rebuild/keep")
@login_required
def session_rebuild_keep(session_id: str):
    """Keep the current agenda and discard the new one waiting for confirmation."""
    store.discard_candidate(
        get_db(), signed_in_caller(), session_id, request.form.get("token") or None
    )
    flash(_("The current agenda was kept; the new one was discarded."))
    return redirect(url_for("web.session_agenda", session_id=session_id))


@bp.post("/sessions/<session_id>/publish")
@login_required
def session_publish(session_id: str):
    """Publish the agenda as final (refused while it has conflicts)."""
    return _agenda_state_change(session_id, publish, _("The agenda is final."))


@bp.post("/sessions/<session_id>/reopen")
@login_required
def session_reopen(session_id: str):
    """Make the agenda preliminary again."""
    return _agenda_state_change(session_id, reopen, _("The agenda is preliminary again."))


def _agenda_state_change(session_id: str, change, done: str):
    """Publish or reopen: the agenda page with the refusal, or back to it saying `done`."""
    try:
        _change(session_id, change)
    except ApiError as error:
        return _agenda_page(session_id, _problems(error), error.code)
    flash(done)
    return redirect(url_for("web.session_agenda", session_id=session_id))


@bp.post("/sessions/<session_id>/delete")
@login_required
def session_delete(session_id: str):
    """Delete the session (the form's confirmation box must be ticked)."""
    if request.form.get("confirm") != "1":
        return _session_page(
            session_id, [_("Tick the box to confirm that the session should be deleted.")], 422
        )
    try:
        store.delete_session(get_db(), signed_in_caller(), session_id, _revision())
    except ApiError as error:
        return _session_page(session_id, _problems(error), error.code)
    flash(_("Session deleted."))
    return redirect(url_for("web.sessions"))


@bp.get("/sessions/<session_id>/export/<kind>")
@login_required
def session_export(session_id: str, kind: str):
    """Downloads: the workbook, a CSV, the calendars (a zip, or one participant's), the
    printable page; in the page's language."""
    stored = _load(session_id)
    store.require_manager(stored, "export the agenda")
    language = current_language()
    session = stored.session
    name = f"session-{stored.session_id}-{language}"
    if kind == "xlsx":
        return download_response(xlsx_bytes(session, language), XLSX, f"{name}.xlsx")
    if kind == "csv":
        view = request.args.get("view", "plan")
        if view not in ("plan", "agendas", "tables"):
            return error_page(400, _("Unknown CSV view: {value}.", value=view))
        text = write_csv(session, language=language, view=view)
        return download_response(
            ("\ufeff" + text).encode("utf-8"),
            CSV,
            f"session-{stored.session_id}-{view}-{language}.csv",
        )
    if kind == "ics":
        member_id = request.args.get("member_id")
        if member_id is None:
            return download_response(
                ics_archive_bytes(session, language, network_names=page_network_names()),
                ZIP,
                f"session-{stored.session_id}-calendars.zip",
            )
        if member_id not in session.participants:
            return error_page(
                404, _("{member_id} is not a participant of this session.", member_id=member_id)
            )
        calendar = participant_calendar(session, member_id, language, page_network_names())
        return download_response(calendar.to_ical(), ICS, f"{member_id}.ics")
    if kind == "html":
        page = render_html(session, language, network_names=page_network_names())
        return printable_response(page, f"{name}.html")
    return error_page(404, "")


# ---------------------------------------------------------------------------------------------
# Wish lists
# ---------------------------------------------------------------------------------------------


def _wishes_page(
    session_id: str, member_id: str | None, problems: list[str] | None = None, status: int = 200
):
    stored = _load(session_id)
    session = stored.session
    # A participant that withdrew (kept only to flag its published meetings) neither wishes
    # nor is wished for.
    active = [m for m, p in session.participants.items() if not p.withdrawn]
    chosen = member_id if member_id in active else next(iter(active), None)
    partners, stored_here = [], True
    if chosen is not None:
        stored_here = chosen in session.suggestions
        computed = None if stored_here else store.engine_suggestions(get_db(), session, [chosen])
        partners = store.partners_of(session, chosen, current_language(), computed)
    listed = {p["partner_id"] for p in partners}
    others = [session.participants[m] for m in active if m != chosen and m not in listed]
    page = render_template(
        "web/session_wishes.html",
        **_common(stored),
        problems=problems or [],
        chosen=chosen,
        partners=partners,
        strengths=match_strengths([p["score"] for p in partners]),
        stored_here=stored_here,
        others=others,
        levels=WISH_LEVELS,
    )
    return page, status


@bp.get("/sessions/<session_id>/wishes")
@login_required
def session_wishes(session_id: str):
    """A participant's wish list: the engine's suggestions with reasons, must/would/no each."""
    return _wishes_page(session_id, request.args.get("member"))


@bp.post("/sessions/<session_id>/wishes")
@login_required
def session_wish_set(session_id: str):
    """Set what a participant wants of a meeting (must, would, no; none clears)."""
    member_id = request.form.get("member_id", "").strip()
    partner_id = request.form.get("partner_id", "").strip()
    level = request.form.get("level", "").strip()
    if level not in (*WISH_LEVELS, "none"):
        return _wishes_page(session_id, member_id, [_("Unknown wish: {value}.", value=level)], 422)
    try:
        # The API's step (PUT .../wishes/...): the session's pair rules hold here too.
        stored = store.set_participant_wish(
            get_db(),
            signed_in_caller(),
            session_id,
            _revision(),
            member_id,
            partner_id,
            None if level == "none" else level,
        )
    except ApiError as error:
        return _wishes_page(session_id, member_id, _problems(error), error.code)
    people = stored.session.participants
    flash(
        _(
            "{name} → {partner}: {level}.",
            name=people[member_id].name,
            partner=people[partner_id].name,
            level=word("wish." + level),
        )
    )
    return redirect(
        url_for("web.session_wishes", session_id=session_id, member=member_id)
        + f"#partner-{partner_id}"
    )


# ---------------------------------------------------------------------------------------------
# The agenda grid and hand edits
# ---------------------------------------------------------------------------------------------


def _agenda_page(session_id: str, problems: list[str] | None = None, status: int = 200):
    stored = _load(session_id)
    session = stored.session
    # One part of the grid (see agenda_grid); after a refused edit, the part it was made in,
    # and the forms show what was sent.
    view = agenda_grid.grid_view(session, request.values)
    selected = request.values.get("meeting", "")
    chosen = next((m for m in session.active_meetings() if m.meeting_id == selected), None)
    shown = agenda_grid.shown_meetings(session, view)
    chosen_slot = request.values.get("slot", "")
    chosen_table = request.values.get("table", "")
    page = render_template(
        "web/session_agenda.html",
        **_common(stored),
        problems=problems or [],
        view=view,
        table_pages=agenda_grid.table_pages(session),
        cell_id=agenda_grid.cell_id,
        grid=agenda_grid.grid_rows(session, view),
        # The edit lists: the meetings shown, and the one chosen on another part of the grid.
        meetings=shown if chosen is None or chosen in shown else [chosen, *shown],
        chosen_meeting=chosen,
        cancelled=[m for m in session.meetings if not m.active],
        conflicts=check_agenda(session, language=current_language()),
        selected=selected,
        chosen_slot=chosen_slot,
        chosen_table=chosen_table,
        build_seconds=BUILD_SECONDS,
        max_build_seconds=MAX_BUILD_SECONDS,
        last_build=session.last_build,
    )
    return page, status


@bp.get("/sessions/<session_id>/agenda")
@login_required
def session_agenda(session_id: str):
    """The agenda as a grid: a row per slot, a column per table; edits, conflicts, publishing."""
    return _agenda_page(session_id)


def _pair(value: str) -> tuple[str, str]:
    a, _sep, b = value.partition("~")
    return a, b


def _number(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@bp.post("/sessions/<session_id>/agenda")
@login_required
def session_edit(session_id: str):
    """One hand edit: move, swap, cancel, add, lock or unlock (refused if it makes a conflict).

    The grid's buttons send ``cell`` = ``<action>:<meeting id>``; the edit forms send
    ``action`` and their fields, and all of them the part of the grid they were sent from
    (``page`` or ``member``): a change that holds lands back on the cell it acted on
    (:func:`_landing`).
    """
    action, _sep, target = request.form.get("cell", "").partition(":")
    if not action:
        action = request.form.get("action", "")
        target = request.form.get("meeting", "")
    slot, table = _number("slot"), _number("table")
    edits = {
        "move": lambda s: move_meeting(s, *_pair(target), slot, table),
        "swap": lambda s: swap_meetings(s, _pair(target), _pair(request.form.get("other", ""))),
        "cancel": lambda s: cancel_meeting(s, *_pair(target)),
        "add": lambda s: (
            add_meeting(
                s, request.form.get("member_a", ""), request.form.get("member_b", ""), slot, table
            ),
            # Both sides are told why they meet.
            store.explain_meetings(get_db(), s),
        ),
        "lock": lambda s: lock_meeting(s, *_pair(target), True),
        "unlock": lambda s: lock_meeting(s, *_pair(target), False),
    }
    if action not in edits:
        return _agenda_page(session_id, [_("Unknown edit: {value}.", value=action)], 400)
    if action in ("move", "add") and slot is None:
        return _agenda_page(session_id, [_("Choose a slot.")], 422)
    try:
        stored, result = _change(session_id, edits[action])
    except ApiError as error:
        return _agenda_page(session_id, _problems(error), error.code)
    flash(word("sessions.edited." + action))
    return redirect(_landing(stored.session, result))


def _landing(session, result) -> str:
    """The agenda page at the cell an edit acted on (the meeting it returned, first of a
    swap), in the view the edit was made in when that view shows the cell."""
    acted = next(
        (m for m in (result if isinstance(result, tuple) else (result,)) if isinstance(m, Meeting)),
        None,
    )
    asked = agenda_grid.grid_view(session, request.form)
    if acted is None:
        return url_for("web.session_agenda", session_id=session.settings.session_id, **asked.args())
    view = agenda_grid.landing(session, asked, acted.slot, acted.table)
    return (
        url_for("web.session_agenda", session_id=session.settings.session_id, **view.args())
        + "#"
        + agenda_grid.cell_id(acted.slot, acted.table)
    )


# ---------------------------------------------------------------------------------------------
# Outcomes after the day
# ---------------------------------------------------------------------------------------------


def _current_choice(meeting) -> str:
    if meeting.status == "held":
        return "held" if meeting.outcome == "none" else meeting.outcome
    if meeting.status == "cancelled":
        return "not_held"
    return "planned"


def _outcomes_page(session_id: str, problems: list[str] | None = None, status: int = 200):
    stored = _load(session_id)
    session = stored.session
    meetings = sorted(session.meetings, key=lambda m: (m.slot, m.table, m.pair))
    page = render_template(
        "web/session_outcomes.html",
        **_common(stored),
        problems=problems or [],
        meetings=meetings,
        choice=_current_choice,
        choices=[value for value, _held, _outcome in OUTCOME_CHOICES],
    )
    return page, status


@bp.get("/sessions/<session_id>/outcomes")
@login_required
def session_outcomes(session_id: str):
    """After the day: which meetings took place, and what came of them."""
    return _outcomes_page(session_id)


@bp.post("/sessions/<session_id>/outcomes")
@login_required
def session_outcomes_save(session_id: str):
    """Record the changed outcomes, all or none; held meetings become feedback."""
    wanted = {value: (held, outcome) for value, held, outcome in OUTCOME_CHOICES}
    caller = signed_in_caller()

    def step(session):
        if session.state != "final":
            raise SessionValidationError(
                [
                    SessionProblem(
                        "state", session.state, "publish the agenda before you record what happened"
                    )
                ]
            )
        changed = []
        for meeting in list(session.meetings):
            value = request.form.get(f"outcome:{meeting.meeting_id}")
            if value is None or value == _current_choice(meeting):
                continue
            if value not in wanted or wanted[value][0] is None:
                raise SessionValidationError(
                    [
                        SessionProblem(
                            meeting.meeting_id,
                            value,
                            "choose whether it took place; allowed: "
                            + ", ".join(v for v, held, _o in OUTCOME_CHOICES if held is not None),
                        )
                    ]
                )
            held, outcome = wanted[value]
            changed.append(
                record_outcome(session, meeting.member_a, meeting.member_b, held, outcome)
            )
        return changed

    def after(db, stored, changed):
        return changed, store.sync_outcome_feedback(db, caller, stored, [m.pair for m in changed])

    try:
        _stored, (changed, counts) = _change(session_id, step, after=after)
    except ApiError as error:
        return _outcomes_page(session_id, _problems(error), error.code)
    flash(
        ngettext(
            "{n} meeting recorded; feedback: {written} written, {removed} withdrawn.",
            "{n} meetings recorded; feedback: {written} written, {removed} withdrawn.",
            len(changed),
            written=counts["written"],
            removed=counts["removed"],
        )
    )
    return redirect(url_for("web.session_outcomes", session_id=session_id))
