"""``matcher session``: run a matchmaking day from a session file (JSON).

Every command reads the session file, does one step and writes the file back atomically:
``create``, ``show``, ``participants add|import|remove|list``, ``wishes suggest|set|list``,
``build``, ``edit move|swap|cancel|add|lock|unlock``, ``check``, ``publish``, ``reopen``,
``export``, ``outcome`` and ``feedback``. Exit codes: 0 success, 2 bad input or a conflict
(the message on stderr), 1 any other failure.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .commands import (
    BadInput,
    _duplicates_option,
    _format_option,
    _links_option,
    _load_inputs,
    _models_dir_option,
    _profiles_option,
    _run,
    _sample_option,
)

_session_argument = click.argument(
    "session_file", metavar="SESSION", type=click.Path(dir_okay=False)
)
_language_option = click.option(
    "--language",
    type=click.Choice(["en", "uk"]),
    default="en",
    show_default=True,
    help="Language of labels and reasons.",
)


def _change(session_file: str, step: Callable[[Any], str]) -> None:
    """Load the session, apply `step` (which returns the message to print), save it."""
    from ..sessions.model import load_session, save_session

    def action():
        session = load_session(session_file)
        message = step(session)
        save_session(session, session_file)
        if message:
            click.echo(message)

    _run(action)


def _read(session_file: str, step: Callable[[Any], None]) -> None:
    """Load the session and run `step` on it without saving."""
    from ..sessions.model import load_session

    _run(lambda: step(load_session(session_file)))


def _matcher(model_name, models_dir, profiles, links, sample, duplicates):
    """A fitted PartnerMatcher from a trained model or fitted on the fly."""
    from ..engine.artifacts import load_model
    from ..engine.ranking import PartnerMatcher

    if model_name and (profiles or links or sample):
        raise BadInput("give either --model or --profiles/--links/--sample, not both")
    if model_name:
        return load_model(model_name, models_dir)[0]
    if not (profiles or sample):
        raise BadInput(
            "the engine is needed: give --model NAME (and --models-dir), or "
            "--profiles FILE [--links FILE], or --sample"
        )
    frame, known_links = _load_inputs(profiles, links, sample, duplicates)
    return PartnerMatcher().fit(frame, known_links)


def _model_options(function):
    for option in reversed(
        [
            click.option(
                "--model", "model_name", default=None, help="Name (or folder) of a trained model."
            ),
            _models_dir_option,
            _profiles_option,
            _links_option,
            _sample_option,
            _duplicates_option("error"),
        ]
    ):
        function = option(function)
    return function


@click.group()
def session() -> None:
    """Matchmaking sessions: participants, wish lists, the agenda, exports and outcomes."""


@session.command()
@_session_argument
@click.option("--name", required=True, help="Name of the session.")
@click.option("--date", "date_", required=True, help="Date, YYYY-MM-DD.")
@click.option(
    "--timezone", default="Europe/Kyiv", show_default=True, help="IANA time zone of the place."
)
@click.option("--place", default="", help="Where it takes place.")
@click.option(
    "--meeting-minutes", default=25, show_default=True, type=int, help="Length of a meeting."
)
@click.option("--tables", required=True, type=int, help="Number of tables.")
@click.option(
    "--slot",
    "slots",
    multiple=True,
    help="Start time HH:MM of a slot (repeatable); or use --start/--end.",
)
@click.option("--start", default=None, help="Start of the day, HH:MM.")
@click.option("--end", default=None, help="End of the day, HH:MM.")
@click.option("--break", "breaks", multiple=True, help="A break HH:MM-HH:MM (repeatable).")
@click.option(
    "--gap-minutes", default=5, show_default=True, type=int, help="Minutes between slots."
)
@click.option(
    "--network",
    "networks",
    multiple=True,
    help="Members of this network may take part (repeatable).",
)
@click.option(
    "--member", "member_ids", multiple=True, help="This member may take part (repeatable)."
)
@click.option(
    "--rule",
    "rules",
    multiple=True,
    type=click.Choice(["buyers_with_suppliers", "different_networks"]),
    help="Who may meet whom (repeatable).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing session file.")
def create(
    session_file,
    name,
    date_,
    timezone,
    place,
    meeting_minutes,
    tables,
    slots,
    start,
    end,
    breaks,
    gap_minutes,
    networks,
    member_ids,
    rules,
    force,
):
    """Create a session file."""
    from ..sessions.model import Session, SessionSettings, save_session

    def action():
        if Path(session_file).exists() and not force:
            raise BadInput(f"{session_file} exists; give --force to overwrite it")
        settings = SessionSettings.create(
            name=name,
            date=date_,
            timezone=timezone,
            meeting_minutes=meeting_minutes,
            tables=tables,
            slots=list(slots) if slots else None,
            start=start,
            end=end,
            breaks=breaks,
            gap_minutes=gap_minutes if not slots else 0,
            place=place,
            networks=networks,
            member_ids=member_ids,
            pair_rules=rules,
        )
        save_session(Session(settings), session_file)
        click.echo(
            f"created {session_file}: {settings.name}, {settings.date}, {settings.n_slots} slots "
            f"({settings.slot_label(1)} to {settings.slot_label(settings.n_slots)}), "
            f"{settings.tables} tables"
        )

    _run(action)


@session.command()
@_session_argument
@_format_option("text", "json")
def show(session_file, output_format):
    """Show the session: settings, participants, wishes and the agenda's state."""
    from ..sessions.agenda import check_agenda

    def step(session):
        if output_format == "json":
            click.echo(json.dumps(session.to_dict(), ensure_ascii=False, indent=2))
            return
        settings = session.settings
        wishes = {}
        for wish in session.wishes.values():
            wishes[wish.level] = wishes.get(wish.level, 0) + 1
        conflicts = check_agenda(session)
        lines = [
            f"{settings.name} ({settings.session_id})",
            (
                f"  {settings.date} {settings.place} [{settings.timezone}], {settings.n_slots} slots of "
                f"{settings.meeting_minutes} min: "
                + ", ".join(settings.slot_label(s) for s in settings.slot_numbers)
            ),
            (
                f"  {settings.tables} tables; rules: {', '.join(settings.pair_rules) or 'none'}; open to: "
                + (", ".join([*settings.networks, *settings.member_ids]) or "anyone")
            ),
            (
                f"  participants: {len(session.participants)}; suggestions for "
                f"{len(session.suggestions)}; wishes: "
                + (", ".join(f"{level} {n}" for level, n in sorted(wishes.items())) or "none")
            ),
            (
                f"  agenda: {session.state} (revision {session.revision}), "
                f"{len(session.active_meetings())} meetings, "
                f"{sum(c.severity == 'error' for c in conflicts)} conflicts, "
                f"{sum(c.severity == 'warning' for c in conflicts)} warnings"
            ),
        ]
        if session.last_build:
            b = session.last_build
            lines.append(
                f"  last build: {b['solver']} {b['status']}, objective {b['objective']}, "
                f"gap {_percent(b['gap'])}, {b['wall_time']} s"
            )
        click.echo("\n".join(lines))

    _read(session_file, step)


