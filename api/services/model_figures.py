"""How a model version did while it served: what it showed and what members did with it.

A version serves from its activation (``model_versions.activated_at``, set by
:func:`api.services.serving.activate_version`) until another version is activated, or until now
while it is the active one. Its figures are read from the feedback table, by the rule of
:mod:`matcher.insights.outcomes` (:func:`~matcher.insights.outcomes.count_feedback`):

* a suggestion **shown** is a (member, partner) whose first ``shown`` event falls in the
  period: a suggestion counts once per member and partner, for the version that first showed
  it (the pages record a partner shown to a member once, :func:`api.services.feedback.record_shown`);
* among those suggestions, how many the member **accepted** or **declined**, and how many pairs
  of members held a **meeting** or made a **deal** (once per pair, either side's event), at any
  time after the showing: an answer given after the next activation still counts for the version
  that showed the partner;
* the **acceptance share** is accepted / shown.

A manager reads the feedback given by its network's live members, an admin every network's
(as :func:`api.services.feedback.network_feedback` reads it); what the version learned from
(its manifest's ``feedback``: pairs by outcome, :mod:`matcher.engine.learning`) is the whole
table's, as one model serves every network. The manager page ``/manage/models`` and
``GET /api/v1/models/{version_id}`` show the active version's figures beside the previous
version's (the one activated before it) through :func:`active_version_figures`.

A version activated again after another one starts a new period: only its latest activation is
kept, so its earlier periods are no longer told apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.insights.outcomes import PAIR_EVENTS, count_feedback

from ..auth import Caller
from ..tables import ModelVersion, isoformat
from .feedback import network_feedback

#: The answers of a member to a suggestion that the figures count (its own side only).
ANSWERS = ("accepted", "declined")
#: Events that count once per pair of members, whichever side recorded them.
PAIR_OUTCOMES = tuple(dict.fromkeys(event for making in PAIR_EVENTS.values() for event in making))


@dataclass(frozen=True)
class ServingFigures:
    """What one version showed while it served, and what came of it (see the module).

    `since` is its activation, `until` the next activation of another version (None while it
    serves). `members` counts the members shown at least one suggestion.
    """

    version_id: int
    name: str | None
    since: dt.datetime
    until: dt.datetime | None
    shown: int
    members: int
    accepted: int
    declined: int
    meeting: int
    deal: int

    @property
    def acceptance(self) -> float | None:
        """Accepted / shown; None when nothing was shown."""
        return self.accepted / self.shown if self.shown else None

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON (``GET /api/v1/models/{version_id}``)."""
        return {
            "version_id": self.version_id,
            "name": self.name,
            "since": isoformat(self.since),
            "until": isoformat(self.until),
            "shown": self.shown,
            "members": self.members,
            "accepted": self.accepted,
            "declined": self.declined,
            "meeting": self.meeting,
            "deal": self.deal,
            "acceptance": self.acceptance,
        }


@dataclass(frozen=True)
class ActiveVersionFigures:
    """The active version's figures beside the previous version's, for one network.

    `network` is the network whose members' feedback is counted ("" for every network, an
    admin's view). `active` is None when no version is active or its activation was never
    recorded; `previous` None when no version was activated before it. `learned_from` is the
    active version's manifest ``feedback`` (pairs by outcome; None when it learned from none).
    """

    network: str
    active: ServingFigures | None
    previous: ServingFigures | None
    learned_from: dict[str, int] | None

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON (``GET /api/v1/models/{version_id}``)."""
        return {
            "network": self.network or None,
            "active": self.active.to_dict() if self.active else None,
            "previous": self.previous.to_dict() if self.previous else None,
            "learned_from": self.learned_from,
        }


def feedback_network(caller: Caller) -> str | None:
    """The network whose feedback `caller` sees counted: a manager's own, every network ("")
    for an admin; None for anyone else (a member, a manager who looks after no network)."""
    if caller.role == "admin":
        return ""
    if caller.role == "manager" and caller.network_id:
        return caller.network_id
    return None


def in_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """`moment` as an aware UTC datetime (SQLite gives back the stored UTC time without zone)."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def serving_period(
    session: Session, version: ModelVersion
) -> tuple[dt.datetime, dt.datetime | None] | None:
    """When `version` served: ``(its activation, the next activation of another version)``,
    the end None when no other version was activated since; None when its activation was never
    recorded."""
    since = in_utc(version.activated_at)
    if since is None:
        return None
    following = session.scalar(
        select(ModelVersion.activated_at)
        .where(ModelVersion.version_id != version.version_id)
        .where(ModelVersion.activated_at > since)
        .order_by(ModelVersion.activated_at)
        .limit(1)
    )
    return since, in_utc(following)


