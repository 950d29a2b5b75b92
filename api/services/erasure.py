"""A member leaving the service: withdrawn (its data kept, hidden), or erased (nothing kept).

A withdrawal hides the member at once (gone from lists and suggestions; its tokens no longer
act) and counts one revision; an erasure deletes every row about it. Either reaches its
matchmaking sessions in the same transaction (:func:`api.services.sessions.withdraw_from_sessions`),
so that the member's row and its sessions change together or not at all; the caller commits.
Trained models hold the profiles they were fitted on: after an erasure they are replaced too
(:func:`api.services.serving.retrain_after_erasure`, once the erasure is committed).
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..tables import FeedbackEvent, KnownLink, Member, MemberInvitation, User, utcnow
from .members import save_member
from .sessions import withdraw_from_sessions


def withdraw_member(session: Session, member_id: str, revision: int | None) -> bool:
    """Withdraw the live member `member_id` if it is still at `revision` (None: at any), and
    take it out of its matchmaking sessions; return whether it was (the caller commits, or
    rolls back when it was not: withdrawn or erased meanwhile, or at another revision).

    Raises the 409 :class:`~api.errors.ApiError` of a session changed meanwhile, with nothing
    written (see :func:`~api.services.sessions.withdraw_from_sessions`).
    """
    if not save_member(session, member_id, {"deleted_at": utcnow()}, revision):
        return False
    withdraw_from_sessions(session, member_id, erased=False)
    return True


def erase_member(session: Session, member_id: str) -> None:
    """Erase every row about `member_id` (links, feedback, its part in matchmaking sessions,
    its invitations to the member pages, the member); users keep no link."""
    withdraw_from_sessions(session, member_id, erased=True)
    session.execute(
        delete(KnownLink).where(
            or_(KnownLink.source_id == member_id, KnownLink.target_id == member_id)
        )
    )
    session.execute(
        delete(FeedbackEvent).where(
            or_(FeedbackEvent.member_id == member_id, FeedbackEvent.partner_id == member_id)
        )
    )
    session.execute(delete(MemberInvitation).where(MemberInvitation.member_id == member_id))
    for user in session.scalars(select(User).where(User.member_id == member_id)):
        user.member_id = None
    session.execute(delete(Member).where(Member.member_id == member_id))
