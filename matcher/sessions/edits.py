"""Hand edits of a preliminary agenda: add, move, swap, cancel, lock a meeting; an edit that
creates a conflict is refused (:class:`AgendaConflictError`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from .agenda import check_agenda
from .model import AgendaConflictError, Meeting, Session, _fail
from .wishes import _require_preliminary

__all__ = [
    "add_meeting",
    "cancel_meeting",
    "find_meeting",
    "lock_meeting",
    "move_meeting",
    "swap_meetings",
]


# ---------------------------------------------------------------------------------------------
# Hand edits
# ---------------------------------------------------------------------------------------------


def find_meeting(
    session: Session, member_id: str, partner_id: str, include_cancelled: bool = False
) -> Meeting:
    """Return the pair's planned or held meeting (or, with `include_cancelled`, a cancelled one).

    Raises
    ------
    SessionValidationError
        If the pair has no such meeting.
    """
    member, partner = session.participant(member_id), session.participant(partner_id)
    pair = tuple(sorted((member_id, partner_id)))
    found = [m for m in session.meetings if m.pair == pair and (m.active or include_cancelled)]
    found.sort(key=lambda m: not m.active)
    if not found:
        raise _fail(
            "meeting",
            f"{pair[0]}~{pair[1]}",
            f"{member.name} and {partner.name} have no "
            + ("meeting" if include_cancelled else "planned or held meeting"),
        )
    return found[0]


def _commit(session: Session, old: Sequence[Meeting], new: Sequence[Meeting], action: str) -> None:
    """Replace the meetings `old` by `new` unless that creates an error conflict."""
    ids = {id(m) for m in old}
    proposed = [m for m in session.meetings if id(m) not in ids] + list(new)
    before = {c.key for c in check_agenda(session) if c.severity == "error"}
    created = [
        c for c in check_agenda(session, proposed) if c.severity == "error" and c.key not in before
    ]
    if created:
        raise AgendaConflictError(created, action)
    session.meetings = proposed


def _free_table(
    session: Session, slot: int, ignore: Iterable[Meeting], preferred: int | None
) -> int:
    ignored = {id(m) for m in ignore}
    taken = {
        m.table for m in session.meetings if m.active and m.slot == slot and id(m) not in ignored
    }
    if preferred is not None and preferred not in taken:
        return preferred
    free = [t for t in range(1, session.settings.tables + 1) if t not in taken]
    # No free table: keep the preferred one, so the refusal names the clash and the capacity.
    return free[0] if free else (preferred or 1)


def move_meeting(
    session: Session,
    member_id: str,
    partner_id: str,
    slot: int,
    table: int | None = None,
    lock: bool = True,
) -> Meeting:
    """Move the pair's meeting to `slot` (and `table`; by default its own table if free there,
    else the lowest free one). The moved meeting is locked unless `lock` is False.

    Raises
    ------
    SessionValidationError
        Unknown pair or slot, or a final agenda.
    AgendaConflictError
        If the move would create a conflict (the agenda is left as it was).
    """
    _require_preliminary(session, "move a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    session.settings._check_slot(slot)
    _check_table(session, table)
    chosen = table if table is not None else _free_table(session, slot, [meeting], meeting.table)
    moved = replace(meeting, slot=slot, table=chosen, locked=lock or meeting.locked)
    _commit(session, [meeting], [moved], f"moving {meeting.meeting_id} to slot {slot}")
    return moved


def swap_meetings(
    session: Session, first: tuple[str, str], second: tuple[str, str], lock: bool = True
) -> tuple[Meeting, Meeting]:
    """Exchange the slots and tables of two meetings (both locked unless `lock` is False).

    Raises
    ------
    SessionValidationError, AgendaConflictError
    """
    _require_preliminary(session, "swap meetings")
    one, two = find_meeting(session, *first), find_meeting(session, *second)
    if one is two:
        raise _fail("meeting", one.meeting_id, "give two different meetings to swap")
    new_one = replace(one, slot=two.slot, table=two.table, locked=lock or one.locked)
    new_two = replace(two, slot=one.slot, table=one.table, locked=lock or two.locked)
    _commit(
        session, [one, two], [new_one, new_two], f"swapping {one.meeting_id} and {two.meeting_id}"
    )
    return new_one, new_two


def cancel_meeting(session: Session, member_id: str, partner_id: str) -> Meeting:
    """Cancel the pair's planned meeting; it stays on record and is not planned again.

    Raises
    ------
    SessionValidationError
        If the pair has no planned meeting, or the agenda is final (record what happened
        with :func:`record_outcome` instead).
    """
    _require_preliminary(session, "cancel a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    if meeting.status != "planned":
        raise _fail(
            "meeting",
            meeting.meeting_id,
            f"the meeting is {meeting.status}; only a planned meeting can be cancelled",
        )
    cancelled = replace(meeting, status="cancelled", locked=False)
    _commit(session, [meeting], [cancelled], f"cancelling {meeting.meeting_id}")
    return cancelled


def add_meeting(
    session: Session,
    member_id: str,
    partner_id: str,
    slot: int,
    table: int | None = None,
    locked: bool = True,
) -> Meeting:
    """Add a meeting of the pair in `slot` (at `table`, by default the lowest free one).

    A meeting added by hand is locked unless `locked` is False. A cancelled meeting of the
    pair is replaced by the new one.

    Raises
    ------
    SessionValidationError
        Unknown participants or slot, the same participant twice, the pair already meets, or a
        final agenda.
    AgendaConflictError
        If the meeting would create a conflict (a double booking, an unavailable slot, no free
        table, a veto, a rule, a maximum).
    """
    _require_preliminary(session, "add a meeting")
    session.participant(member_id)
    session.participant(partner_id)
    if member_id == partner_id:
        raise _fail("partner_id", partner_id, "a meeting needs two different participants")
    session.settings._check_slot(slot)
    _check_table(session, table)
    pair = tuple(sorted((member_id, partner_id)))
    existing = [m for m in session.meetings if m.pair == pair]
    active = [m for m in existing if m.active]
    if active:
        raise _fail(
            "meeting",
            active[0].meeting_id,
            f"{session.participants[member_id].name} and "
            f"{session.participants[partner_id].name} already meet in "
            f"slot {active[0].slot}; move that meeting instead",
        )
    chosen = table if table is not None else _free_table(session, slot, [], None)
    meeting = Meeting.between(member_id, partner_id, slot, chosen, locked=locked)
    _commit(
        session, existing, [meeting], f"adding a meeting of {meeting.meeting_id} in slot {slot}"
    )
    return meeting


def lock_meeting(session: Session, member_id: str, partner_id: str, locked: bool = True) -> Meeting:
    """Lock (or unlock) the pair's meeting: a locked meeting keeps its slot and table when the
    agenda is built again."""
    _require_preliminary(session, "lock or unlock a meeting")
    meeting = find_meeting(session, member_id, partner_id)
    changed = replace(meeting, locked=locked)
    session.meetings = [changed if m is meeting else m for m in session.meetings]
    return changed


def _check_table(session: Session, table: int | None) -> None:
    if table is not None and not (isinstance(table, int) and 1 <= table <= session.settings.tables):
        raise _fail(
            "table",
            table,
            f"got table {table!r}, expected a table number from 1 to {session.settings.tables}",
        )