def previous_version(session: Session, version: ModelVersion) -> ModelVersion | None:
    """The version activated last before `version` (None if none, or `version`'s activation is
    unknown)."""
    if version.activated_at is None:
        return None
    return session.scalar(
        select(ModelVersion)
        .where(ModelVersion.version_id != version.version_id)
        .where(ModelVersion.activated_at < version.activated_at)
        .order_by(ModelVersion.activated_at.desc())
        .limit(1)
    )


def count_served(
    events: Iterable[tuple[str, str, str, dt.datetime]],
    since: dt.datetime,
    until: dt.datetime | None,
) -> dict[str, int]:
    """Count what was shown in ``[since, until)`` and what came of it (see the module).

    Parameters
    ----------
    events : iterable of (member_id, partner_id, event, created_at)
        Feedback events with aware `created_at`, in any order.
    since, until : datetime
        The period (`until` None: open).

    Returns
    -------
    dict
        ``shown``, ``members``, ``accepted``, ``declined``, ``meeting``, ``deal``.
    """
    events = list(events)
    first_shown: dict[tuple[str, str], dt.datetime] = {}
    for member_id, partner_id, event, created_at in events:
        if event == "shown":
            pair = (member_id, partner_id)
            if pair not in first_shown or created_at < first_shown[pair]:
                first_shown[pair] = created_at
    shown = {
        pair: moment
        for pair, moment in first_shown.items()
        if since <= moment and (until is None or moment < until)
    }
    counted = [(member_id, partner_id, "shown") for member_id, partner_id in shown]
    for member_id, partner_id, event, created_at in events:
        if event in ANSWERS:
            moment = shown.get((member_id, partner_id))
            if moment is not None and created_at >= moment:
                counted.append((member_id, partner_id, event))
        elif event in PAIR_OUTCOMES:
            # Either side's meeting or deal, after either side was shown the other.
            moments = [
                m
                for m in (shown.get((member_id, partner_id)), shown.get((partner_id, member_id)))
                if m is not None
            ]
            if moments and created_at >= min(moments):
                counted.append((member_id, partner_id, event))
    figures = count_feedback(counted)
    return {
        "shown": figures["shown"],
        "members": len({member_id for member_id, _ in shown}),
        "accepted": figures["accepted"],
        "declined": figures["declined"],
        "meeting": figures["meeting"],
        "deal": figures["deal"],
    }


def serving_figures(
    session: Session,
    version: ModelVersion,
    network: str,
    events: list[tuple[str, str, str, dt.datetime]] | None = None,
) -> ServingFigures | None:
    """The figures of `version` over its serving period, from the feedback of `network`'s live
    members ("" for every network); None when its activation was never recorded. `events`:
    :func:`~api.services.feedback.network_feedback`'s, when the caller has them already."""
    period = serving_period(session, version)
    if period is None:
        return None
    since, until = period
    if events is None:
        events = network_feedback(session, network)
    return ServingFigures(
        version_id=version.version_id,
        name=version.name,
        since=since,
        until=until,
        **count_served(events, since, until),
    )


def active_version_figures(session: Session, network: str) -> ActiveVersionFigures:
    """The active version's figures and the previous version's, from the feedback of
    `network`'s live members ("" for every network), with what the active version learned
    from (see :class:`ActiveVersionFigures`)."""
    active = session.scalar(select(ModelVersion).where(ModelVersion.active.is_(True)))
    if active is None:
        return ActiveVersionFigures(network, None, None, None)
    events = network_feedback(session, network)
    before = previous_version(session, active)
    learned = (active.manifest or {}).get("feedback")
    return ActiveVersionFigures(
        network=network,
        active=serving_figures(session, active, network, events),
        previous=serving_figures(session, before, network, events) if before else None,
        learned_from={str(k): int(v) for k, v in learned.items()} if learned else None,
    )