def _percent(gap) -> str:
    return "n/a" if gap is None else f"{100 * gap:.2f}%"


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------


@session.group()
def participants() -> None:
    """Add, import, remove and list participants."""


@participants.command("add")
@_session_argument
@click.option("--member", "member_ids", multiple=True, help="Member id to add (repeatable).")
@click.option("--all-eligible", is_flag=True, help="Add every member the session is open to.")
@click.option(
    "--available",
    default="all",
    show_default=True,
    help="Slots they can attend: 'all', numbers and ranges '1-4;6', or times '10:00-12:00'.",
)
@click.option(
    "--min", "min_meetings", default=0, show_default=True, type=int, help="Minimum meetings."
)
@click.option(
    "--max", "max_meetings", default=None, type=int, help="Maximum meetings (default: no limit)."
)
@click.option(
    "--replace", "replace_existing", is_flag=True, help="Update participants already added."
)
@_model_options
def participants_add(
    session_file,
    member_ids,
    all_eligible,
    available,
    min_meetings,
    max_meetings,
    replace_existing,
    model_name,
    models_dir,
    profiles,
    links,
    sample,
    duplicates,
):
    """Add members as participants, from a profile file or a trained model's profiles."""
    from ..profiles import frame_to_profiles, read_profile_frame
    from ..sessions.model import Participant
    from ..sessions.wishes import add_participant

    def step(session):
        if bool(member_ids) == bool(all_eligible):
            raise BadInput("give --member ID (repeatable) or --all-eligible")
        if model_name:
            frame = _matcher(model_name, models_dir, None, None, False, duplicates).frame_
        elif profiles or sample:
            if sample:
                from ..datasets.generator import SAMPLE_DIR

                profiles_path = SAMPLE_DIR / "profiles.csv"
            else:
                profiles_path = profiles
            frame = read_profile_frame(profiles_path, duplicates=duplicates)
        else:
            raise BadInput("give the members' profiles: --profiles FILE, --sample or --model NAME")
        by_id = {p.member_id: p for p in frame_to_profiles(frame)}
        if all_eligible:
            chosen = [m for m, p in by_id.items() if session.settings.admits(m, p.network)]
            if not session.settings.networks and not session.settings.member_ids:
                raise BadInput(
                    "the session is open to anyone; --all-eligible needs a session "
                    "limited to networks or members (or give --member)"
                )
        else:
            from ..sessions.model import closest_hint

            unknown = [m for m in member_ids if m not in by_id]
            if unknown:
                raise BadInput(
                    f"not among the profiles: {', '.join(unknown)}"
                    + closest_hint(unknown[0], by_id)
                )
            chosen = list(dict.fromkeys(member_ids))
        added = 0
        for member_id in chosen:
            if member_id in session.participants and not replace_existing and all_eligible:
                continue
            participant = Participant.from_profile(
                by_id[member_id], session.settings, available, min_meetings, max_meetings
            )
            add_participant(session, participant, replace_existing)
            added += 1
        return f"added {added} participants; {len(session.participants)} in all"

    _change(session_file, step)


