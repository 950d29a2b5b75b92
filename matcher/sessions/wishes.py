"""Participants and their wishes: adding, removing and withdrawing participants, wish lists
(set by hand or suggested by the engine), and reading both from tables (files, uploads)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..i18n import NetworkNames
from ..profiles import Profile

if TYPE_CHECKING:  # the engine is only needed by suggest_wishes
    from ..engine.ranking import PartnerMatcher
from .model import (
    LANGUAGES,
    WISH_LEVELS,
    Participant,
    Session,
    SessionSettings,
    SuggestedPartner,
    Vacancy,
    Wish,
    _fail,
    _participant,
    _participant_problems,
    closest_hint,
)

logger = logging.getLogger(__name__)

__all__ = [
    "add_participant",
    "explain_agenda",
    "pair_rule_violation",
    "participants_from_records",
    "read_participants",
    "remove_participant",
    "set_wish",
    "set_wishes",
    "suggest_wishes",
    "withdraw_participant",
]


# ---------------------------------------------------------------------------------------------
# Participants and wishes
# ---------------------------------------------------------------------------------------------


def _require_preliminary(session: Session, action: str) -> None:
    if session.state != "preliminary":
        raise _fail(
            "state",
            session.state,
            f"the agenda is final (published); reopen it before you {action}",
        )


def add_participant(
    session: Session, participant: Participant, replace_existing: bool = False
) -> None:
    """Add `participant` (or, with `replace_existing`, update it).

    Raises
    ------
    SessionValidationError
        If the member may not take part (see ``SessionSettings.networks``/``member_ids``), is
        already a participant, or its availability names slots the session does not have.
    """
    settings = session.settings
    where = f"participants.{participant.member_id}"
    if not settings.admits(participant.member_id, participant.network):
        allowed = []
        if settings.networks:
            allowed.append("networks " + ", ".join(settings.networks))
        if settings.member_ids:
            allowed.append(f"{len(settings.member_ids)} listed members")
        raise _fail(
            f"{where}.network",
            participant.network,
            f"{participant.name or participant.member_id} "
            f"({participant.network or 'no network'}) may not take part; the session is "
            "open to " + " and ".join(allowed),
        )
    if participant.withdrawn:
        raise _fail(
            f"{where}.withdrawn",
            participant.member_id,
            f"{participant.name or participant.member_id} withdrew from the service and cannot "
            "take part",
        )
    if participant.member_id in session.participants and not replace_existing:
        raise _fail(f"{where}.member_id", participant.member_id, "already a participant")
    bad_slots = [s for s in participant.available if s not in settings.slot_numbers]
    if bad_slots:
        raise _fail(f"{where}.available", bad_slots, f"slots are 1 to {settings.n_slots}")
    session.participants[participant.member_id] = participant


def remove_participant(session: Session, member_id: str) -> None:
    """Remove a participant with its wishes, the wishes about it, its suggestions and meetings.

    Raises
    ------
    SessionValidationError
        If it is not a participant or the agenda is final.
    """
    session.participant(member_id)
    _require_preliminary(session, "remove a participant")
    _drop(session, member_id)


def _drop(session: Session, member_id: str) -> None:
    """Take the participant out with everything that names it (wishes both ways, suggestions
    both ways, meetings, vacancies)."""
    del session.participants[member_id]
    session.wishes = {pair: w for pair, w in session.wishes.items() if member_id not in pair}
    session.suggestions.pop(member_id, None)
    session.suggestions = {
        m: tuple(s for s in items if s.partner_id != member_id)
        for m, items in session.suggestions.items()
    }
    session.meetings = [m for m in session.meetings if member_id not in m.pair]
    session.vacated = [v for v in session.vacated if v.member_id != member_id]


def withdraw_participant(session: Session, member_id: str, erased: bool = False) -> str | None:
    """Take a member that left the service (withdrawn, or with `erased` its data erased) out of
    the session, as far as the state of the agenda allows.

    * A preliminary agenda (nobody has it yet): the participant goes with its wishes (given and
      received), its suggestions, the suggestions of it to others and its meetings.
    * A published agenda, withdrawn: the participants have the agenda already, so it is not
      silently rewritten. The participant stays, marked :attr:`Participant.withdrawn`, with its
      meetings (every view and export flags them, :func:`check_agenda` warns about each
      planned one) until the manager records them as not held or reopens the agenda, which
      drops the participant. A participant without any meeting there simply goes.
    * Erased, published or not: nothing of the member may remain. It goes as from a
      preliminary agenda, from the session's list of admitted members and from the figures of
      the last build too; each of its meetings in a published agenda leaves a :class:`Vacancy`
      (slot and table) on the partner's side, so the partner learns that the meeting is off.

    Returns
    -------
    str or None
        ``"removed"``; ``"flagged"`` (kept, withdrawn); ``"forgotten"`` (erased, not a
        participant, but named among the admitted members or in the last build's figures); or
        None when the session does not name the member (nothing changes).
    """
    participant = session.participants.get(member_id)
    if participant is None:
        return "forgotten" if erased and _forget(session, member_id) else None
    published = session.state == "final"
    if not erased and published and any(member_id in m.pair for m in session.meetings):
        if not participant.withdrawn:
            session.participants[member_id] = replace(participant, withdrawn=True)
        return "flagged"
    if erased and published:
        # Held meetings took place: only the planned ones are off for the partner.
        session.vacated.extend(
            Vacancy(m.partner_of(member_id), m.slot, m.table)
            for m in session.meetings
            if member_id in m.pair and m.status == "planned"
        )
    _drop(session, member_id)
    if erased:
        _forget(session, member_id)
    return "removed"


def _forget(session: Session, member_id: str) -> bool:
    """Take an erased member's id off the admitted members and the last build's figures;
    whether anything changed."""
    changed = False
    settings = session.settings
    if member_id in settings.member_ids:
        # The id itself must go. Should the list empty with no network named, the session
        # admits anyone from then on (shown in its settings): participants are added by hand.
        session.settings = replace(
            settings, member_ids=tuple(m for m in settings.member_ids if m != member_id)
        )
        changed = True
    build = session.last_build
    if build is not None:
        unmet, without = build.get("unmet_minimum"), build.get("without_meetings")
        if isinstance(unmet, Mapping) and member_id in unmet:
            build = {**build, "unmet_minimum": {m: n for m, n in unmet.items() if m != member_id}}
            changed = True
        if isinstance(without, list) and member_id in without:
            build = {**build, "without_meetings": [m for m in without if m != member_id]}
            changed = True
        session.last_build = build
    return changed


def _refuse_withdrawn(session: Session, *member_ids: str) -> None:
    for name, member_id in zip(("member_id", "partner_id"), member_ids):
        if session.is_withdrawn(member_id):
            raise _fail(
                name,
                member_id,
                f"{session.participants[member_id].name} withdrew from the service; it is no "
                "longer planned, wished for or suggested",
            )


def pair_rule_violation(session: Session, member_id: str, partner_id: str) -> str | None:
    """Return why the session's who-can-meet-whom rules forbid the pair, or None if they allow it."""
    a, b = session.participant(member_id), session.participant(partner_id)
    rules = session.settings.pair_rules
    if "different_networks" in rules and a.network and a.network == b.network:
        return f"{a.name} and {b.name} are both members of {a.network} (rule 'different_networks')"
    if "buyers_with_suppliers" in rules and "any" not in (a.role, b.role) and a.role == b.role:
        return (
            f"{a.name} and {b.name} are both {a.role}s (rule "
            "'buyers_with_suppliers': a buyer meets a supplier)"
        )
    return None


def set_wish(session: Session, member_id: str, partner_id: str, level: str | None) -> None:
    """Record what `member_id` wants of a meeting with `partner_id`; ``None`` clears the wish.

    Raises
    ------
    SessionValidationError
        If either is not a participant or withdrew, they are the same, the level is not one of
        :data:`WISH_LEVELS`, or the session's rules forbid the pair (except for a veto).
    """
    session.participant(member_id)
    session.participant(partner_id)
    if member_id == partner_id:
        raise _fail("partner_id", partner_id, "a participant cannot wish to meet itself")
    _refuse_withdrawn(session, member_id, partner_id)
    if level is None:
        session.wishes.pop((member_id, partner_id), None)
        return
    if level not in WISH_LEVELS:
        raise _fail(
            "level",
            level,
            f"{level!r} is not a wish level; allowed: {', '.join(WISH_LEVELS)} (or none to clear)",
        )
    if level != "no":
        rule = pair_rule_violation(session, member_id, partner_id)
        if rule:
            raise _fail("partner_id", partner_id, f"this pair may not meet: {rule}")
    session.wishes[(member_id, partner_id)] = Wish(member_id, partner_id, level)


def suggest_wishes(
    matcher: PartnerMatcher,
    session: Session,
    k: int = 10,
    member_ids: Iterable[str] | None = None,
    languages: Sequence[str] = LANGUAGES,
    explain_wishes: bool = True,
    network_names: NetworkNames | None = None,
) -> dict[str, tuple[SuggestedPartner, ...]]:
    """Ask the engine for each participant's best partners among the participants.

    Existing partners (and partners a member declined) are never suggested: the engine leaves
    them out. Neither are partners the member vetoed in this session, nor pairs the session's
    rules forbid. Participants the engine was not fitted on (guests) get no suggestions of
    their own, but are not suggested to others either, since the engine cannot score them.

    With `explain_wishes`, every pair a participant wished for or meets in the agenda, in
    either direction, that is not among its suggestions is explained too (an entry with
    ``suggested=False``): its score breaks ties between wishes and its reasons go into the
    agendas and calendars, always from the participant's own point of view.

    Parameters
    ----------
    matcher : fitted PartnerMatcher
    session : Session
    k : int
        Suggestions per participant.
    member_ids : iterable of str, optional
        Only these participants (default: all).
    languages : sequence of {"en", "uk"}
        Languages of the reasons kept with each suggestion.
    explain_wishes : bool
        Also explain the wished and planned pairs that are not suggestions.
    network_names : dict, optional
        The networks' display names for the reasons (see
        :meth:`matcher.engine.ranking.PartnerMatcher.recommend_many`).

    Returns
    -------
    dict of str to tuple of SuggestedPartner
        By participant, best first; assign it to ``session.suggestions`` (or update it) to
        keep it with the session.
    """
    if not (isinstance(k, int) and k > 0):
        raise InputError(f"Got k={k!r}, expected a positive integer")
    bad_languages = [language for language in languages if language not in LANGUAGES]
    if bad_languages or not languages:
        raise InputError(
            f"Got languages={list(languages)!r}, expected some of {', '.join(LANGUAGES)}"
        )
    # Withdrawn participants are neither suggested nor given suggestions: to the engine they
    # are outside the session.
    fitted = list(matcher.frame_["member_id"])
    fitted_set = set(fitted) - set(session.withdrawn_ids())
    chosen = list(session.participants) if member_ids is None else list(member_ids)
    for member_id in chosen:
        session.participant(member_id)
    guests = [
        m for m in session.participants if m not in fitted_set and not session.is_withdrawn(m)
    ]
    if guests:
        logger.info(
            "%d participants are not among the engine's profiles and get no suggestions: %s",
            len(guests),
            ", ".join(guests[:10]),
        )
    outside = [m for m in fitted if m not in session.participants]
    result: dict[str, tuple[SuggestedPartner, ...]] = {}
    for member_id in chosen:
        if member_id not in fitted_set:
            continue
        exclude = list(outside)
        for partner_id in session.participants:
            if partner_id == member_id:
                continue
            if (
                session.is_withdrawn(partner_id)
                or session.level(member_id, partner_id) == "no"
                or pair_rule_violation(session, member_id, partner_id)
            ):
                exclude.append(partner_id)
        items = _engine_view(
            matcher, member_id, k, exclude, languages, suggested=True, network_names=network_names
        )
        if explain_wishes:
            known = {s.partner_id for s in items}
            wanted = sorted(
                {p for p in _wished_or_met(session, member_id) if p in fitted_set} - known
            )
            items += _explained(matcher, [(member_id, p) for p in wanted], languages, network_names)
        result[member_id] = tuple(items)
    return result


def explain_agenda(
    matcher: PartnerMatcher,
    session: Session,
    languages: Sequence[str] = LANGUAGES,
    network_names: NetworkNames | None = None,
) -> int:
    """Explain every meeting of the agenda to both sides: each side whose suggestions do not
    hold its partner gets the engine's reasons for the pair from its own point of view (an
    entry with ``suggested=False``, added to ``session.suggestions`` in place).

    A pair the engine suggested one way only (planned because one side wished for it, or with
    ``include_suggested``), or that the ranking never suggests (known or declined partners),
    is still worth a sentence to both sides: the agendas, calendars and printable pages read
    the reasons from here (:func:`matcher.sessions.agenda.meeting_reasons`). Sides the engine
    was not fitted on (guests) and participants that withdrew are left as they are.

    Parameters
    ----------
    matcher : fitted PartnerMatcher
    session : Session
    languages : sequence of {"en", "uk"}
    network_names : dict, optional
        As for :func:`suggest_wishes`.

    Returns
    -------
    int
        How many (member, partner) directions were explained.
    """
    fitted = set(matcher.frame_["member_id"])
    missing = {}
    for meeting in session.active_meetings():
        for member_id, partner_id in (meeting.pair, meeting.pair[::-1]):
            if (
                session.suggestion(member_id, partner_id) is None
                and {member_id, partner_id} <= fitted
                and not session.is_withdrawn(member_id)
                and not session.is_withdrawn(partner_id)
            ):
                missing[member_id, partner_id] = True
    directions = list(missing)
    for (member_id, _partner_id), explained in zip(
        directions, _explained(matcher, directions, languages, network_names)
    ):
        session.suggestions[member_id] = (*session.suggestions.get(member_id, ()), explained)
    return len(directions)


def _explained(
    matcher: PartnerMatcher,
    directions: Sequence[tuple[str, str]],
    languages: Sequence[str],
    network_names: NetworkNames | None = None,
) -> list[SuggestedPartner]:
    """The engine's score and reasons for each (member, partner) direction, whatever its
    ranking would say (a known or declined partner included), as entries that were
    explained, not suggested (one batch of the engine per language)."""
    if not directions:
        return []
    by_language = {
        language: matcher.explain_pairs(directions, language, network_names)
        for language in languages
    }
    first = by_language[languages[0]]
    return [
        SuggestedPartner(
            partner_id,
            first[i].name,
            float(first[i].score),
            {language: tuple(found[i].reasons) for language, found in by_language.items()},
            suggested=False,
        )
        for i, (_member_id, partner_id) in enumerate(directions)
    ]


def _engine_view(
    matcher: PartnerMatcher,
    member_id: str,
    k: int,
    exclude: Sequence[str],
    languages: Sequence[str],
    suggested: bool,
    network_names: NetworkNames | None = None,
) -> list[SuggestedPartner]:
    by_language = {
        language: matcher.recommend(
            member_id, k=k, exclude=exclude, language=language, network_names=network_names
        )
        for language in languages
    }
    reasons = {
        language: {s.partner_id: tuple(s.reasons) for s in items}
        for language, items in by_language.items()
    }
    return [
        SuggestedPartner(
            s.partner_id,
            s.name,
            float(s.score),
            {language: reasons[language].get(s.partner_id, ()) for language in languages},
            suggested,
        )
        for s in by_language[languages[0]]
    ]


def _wished_or_met(session: Session, member_id: str) -> set[str]:
    """Partners `member_id` wished for, who wished for it, or whom it meets."""
    partners = {p for (m, p), w in session.wishes.items() if m == member_id and w.level != "no"}
    partners |= {m for (m, p), w in session.wishes.items() if p == member_id and w.level != "no"}
    partners |= {m.partner_of(member_id) for m in session.meetings if member_id in m.pair}
    return partners


# ---------------------------------------------------------------------------------------------
# Participants and wishes from tables (files, uploads)
# ---------------------------------------------------------------------------------------------

_PARTICIPANT_ALIASES = {
    "id": "member_id",
    "min": "min_meetings",
    "max": "max_meetings",
    "availability": "available",
    "slots": "available",
}
_PARTICIPANT_COLUMNS = (
    "member_id",
    "name",
    "network",
    "org_type",
    "country",
    "role",
    "available",
    "min_meetings",
    "max_meetings",
)


def participants_from_records(
    records: Iterable[Mapping[str, Any]],
    settings: SessionSettings,
    profiles: Mapping[str, Profile] | None = None,
    source: str = "participants",
    unit: str = "row",
    first_row: int = 2,
) -> list[Participant]:
    """Validate rows of participants (a CSV/XLSX sheet or JSON records) all at once.

    Columns: ``member_id`` (or ``id``), ``name``, ``network``, ``org_type``, ``country``,
    ``role``, ``available`` (as :func:`parse_slots` reads it; empty = every slot),
    ``min_meetings``/``min``, ``max_meetings``/``max``. With `profiles` (member id ->
    Profile), every participant must be a member and empty name, network, org_type and
    country are taken from its profile. Other columns are ignored with a warning.

    Raises
    ------
    ProfileValidationError
        Listing every bad row, column and value (nothing is returned then).
    """
    from ..profiles import Problem, ProfileValidationError

    problems: list[Problem] = []
    participants: list[Participant] = []
    seen: dict[str, int] = {}
    ignored: set[str] = set()
    for position, raw in enumerate(records, start=first_row):
        record: dict[str, Any] = {}
        for key, value in raw.items():
            column = _PARTICIPANT_ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
            if column not in _PARTICIPANT_COLUMNS:
                ignored.add(str(key))
                continue
            text = "" if value is None else value
            if isinstance(text, float) and math.isnan(text):  # an empty spreadsheet cell
                text = ""
            record[column] = text.strip() if isinstance(text, str) else text
        member_id = str(record.get("member_id") or "")
        if profiles is not None:
            profile = profiles.get(member_id)
            if profile is None:
                problems.append(
                    Problem(
                        position,
                        "member_id",
                        member_id,
                        f"{member_id!r} is not "
                        "a member of the profiles" + closest_hint(member_id, profiles),
                        unit,
                    )
                )
                continue
            for column in ("name", "network", "org_type", "country"):
                if not record.get(column):
                    record[column] = getattr(profile, column)
        for column in ("available", "min_meetings", "max_meetings", "role"):
            if record.get(column) == "":
                record[column] = None
        found = _participant_problems(record, settings, where="row")
        if member_id in seen:
            problems.append(
                Problem(
                    position,
                    "member_id",
                    member_id,
                    f"listed twice (also in {unit} {seen[member_id]})",
                    unit,
                )
            )
        seen.setdefault(member_id, position)
        if not found and not settings.admits(member_id, str(record.get("network") or "")):
            problems.append(
                Problem(
                    position,
                    "network",
                    record.get("network"),
                    "this member may "
                    "not take part; the session is open to networks "
                    f"{', '.join(settings.networks) or '-'} and "
                    f"{len(settings.member_ids)} listed members",
                    unit,
                )
            )
        problems.extend(
            Problem(position, p.field.rsplit(".", 1)[-1], p.value, p.message, unit) for p in found
        )
        if not found:
            participants.append(_participant(record, settings))
    if ignored:
        logger.warning(
            "%s: columns ignored (not participant fields): %s", source, ", ".join(sorted(ignored))
        )
    if problems:
        raise ProfileValidationError(problems, source)
    return participants


def read_participants(
    path: str | Path, settings: SessionSettings, profiles: Mapping[str, Profile] | None = None
) -> list[Participant]:
    """Read and validate a participants file (.csv, .xlsx or .json); see
    :func:`participants_from_records`."""
    from ..profiles import read_table

    frame, unit = read_table(path, "participants")
    return participants_from_records(
        frame.to_dict("records"),
        settings,
        profiles,
        source=str(path),
        unit=unit,
        first_row=2 if unit == "row" else 1,
    )


def set_wishes(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    source: str = "wishes",
    unit: str = "row",
    first_row: int = 2,
) -> int:
    """Set many wishes at once: rows of ``member_id``, ``partner_id``, ``level`` (``must``,
    ``would``, ``no``; ``none`` or empty clears). All rows are checked before any is applied.

    Returns
    -------
    int
        The number of rows applied.

    Raises
    ------
    ProfileValidationError
        Listing every bad row, column and value (nothing is changed then).
    """
    from ..profiles import Problem, ProfileValidationError

    problems: list[Problem] = []
    changes: list[tuple[str, str, str | None]] = []
    for position, raw in enumerate(records, start=first_row):
        record = {
            str(k).strip().lower(): ("" if v is None else str(v).strip()) for k, v in raw.items()
        }
        member_id, partner_id = record.get("member_id", ""), record.get("partner_id", "")
        level = record.get("level", "").lower() or "none"
        before = len(problems)
        for column, value in (("member_id", member_id), ("partner_id", partner_id)):
            if value not in session.participants:
                problems.append(
                    Problem(
                        position,
                        column,
                        value,
                        f"{value!r} is not a participant"
                        + closest_hint(value, session.participants),
                        unit,
                    )
                )
        if member_id and member_id == partner_id:
            problems.append(
                Problem(
                    position,
                    "partner_id",
                    partner_id,
                    "a participant cannot wish to meet itself",
                    unit,
                )
            )
        for column, value in (("member_id", member_id), ("partner_id", partner_id)):
            if session.is_withdrawn(value):
                problems.append(
                    Problem(
                        position,
                        column,
                        value,
                        f"{value} withdrew from the service; it is no longer wished for",
                        unit,
                    )
                )
        if level not in (*WISH_LEVELS, "none"):
            problems.append(
                Problem(
                    position,
                    "level",
                    level,
                    f"{level!r} is not a wish level; allowed: {', '.join(WISH_LEVELS)}, none",
                    unit,
                )
            )
        if len(problems) == before and level in ("must", "would"):
            rule = pair_rule_violation(session, member_id, partner_id)
            if rule:
                problems.append(
                    Problem(
                        position, "partner_id", partner_id, f"this pair may not meet: {rule}", unit
                    )
                )
        if len(problems) == before:
            changes.append((member_id, partner_id, None if level == "none" else level))
    if problems:
        raise ProfileValidationError(problems, source)
    for member_id, partner_id, level in changes:
        set_wish(session, member_id, partner_id, level)
    return len(changes)
