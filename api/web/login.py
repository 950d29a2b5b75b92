"""Signing in to the manager pages: the session key, signed-cookie sessions, CSRF tokens.

A session is Flask's signed cookie. It holds the user's id and what the user signed in with:
the id of the API token (the session ends when that token is revoked) or a keyed digest of the
password hash (it ends when the password changes or is removed); both are checked on every
request, together with the role. Every POST form carries the session's CSRF token.

The signing key is ``SECRET_KEY`` when configured; otherwise it is read from ``SECRET_KEY_FILE``
(in the instance folder), which the first process to need it creates, so that every gunicorn
worker of the host signs with the same key.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from ..auth import PAGE_ROLES, Caller
from ..db import get_db
from ..tables import ApiToken, Member, User, utcnow
from .i18n import N_, _

logger = logging.getLogger(__name__)


def load_or_create_secret(path: str | os.PathLike) -> str:
    """Return the key stored in `path`, creating the file (mode 0600) with a new key if absent.

    Creation is race-free between processes: the key is written to a temporary file which is
    then hard-linked to `path`; a process that loses the race reads the winner's key.

    Raises
    ------
    RuntimeError
        If the file can be neither read nor created (the message says what to do).
    """
    path = Path(path)
    try:
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
        raise RuntimeError(f"the session key file {path} is empty; delete it or fill it")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as error:
        raise RuntimeError(
            f"cannot read the session key file {path}: {error}; "
            "fix its permissions or set MATCHER_SECRET_KEY"
        ) from error
    key = secrets.token_hex(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
        logger.info("created the session key file %s", path)
        return key
    except OSError as error:
        raise RuntimeError(
            f"cannot create the session key file {path}: {error}; "
            "make its folder writable or set MATCHER_SECRET_KEY"
        ) from error
    finally:
        tmp.unlink(missing_ok=True)


class InstanceKeySessions(SecureCookieSessionInterface):
    """Signed-cookie sessions that read (or create) the key file when first signing.

    Resolved on first use rather than in ``create_app``, so that commands (``matcher db ...``,
    ``matcher users ...``) and API requests, which carry no session cookie and never write
    one, need no key and write no key file.
    """

    def open_session(self, app: Flask, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # nothing to verify; a key is needed only to sign
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            app.secret_key = load_or_create_secret(app.config["SECRET_KEY_FILE"])
        return super().get_signing_serializer(app)


# ---------------------------------------------------------------------------------------------
# CSRF
# ---------------------------------------------------------------------------------------------


class CsrfError(Exception):
    """A POST form without the session's CSRF token."""


def csrf_token() -> str:
    """Return the session's CSRF token (created on first use); every POST form carries it."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Raise :class:`CsrfError` unless a POST carries the session's CSRF token.

    Registered as a ``before_request`` of the pages' blueprint; other page blueprints register
    it too.
    """
    if request.method != "POST":
        return
    expected = session.get("csrf", "")
    sent = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfError()


# ---------------------------------------------------------------------------------------------
# Who is signed in
# ---------------------------------------------------------------------------------------------


def _password_digest(password_hash: str) -> str:
    """A digest of the stored password hash, keyed with the session key: the cookie can tell
    whether the password changed without carrying anything about it."""
    key = current_app.secret_key
    key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key, password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def sign_in(user: User, token_id: int | None = None) -> None:
    """Start a new session for `user`, signed in with the token `token_id` or its password."""
    language = session.get("lang")
    session.clear()  # a fresh session (and CSRF token) at every sign-in
    if language:
        session["lang"] = language
    session.permanent = True
    session["user_id"] = user.user_id
    session["since"] = utcnow().timestamp()
    if token_id is not None:
        session["via"] = {"token": token_id}
    else:
        session["via"] = {"password": _password_digest(user.password_hash or "")}
    csrf_token()


def sign_out(everywhere: bool = False) -> None:
    """End the session (the language choice stays); with `everywhere` (the user signs out),
    also every other session of the user, on every worker and device: a cookie saved before
    is refused from now on."""
    user_id = session.get("user_id")
    if everywhere and user_id is not None:
        db = get_db()
        user = db.get(User, user_id)
        if user is not None:
            user.sessions_ended_at = utcnow()
            db.commit()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def signed_in_caller() -> Caller | None:
    """Return the signed-in manager or admin, or None (and end a session that no longer holds).

    Checked on every request: the user exists, the token it signed in with is live, or its
    password is unchanged, and it has a role of the manager pages. A member signed in to its
    own pages is None here, and stays signed in there.
    """
    caller = _session_caller()
    return caller if caller is not None and caller.role in PAGE_ROLES else None


def signed_in_member() -> Caller | None:
    """Return the signed-in member, or None (and end a session that no longer holds).

    As :func:`signed_in_caller`, for the member pages: a user with the role ``member`` acting for
    a member that is live (a withdrawn or erased member's sessions end at its next request).
    """
    caller = _session_caller()
    if caller is None or caller.role != "member" or not caller.member_id:
        return None
    if "page_member_live" not in g:
        member = get_db().get(Member, caller.member_id)
        g.page_member_live = member is not None and member.deleted_at is None
    if not g.page_member_live:
        sign_out()
        g.session_ended = True
        return None
    return caller


def _session_caller() -> Caller | None:
    """The user of a session that still holds, whatever its role (None, and the session ended,
    otherwise)."""
    if "page_caller" in g:
        return g.page_caller
    user_id = session.get("user_id")
    if user_id is None:
        return None
    db = get_db()
    user = db.get(User, user_id)
    via = session.get("via") or {}
    valid = user is not None
    if valid and "token" in via:
        valid = (
            db.scalar(
                select(ApiToken.token_id).where(
                    ApiToken.token_id == via["token"],
                    ApiToken.user_id == user.user_id,
                    ApiToken.revoked_at.is_(None),
                )
            )
            is not None
        )
    elif valid and "password" in via:
        valid = bool(user.password_hash) and hmac.compare_digest(
            str(via["password"]), _password_digest(user.password_hash)
        )
    else:
        valid = False
    if valid and user.sessions_ended_at is not None:
        ended = user.sessions_ended_at
        if ended.tzinfo is None:  # SQLite keeps no time zone
            ended = ended.replace(tzinfo=dt.UTC)
        valid = float(session.get("since") or 0) > ended.timestamp()
    if not valid:
        sign_out()
        g.session_ended = True
        g.page_caller = None
        return None
    caller = Caller(user.user_id, user.name, user.role, user.member_id, user.network_id)
    g.page_caller = caller
    # The API's helpers (e.g. ``current_caller``) see the same caller.
    g.caller = caller
    return caller


#: The blueprints of the pages: the managers' (``/manage``) and the members' (``/my``).
PAGE_SIDES = ("web", "my")


def safe_next(target: str | None, default: str) -> str:
    """Return `target` if it is a path of the pages (either side; no other site), else
    `default`."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    prefixes = tuple(url_for(f"{side}.index") for side in PAGE_SIDES)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefixes):
        return default
    return target


def login_required(view: Callable) -> Callable:
    """Decorate a page so that only a signed-in manager or admin sees it (others go to sign in)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_caller() is None:
            flash(
                _(
                    N_("Your session has ended (the token or password was changed); sign in again.")
                    if g.get("session_ended")
                    else N_("Sign in to see this page.")
                )
            )
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