@participants.command("import")
@_session_argument
@click.argument("participants_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--profiles",
    type=click.Path(dir_okay=False),
    help="Profile file: participants must be its members; missing names and types come from it.",
)
@click.option(
    "--replace", "replace_existing", is_flag=True, help="Update participants already added."
)
def participants_import(session_file, participants_file, profiles, replace_existing):
    """Import participants from CSV/XLSX/JSON: member_id, name, network, org_type, country,
    role, available, min_meetings, max_meetings."""
    from ..profiles import frame_to_profiles, read_profile_frame
    from ..sessions.wishes import add_participant, read_participants

    def step(session):
        by_id = None
        if profiles:
            by_id = {p.member_id: p for p in frame_to_profiles(read_profile_frame(profiles))}
        imported = read_participants(participants_file, session.settings, by_id)
        existing = [p.member_id for p in imported if p.member_id in session.participants]
        if existing and not replace_existing:
            raise BadInput(
                f"{participants_file}: already participants: {', '.join(existing[:10])}; "
                "give --replace to update them"
            )
        for participant in imported:
            add_participant(session, participant, replace_existing)
        return f"imported {len(imported)} participants; {len(session.participants)} in all"

    _change(session_file, step)


@participants.command("remove")
@_session_argument
@click.argument("member_id")
def participants_remove(session_file, member_id):
    """Remove a participant with its wishes and meetings."""
    from ..sessions.wishes import remove_participant

    def step(session):
        remove_participant(session, member_id)
        return f"removed {member_id}; {len(session.participants)} participants left"

    _change(session_file, step)


@participants.command("list")
@_session_argument
@_format_option("table", "json", "csv")
def participants_list(session_file, output_format):
    """List the participants with availability, limits and meetings."""
    from ..sessions.agenda import number_ranges

    def step(session):
        rows = [
            {**p.to_dict(), "meetings": len(session.meetings_of(p.member_id))}
            for p in session.participants.values()
        ]
        if output_format == "json":
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if output_format == "csv":
            from ..spreadsheets import csv_text

            header = [
                "member_id",
                "name",
                "network",
                "org_type",
                "role",
                "available",
                "min_meetings",
                "max_meetings",
                "meetings",
            ]
            text = csv_text(
                header,
                (
                    [
                        r["member_id"],
                        r["name"],
                        r["network"],
                        r["org_type"],
                        r["role"],
                        number_ranges(r["available"]).replace(", ", ";"),
                        r["min_meetings"],
                        "" if r["max_meetings"] is None else r["max_meetings"],
                        r["meetings"],
                    ]
                    for r in rows
                ),
            )
            click.echo(text.rstrip("\r\n"))
            return
        if not rows:
            click.echo("no participants yet")
        for r in rows:
            limit = (
                f"{r['min_meetings']}+"
                if r["max_meetings"] is None
                else f"{r['min_meetings']}-{r['max_meetings']}"
            )
            click.echo(
                f"{r['member_id']:<14} {r['name'][:34]:<34} {r['role']:<8} slots "
                f"{number_ranges(r['available']):<12} meetings {r['meetings']} (wants {limit})"
            )

    _read(session_file, step)


