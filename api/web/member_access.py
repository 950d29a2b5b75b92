"""Invitations to the member pages: issued on a member's manager page, used under ``/my``.

A manager of the member's network (or an admin) presses "Invite to the member pages" on
``/manage/members/<id>``; the page shows the one-time link once. Whoever follows it
(``/my/invitation/<code>``) chooses the member's user name and password and is signed in to the
member pages; from then on they sign in at ``/my/login``. Both sides call
:mod:`api.services.invitations`, as ``matcher users invite`` does.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, url_for

from matcher.errors import InputError

from ..auth import PASSWORD_MIN_LENGTH
from ..db import get_db
from ..services import invitations
from . import views
from .i18n import _
from .login import login_required, sign_in, signed_in_caller
from .member_pages import bp as member_bp

logger = logging.getLogger(__name__)


def invitation_days() -> int:
    """Days an invitation is good for (the setting ``MATCHER_INVITATION_DAYS``, 7 by default)."""
    return int(current_app.config.get("INVITATION_DAYS") or invitations.DEFAULT_DAYS)


@views.bp.post("/members/<member_id>/invitation")
@login_required
def invite_member(member_id: str):
    """Issue an invitation of the member to its pages (voiding earlier ones); show its link."""
    db = get_db()
    caller = signed_in_caller()
    try:
        issued = invitations.issue_invitation(db, member_id, caller, days=invitation_days())
    except InputError:
        return views.error_page(
            404, _("Member {member_id} doesn't exist (or was withdrawn).", member_id=member_id)
        )
    except invitations.InvitationNotAllowedError:
        return views.error_page(
            403, _("Only the managers of the member's network and administrators invite it.")
        )
    db.commit()
    logger.info("user %s invited member %s to the member pages", caller.user_id, member_id)
    member = invitations.live_member(db, member_id)
    link = url_for("my.invitation", code=issued.code, _external=True)
    return render_template(
        "web/invitation.html", member=member, link=link, expires_at=issued.expires_at
    )


def _refusal(error: Exception):
    """The page of an invitation that can't be used: 404 (unknown) or 410 (void)."""
    if isinstance(error, invitations.InvitationVoidError):
        messages = {
            "used": _("This invitation has been used already."),
            "replaced": _("This invitation was replaced by a newer one."),
            "expired": _("This invitation has expired."),
        }
        status, reason = 410, messages[error.reason]
    else:
        status, reason = 404, _("There is no invitation with this link.")
    page = render_template("my/invitation_refused.html", reason=reason, status=status)
    return page, status


@member_bp.route("/invitation/<code>", methods=["GET", "POST"])
@views.login_rate_limit
def invitation(code: str):
    """Accept an invitation: choose the member's user name and password, and be signed in."""
    db = get_db()
    try:
        found = invitations.open_invitation(db, code)
    except (invitations.InvitationUnknownError, invitations.InvitationVoidError) as error:
        return _refusal(error)
    member = invitations.live_member(db, found.member_id)
    if request.method == "GET":
        name = invitations.suggested_name(db, found)
        return _invitation_page(member, name, None, 200)
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _invitation_page(member, name, _("The two passwords differ; type them again."), 400)
    try:
        user = invitations.accept_invitation(db, code, name, password)
    except invitations.AcceptanceError as error:
        db.rollback()
        return _invitation_page(member, name, _accept_problem(error), 400)
    except invitations.InvitationVoidError as error:
        # Used by another request meanwhile: nothing of this one is kept.
        db.rollback()
        return _refusal(error)
    db.commit()
    sign_in(user)
    logger.info("user %s accepted the invitation of member %s", user.user_id, member.member_id)
    flash(
        _(
            "Welcome, {name}: you are signed in. Next time, sign in with your user name and password.",
            name=user.name,
        )
    )
    return redirect(url_for("my.index"))


def _accept_problem(error: invitations.AcceptanceError) -> str:
    """The translated problem of a refused name or password."""
    if error.field == "password":
        return _(
            "The password is too short: use at least {count} characters.",
            count=PASSWORD_MIN_LENGTH,
        )
    if error.problem == "taken":
        return _("This user name is taken; choose another.")
    return _("Choose a user name (at most 200 characters).")


def _invitation_page(member, name: str, error: str | None, status: int):
    page = render_template(
        "my/invitation.html",
        member=member,
        name=name,
        error=error,
        min_length=PASSWORD_MIN_LENGTH,
    )
    return page, status
