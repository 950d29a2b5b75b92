"""Database tables (SQLAlchemy 2 declarative): members, networks, links, feedback, users,
API tokens, model versions and matchmaking sessions.

Profiles are kept as the record of the file format (``profile`` JSON), validated by
:meth:`matcher.profiles.Profile.parse`; the columns beside it are those the API filters on.
Contact details are separate columns: they are private and leave only through
:func:`api.services.members.member_payload` when the caller may see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("member", "manager", "admin")
#: The feedback events the outcomes count (:func:`matcher.insights.outcomes.count_feedback`).
OUTCOME_EVENTS = ("shown", "accepted", "declined", "meeting", "deal")
#: Every feedback event: the counted ones, ``saved`` (kept for later: no answer, counted
#: nowhere) and ``undeclined`` (takes back the member's decline: the partner is suggested again).
FEEDBACK_EVENTS = (*OUTCOME_EVENTS, "saved", "undeclined")
MODEL_STATUSES = ("training", "ready", "failed")


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


def isoformat(value: dt.datetime | None) -> str | None:
    """Return `value` in ISO 8601 with its UTC offset (SQLite returns naive UTC datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Network(Base):
    """A cluster network (the home cluster or a partner network abroad).

    ``name`` and ``name_uk`` are its display names in English and Ukrainian, the words every
    page, report and export uses for it (empty: not named; see
    :func:`api.services.networks.network_names`); ``network_id`` is its slug, for machines.
    """

    __tablename__ = "networks"

    network_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    name_uk: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Member(Base):
    """One organisation: its public profile and its private contact details."""

    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.network_id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    org_type: Mapped[str] = mapped_column(String(64), index=True)
    #: Offered capability tags as ";a;b;" so that one LIKE filters on a capability.
    offers_text: Mapped[str] = mapped_column(Text, default=";")
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_person: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    #: Set when the member is withdrawn: hidden from lists and suggestions at once.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Increased by every change of the profile or contacts (optimistic concurrency: a write
    #: names the revision it read, and a stale one is refused).
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class KnownLink(Base):
    """A known relation between two members (partner, supplier, meeting, deal, declined)."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_links_pair_kind"),
    )

    link_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("members.member_id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[str] = mapped_column(
        ForeignKey("members.member_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[str | None] = mapped_column(String(10))


class FeedbackEvent(Base):
    """What a member did with a suggestion: shown, accepted, declined, meeting, deal."""

    __tablename__ = "feedback_events"
    __table_args__ = (Index("ix_feedback_member_event", "member_id", "event"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(
        ForeignKey("members.member_id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """Someone who calls the API: a member's staff, a cluster manager or an administrator."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.member_id", ondelete="SET NULL")
    )
    #: The network a manager looks after (the home cluster unless said otherwise).
    network_id: Mapped[str | None] = mapped_column(String(64))
    #: werkzeug's salted hash of the password of the manager pages (None: token login only).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Page sessions (signed cookies) issued before this time are void: set at sign-out.
    sessions_ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MemberInvitation(Base):
    """A one-time link inviting a member firm to its pages (``/my/invitation/<code>``).

    Only the SHA-256 of the code is stored. It is void once used (``used_at``), once a newer
    invitation of the member replaces it (``voided_at``) or after ``expires_at``; see
    :mod:`api.services.invitations`.
    """

    __tablename__ = "member_invitations"

    invitation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(
        ForeignKey("members.member_id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The manager or admin who issued it (None: the command line).
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ModelVersion(Base):
    """A trained (or training, or failed) model; exactly one ready version may be active."""

    __tablename__ = "model_versions"

    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: ``host:pid`` of the process training it, and when that process last said it still was
    #: (see :func:`api.services.serving.fail_abandoned_versions`).
    trainer: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the version last became the active one (see
    #: :func:`api.services.serving.activate_version`); it serves until another is activated.
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MatchSession(Base):
    """A matchmaking session: the whole :meth:`matcher.sessions.model.Session.to_dict` document.

    ``document`` is the record; the columns beside it are what lists, filters, access checks
    and the dashboard read without parsing it. ``revision`` counts the stored changes: every
    change is saved only if the revision is still the one it read (optimistic concurrency,
    see :mod:`api.services.sessions`). It is not the document's own ``revision``, which counts the
    publications (the calendars' SEQUENCE).
    """

    __tablename__ = "match_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The network whose managers run the session.
    network_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(300))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    participants: Mapped[int] = mapped_column(Integer, default=0)
    #: Planned and held meetings of the agenda.
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    #: Pairs with a "must" or "would" wish of at least one side.
    meetings_requested: Mapped[int] = mapped_column(Integer, default=0)
    #: Requested pairs that the agenda schedules (planned or held).
    meetings_accepted: Mapped[int] = mapped_column(Integer, default=0)
    meetings_held: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchSessionParticipant(Base):
    """Who takes part in a session (kept with every save): members find their sessions here."""

    __tablename__ = "match_session_participants"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("match_sessions.session_id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class MatchSessionCandidate(Base):
    """A built agenda waiting for the manager's word before it replaces the current one.

    A build that would plan markedly fewer meetings, or drop a "must" meeting (see
    :func:`matcher.sessions.scheduler.agenda_drop`), is kept here instead of being saved: the
    session itself is untouched. ``document`` is the whole session as the build left it;
    ``base_revision`` the session's revision it was built from: it replaces the session only
    while the session is still at that revision and the confirmation names its ``token``
    (see :mod:`api.services.sessions`). One per session: a new build or any saved change of the
    session removes it.
    """

    __tablename__ = "match_session_candidates"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("match_sessions.session_id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64))
    base_revision: Mapped[int] = mapped_column(Integer)
    #: What the build would take away: :meth:`matcher.sessions.scheduler.AgendaDrop.to_dict`.
    dropped: Mapped[dict[str, Any]] = mapped_column(JSON)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


INSIGHTS_STATUSES = ("computing", "ready", "failed")


class StoredInsights(Base):
    """The cluster insights of one network for one model version and data revision, computed
    in the background (:mod:`api.services.insights`) and shared by every worker.

    One row per key (``network_id, model_version, data_revision``): the worker that inserts it
    computes it; the others wait for it. ``attempt`` fences a computation: a worker that takes
    over an abandoned or failed row increases it, and only the computation of the current
    attempt may store its result. ``trainer`` and ``heartbeat_at`` say which process computes it
    and when it last said so (as for model versions). The figures and their renderings are
    stored compressed, ready to serve: no request computes or draws anything.
    """

    __tablename__ = "insights_results"
    __table_args__ = (
        UniqueConstraint(
            "network_id", "model_version", "data_revision", name="uq_insights_results_key"
        ),
        # Ids are never reused on SQLite either: workers cache results by id.
        {"sqlite_autoincrement": True},
    )

    result_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    network_id: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(
        ForeignKey("model_versions.version_id", ondelete="CASCADE")
    )
    #: A digest of :func:`api.services.insights.data_revision` when the computation was asked for.
    data_revision: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    #: Why the computation failed (shown to managers), and the HTTP status that says so.
    error: Mapped[str | None] = mapped_column(Text)
    error_status: Mapped[int | None] = mapped_column(Integer)
    trainer: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    computed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: zlib-compressed JSON: the ids of the members the figures were computed from (once one
    #: of them is erased, the figures are no longer served), the payload of
    #: ``GET /api/v1/insights``, the charts (SVG) by language, the HTML reports by language;
    #: and the XLSX tables as they are. Deferred: a request that looks a row up reads none.
    member_ids: Mapped[bytes | None] = mapped_column(deferred=True)
    payload: Mapped[bytes | None] = mapped_column(deferred=True)
    charts: Mapped[bytes | None] = mapped_column(deferred=True)
    reports: Mapped[bytes | None] = mapped_column(deferred=True)
    tables: Mapped[bytes | None] = mapped_column(deferred=True)