# ---------------------------------------------------------------------------------------------
# Wishes
# ---------------------------------------------------------------------------------------------


@session.group()
def wishes() -> None:
    """The engine's suggestions among the participants, and their wishes."""


@wishes.command("suggest")
@_session_argument
@click.option(
    "--k",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Suggestions per participant.",
)
@click.option(
    "--member", "member_ids", multiple=True, help="Only for this participant (repeatable)."
)
@_model_options
def wishes_suggest(
    session_file, k, member_ids, model_name, models_dir, profiles, links, sample, duplicates
):
    """Suggest partners among the participants to each participant, with reasons (en and uk)."""
    from ..sessions.wishes import suggest_wishes

    def step(session):
        matcher = _matcher(model_name, models_dir, profiles, links, sample, duplicates)
        found = suggest_wishes(matcher, session, k=k, member_ids=member_ids or None)
        session.suggestions.update(found)
        total = sum(s.suggested for items in found.values() for s in items)
        explained = sum(not s.suggested for items in found.values() for s in items)
        guests = (len(member_ids) if member_ids else len(session.participants)) - len(found)
        return (
            f"{total} suggestions for {len(found)} participants"
            + (f"; {explained} wished or planned pairs explained" if explained else "")
            + (
                f"; {guests} participants are not in the model's profiles and got none"
                if guests
                else ""
            )
        )

    _change(session_file, step)


@wishes.command("set")
@_session_argument
@click.option("--member", "member_id", default=None, help="Who wishes.")
@click.option("--partner", "partner_id", default=None, help="Whom.")
@click.option(
    "--level",
    type=click.Choice(["must", "would", "no", "none"]),
    default=None,
    help="must meet, would meet, no thanks (a veto), or none to clear.",
)
@click.option(
    "--file",
    "wishes_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV/XLSX/JSON of member_id, partner_id, level (all rows or none).",
)
def wishes_set(session_file, member_id, partner_id, level, wishes_file):
    """Record wishes: one with --member/--partner/--level, or many with --file."""
    from ..profiles import read_table
    from ..sessions.wishes import set_wish, set_wishes

    def step(session):
        if wishes_file and (member_id or partner_id or level):
            raise BadInput("give --file, or --member/--partner/--level, not both")
        if wishes_file:
            frame, unit = read_table(wishes_file, "wishes")
            missing = [c for c in ("member_id", "partner_id", "level") if c not in frame.columns]
            if missing:
                raise BadInput(
                    f"{wishes_file}: missing columns {', '.join(missing)}; expected "
                    "member_id, partner_id, level"
                )
            n = set_wishes(
                session,
                frame.to_dict("records"),
                source=str(wishes_file),
                unit=unit,
                first_row=2 if unit == "row" else 1,
            )
            return f"set {n} wishes"
        if not (member_id and partner_id and level):
            raise BadInput("give --member, --partner and --level (or --file)")
        set_wish(session, member_id, partner_id, None if level == "none" else level)
        return f"{member_id} -> {partner_id}: {level}"

    _change(session_file, step)


@wishes.command("list")
@_session_argument
@click.option("--member", "member_ids", multiple=True, help="Only this participant (repeatable).")
@_language_option
@_format_option("table", "json")
def wishes_list(session_file, member_ids, language, output_format):
    """List each participant's suggestions (marked *, with reasons) and wishes."""

    def step(session):
        chosen = list(member_ids) or list(session.participants)
        payload = []
        for member_id in chosen:
            session.participant(member_id)
            suggested = {s.partner_id: s for s in session.suggestions.get(member_id, ())}
            wished = {p: w.level for (m, p), w in session.wishes.items() if m == member_id}
            partners = list(suggested) + [p for p in wished if p not in suggested]
            payload.append(
                {
                    "member_id": member_id,
                    "partners": [
                        {
                            "partner_id": p,
                            "name": session.participants[p].name
                            if p in session.participants
                            else p,
                            "score": round(suggested[p].score, 4) if p in suggested else None,
                            "level": wished.get(p),
                            "suggested": bool(p in suggested and suggested[p].suggested),
                            "reasons": list(suggested[p].reasons.get(language, ()))
                            if p in suggested
                            else [],
                        }
                        for p in partners
                    ],
                }
            )
        if output_format == "json":
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for item in payload:
            click.echo(
                f"{item['member_id']}:" + ("" if item["partners"] else " no suggestions or wishes")
            )
            for p in item["partners"]:
                score = "" if p["score"] is None else f"{p['score']:.2f}"
                mark = "*" if p["suggested"] else " "
                click.echo(
                    f" {mark}{p['partner_id']:<14} {p['name'][:30]:<30} {score:>5} "
                    f"{p['level'] or '-':<6} {'; '.join(p['reasons'][:2])}"
                )

    _read(session_file, step)


# ---------------------------------------------------------------------------------------------
# The agenda
# ---------------------------------------------------------------------------------------------


@session.command()
@_session_argument
@click.option(
    "--time-limit",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the solver may take.",
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Solver threads."
)
@click.option(
    "--gap",
    "gap_limit",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="Stop within this fraction of the bound (0: prove the optimum).",
)
@click.option("--greedy", is_flag=True, help="Use the greedy agenda instead of the solver.")
@click.option(
    "--include-suggested",
    is_flag=True,
    help="Also plan engine suggestions nobody marked (below any wish).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@_model_options
def build(
    session_file,
    time_limit,
    workers,
    gap_limit,
    greedy,
    include_suggested,
    seed,
    model_name,
    models_dir,
    profiles,
    links,
    sample,
    duplicates,
):
    """Build the agenda (locked meetings stay where they are). With the engine (--model, or
    --profiles/--sample), every meeting is then explained to both sides."""
    from ..sessions.scheduler import apply_agenda, build_agenda
    from ..sessions.wishes import explain_agenda

    engine = model_name or profiles or links or sample
    matcher = (
        _matcher(model_name, models_dir, profiles, links, sample, duplicates) if engine else None
    )

    def step(session):
        result = build_agenda(
            session,
            time_limit=time_limit,
            num_workers=workers,
            method="greedy" if greedy else "auto",
            include_suggested=include_suggested,
            random_seed=seed,
            gap_limit=gap_limit,
        )
        apply_agenda(session, result)
        kept = sum(1 for m in result.meetings if m.locked or m.status == "held")
        lines = [
            (
                f"agenda: {len(result.meetings)} meetings from {result.n_candidates} candidates "
                f"({kept} kept); {result.solver}, {result.status}, {result.wall_time:.1f} s"
            ),
            (
                f"objective {result.objective}, bound "
                + (
                    "n/a"
                    if result.best_bound is None
                    else f"{result.best_bound} ({result.bound_source})"
                )
                + f", gap {_percent(result.gap)}"
            ),
        ]
        if result.fallback_reason:
            lines.append(f"fallback: {result.fallback_reason}")
        if result.unmet_minimum:
            lines.append(
                "below their minimum: "
                + ", ".join(f"{m} (-{n})" for m, n in result.unmet_minimum.items())
            )
        if result.without_meetings:
            lines.append("asked for meetings and have none: " + ", ".join(result.without_meetings))
        if matcher is not None:
            explained = explain_agenda(matcher, session)
            lines.append(f"{explained} meeting sides explained by the engine")
        return "\n".join(lines)

    _change(session_file, step)


@session.group()
def edit() -> None:
    """Edit the preliminary agenda by hand; an edit that creates a conflict is refused."""


@edit.command("move")
@_session_argument
@click.argument("member_id")
@click.argument("partner_id")
@click.option("--slot", required=True, type=int, help="New slot number.")
@click.option(
    "--table",
    type=int,
    default=None,
    help="Table (default: its own if free, else the lowest free).",
)
@click.option("--no-lock", is_flag=True, help="Do not lock the moved meeting.")
def edit_move(session_file, member_id, partner_id, slot, table, no_lock):
    """Move a meeting to another slot (and table)."""
    from ..sessions.edits import move_meeting

    def step(session):
        m = move_meeting(session, member_id, partner_id, slot, table, lock=not no_lock)
        return f"{m.meeting_id}: slot {m.slot}, table {m.table}" + (" (locked)" if m.locked else "")

    _change(session_file, step)


@edit.command("swap")
@_session_argument
@click.argument("members", nargs=4, metavar="A B C D")
@click.option("--no-lock", is_flag=True, help="Do not lock the swapped meetings.")
def edit_swap(session_file, members, no_lock):
    """Swap the slots and tables of meetings A-B and C-D."""
    from ..sessions.edits import swap_meetings

    def step(session):
        one, two = swap_meetings(session, members[:2], members[2:], lock=not no_lock)
        return "\n".join(f"{m.meeting_id}: slot {m.slot}, table {m.table}" for m in (one, two))

    _change(session_file, step)


@edit.command("cancel")
@_session_argument
@click.argument("member_id")
@click.argument("partner_id")
def edit_cancel(session_file, member_id, partner_id):
    """Cancel a meeting (it is not planned again)."""
    from ..sessions.edits import cancel_meeting

    def step(session):
        m = cancel_meeting(session, member_id, partner_id)
        return f"{m.meeting_id}: cancelled"

    _change(session_file, step)


@edit.command("add")
@_session_argument
@click.argument("member_id")
@click.argument("partner_id")
@click.option("--slot", required=True, type=int, help="Slot number.")
@click.option("--table", type=int, default=None, help="Table (default: the lowest free).")
@click.option(
    "--unlocked", is_flag=True, help="Let the solver move it when the agenda is built again."
)
def edit_add(session_file, member_id, partner_id, slot, table, unlocked):
    """Add a meeting of two participants."""
    from ..sessions.edits import add_meeting

    def step(session):
        m = add_meeting(session, member_id, partner_id, slot, table, locked=not unlocked)
        return f"{m.meeting_id}: slot {m.slot}, table {m.table}" + (" (locked)" if m.locked else "")

    _change(session_file, step)


def _lock_command(name: str, locked: bool):
    @edit.command(name)
    @_session_argument
    @click.argument("member_id")
    @click.argument("partner_id")
    def command(session_file, member_id, partner_id):
        from ..sessions.edits import lock_meeting

        def step(session):
            m = lock_meeting(session, member_id, partner_id, locked)
            return f"{m.meeting_id}: {'locked' if m.locked else 'unlocked'} (slot {m.slot}, table {m.table})"

        _change(session_file, step)

    command.__doc__ = (
        "Lock a meeting: building the agenda again keeps it in place."
        if locked
        else "Unlock a meeting: building the agenda again may move it."
    )
    command.help = command.__doc__
    return command


_lock_command("lock", True)
_lock_command("unlock", False)


@session.command()
@_session_argument
@_format_option("text", "json")
def check(session_file, output_format):
    """List the agenda's conflicts (exit code 2 if there are errors)."""
    from ..sessions.agenda import check_agenda

    def step(session):
        conflicts = check_agenda(session)
        errors = [c for c in conflicts if c.severity == "error"]
        if output_format == "json":
            click.echo(json.dumps([c.as_dict() for c in conflicts], ensure_ascii=False, indent=2))
        else:
            for c in conflicts:
                click.echo(f"{c.severity}: {c.message}")
            click.echo(
                f"{len(session.active_meetings())} meetings: {len(errors)} conflicts, "
                f"{len(conflicts) - len(errors)} warnings"
            )
        if errors:
            raise BadInput(f"{session_file}: the agenda has {len(errors)} conflicts")

    _read(session_file, step)


@session.command()
@_session_argument
def publish(session_file):
    """Publish the agenda as final (refused while it has conflicts)."""
    from ..sessions.outcomes import publish as publish_agenda

    def step(session):
        publish_agenda(session)
        return (
            f"published: {len(session.active_meetings())} meetings, revision {session.revision}, "
            f"{session.published_at}"
        )

    _change(session_file, step)


@session.command()
@_session_argument
def reopen(session_file):
    """Make a final agenda preliminary again, to edit or rebuild it."""
    from ..sessions.outcomes import reopen as reopen_agenda

    def step(session):
        reopen_agenda(session)
        return "the agenda is preliminary again"

    _change(session_file, step)


# ---------------------------------------------------------------------------------------------
# Exports, outcomes, feedback
# ---------------------------------------------------------------------------------------------


@session.command()
@_session_argument
@click.option(
    "--format", "output_format", type=click.Choice(["xlsx", "csv", "ics", "html"]), required=True
)
@_language_option
@click.option(
    "--out",
    required=True,
    type=click.Path(),
    help="Output file; for ics a .zip (one .ics per participant), a folder, or a .ics with one --member.",
)
@click.option("--member", "member_ids", multiple=True, help="Only this participant (repeatable).")
@click.option(
    "--view",
    type=click.Choice(["plan", "agendas", "tables"]),
    default="plan",
    show_default=True,
    help="CSV: the plan, the participants' agendas, or the table plan.",
)
def export(session_file, output_format, language, out, member_ids, view):
    """Export agendas and the plan as XLSX, CSV, ICS calendars or a printable HTML page."""
    from ..sessions.exports import write_csv, write_html, write_ics, write_xlsx

    def step(session):
        chosen = list(member_ids) or None
        if output_format == "xlsx":
            written = [write_xlsx(session, out, language, chosen)]
        elif output_format == "csv":
            if chosen:
                raise BadInput(
                    "--member does not apply to CSV; use --view agendas for everyone's agenda"
                )
            write_csv(session, out, language, view)
            written = [Path(out)]
        elif output_format == "ics":
            written = write_ics(session, out, language, chosen)
        else:
            written = [write_html(session, out, language, chosen)]
        click.echo(
            f"wrote {len(written)} file{'s' if len(written) != 1 else ''}: "
            + (str(written[0]) if len(written) == 1 else f"{Path(out)}/ ({len(written)} .ics)")
        )

    _read(session_file, step)


@session.command()
@_session_argument
@click.argument("member_id")
@click.argument("partner_id")
@click.option("--held/--not-held", required=True, help="Whether the meeting took place.")
@click.option(
    "--result",
    "outcome",
    type=click.Choice(["none", "follow_up", "deal"]),
    default="none",
    show_default=True,
    help="Outcome of a held meeting.",
)
def outcome(session_file, member_id, partner_id, held, outcome):
    """Record whether a meeting took place and its outcome."""
    from ..sessions.outcomes import record_outcome

    def step(session):
        m = record_outcome(session, member_id, partner_id, held, outcome)
        return f"{m.meeting_id}: {m.status}" + (f", {m.outcome}" if m.outcome != "none" else "")

    _change(session_file, step)


@session.command()
@_session_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv", "links"]),
    default="json",
    show_default=True,
    help="Feedback events (json/csv), or a links file for `matcher train --links`.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to this file (default: stdout).",
)
@click.option("--include-vetoes", is_flag=True, help="Also 'no thanks' wishes, as declined.")
def feedback(session_file, output_format, out, include_vetoes):
    """Export the outcomes as feedback for the engine."""
    from ..sessions.outcomes import feedback_links, feedback_records

    def step(session):
        if output_format == "json":
            text = (
                json.dumps(feedback_records(session, include_vetoes), ensure_ascii=False, indent=2)
                + "\n"
            )
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if output_format == "csv":
                columns = ["member_id", "partner_id", "event", "outcome", "date", "session_id"]
                writer.writerow(columns)
                for record in feedback_records(session, include_vetoes):
                    writer.writerow([record[c] for c in columns])
            else:
                writer.writerow(["source", "target", "kind", "date"])
                for link in feedback_links(session, include_vetoes):
                    writer.writerow([link.source, link.target, link.kind, link.date])
            text = buffer.getvalue()
        if out:
            from ..files import atomic_write_text

            atomic_write_text(out, text)
            click.echo(f"wrote {out}")
        else:
            click.echo(text, nl=False)

    _read(session_file, step)
