"""Invitations to the member pages (:mod:`api.services.invitations`, :mod:`api.web.member_access`,
``matcher users invite``): issued by the member's managers, used once, expiring, replaced by a
newer one; a member's password; a withdrawn member's session ends. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api.auth import set_password
from api.cli import users
from api.db import get_db
from api.services import invitations
from api.tables import Member, MemberInvitation, User, utcnow
from matcher.errors import InputError

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r'id="invitation-link" name="link" value="([^"]+)"')


def csrf(client, path: str) -> str:
    page = client.get(path)
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def manager_signs_in(client, token: str) -> None:
    response = client.post(
        "/manage/login",
        data={"csrf_token": csrf(client, "/manage/login"), "method": "token", "token": token},
    )
    assert response.status_code == 302, text(response)


def invite_on_page(client, member_id: str):
    page = f"/manage/members/{member_id}"
    return client.post(f"{page}/invitation", data={"csrf_token": csrf(client, page)})


def accept(client, path: str, name: str, password: str, again: str | None = None):
    return client.post(
        path,
        data={
            "csrf_token": csrf(client, path),
            "name": name,
            "password": password,
            "password_again": password if again is None else again,
        },
    )


def test_a_manager_invites_and_the_member_chooses_its_password(app, tokens):
    manager = app.test_client()
    manager_signs_in(manager, tokens.manager)
    before = text(manager.get("/manage/members/sewing-factory"))
    assert 'id="invite-member"' in before and "Invite to the member pages" in before

    issued = invite_on_page(manager, "sewing-factory")
    assert issued.status_code == 200, text(issued)
    link = _LINK.search(issued.get_data(as_text=True)).group(1)
    assert link.startswith("http://localhost/my/invitation/")
    path = link.removeprefix("http://localhost")
    code = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = get_db().scalars(select(MemberInvitation)).all()
        assert [i.code_hash for i in stored] == [invitations.hash_code(code)]  # never the code
        assert code not in str([(i.code_hash, i.member_id) for i in stored])
    after = text(manager.get("/manage/members/sewing-factory"))
    assert "Issue a new invitation" in after and "An invitation is open until" in after

    member = app.test_client()
    form = text(member.get(path))
    assert 'value="sewing-factory"' in form  # the name is prefilled
    assert accept(member, path, "sewing", "short").status_code == 400
    differ = accept(member, path, "sewing", "long enough 1", "long enough 2")
    assert differ.status_code == 400 and "differ" in text(differ)
    taken = accept(member, path, "manager", "long enough 1")
    assert taken.status_code == 400 and "taken" in text(taken)
    done = accept(member, path, "sewing", "long enough 1")
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/")
    home = member.get("/my/", follow_redirects=True)
    assert home.status_code == 200 and "Welcome, sewing" in text(home)

    with app.app_context():
        user = get_db().scalar(select(User).where(User.name == "sewing"))
        assert (user.role, user.member_id) == ("member", "sewing-factory")
    reused = app.test_client().get(path)
    assert reused.status_code == 410 and "used already" in text(reused)
    assert "ask" in text(reused).lower()

    # Signed out, it signs in with the name and password it chose.
    member.post("/my/logout", data={"csrf_token": csrf(member, "/my/logout")})
    assert member.get("/my/").headers["Location"].endswith("/my/login")
    again = member.post(
        "/my/login",
        data={
            "csrf_token": csrf(member, "/my/login"),
            "method": "password",
            "name": "sewing",
            "password": "long enough 1",
        },
    )
    assert again.status_code == 302 and "/my/login" not in again.headers["Location"]


def test_an_existing_member_user_is_updated_not_duplicated(app, tokens):
    with app.app_context():
        db = get_db()
        issued = invitations.issue_invitation(db, "designer", None)
        db.commit()
    member = app.test_client()
    path = f"/my/invitation/{issued.code}"
    assert 'value="designer"' in text(member.get(path))  # the user's name, prefilled
    assert accept(member, path, "designer-studio", "a good password").status_code == 302
    with app.app_context():
        users_of = get_db().scalars(select(User).where(User.member_id == "designer")).all()
        assert [(u.name, u.role) for u in users_of] == [("designer-studio", "member")]


def test_one_code_is_used_once_even_by_two_requests_at_once(app):
    """Both requests read the invitation while it is unused; only the first to commit uses it,
    and nothing of the second is kept."""
    from api.db import session_factory

    with app.app_context():
        db = get_db()
        issued = invitations.issue_invitation(db, "designer", None)
        db.commit()
        sessions = session_factory(app)
        with sessions() as first, sessions() as second:
            invitations.open_invitation(first, issued.code)
            invitations.open_invitation(second, issued.code)
            invitations.accept_invitation(first, issued.code, "designer-one", "a good password")
            first.commit()
            with pytest.raises(invitations.InvitationVoidError):
                invitations.accept_invitation(
                    second, issued.code, "designer-two", "another good password"
                )
            second.rollback()
        names = get_db().scalars(select(User.name).where(User.member_id == "designer")).all()
        assert names == ["designer-one"]


def test_only_the_members_managers_and_admins_invite(app, tokens):
    polish = app.test_client()
    manager_signs_in(polish, tokens.polish_manager)
    page = text(polish.get("/manage/members/sewing-factory"))
    assert 'id="invite-member"' not in page
    refused = polish.post(
        "/manage/members/sewing-factory/invitation",
        data={"csrf_token": csrf(polish, "/manage/members/sewing-factory")},
    )
    assert refused.status_code == 403
    admin = app.test_client()
    manager_signs_in(admin, tokens.admin)
    assert invite_on_page(admin, "sewing-factory").status_code == 200
    assert invite_on_page(admin, "no-such-member").status_code == 404
    anonymous = app.test_client()
    sent = anonymous.post(
        "/manage/members/sewing-factory/invitation",
        data={"csrf_token": csrf(anonymous, "/manage/login")},
    )
    assert sent.status_code == 302 and "/manage/login" in sent.headers["Location"]
    with app.app_context():
        assert len(get_db().scalars(select(MemberInvitation)).all()) == 1


def test_a_new_invitation_voids_the_old_and_codes_expire(app):
    with app.app_context():
        db = get_db()
        first = invitations.issue_invitation(db, "sewing-factory", None)
        second = invitations.issue_invitation(db, "sewing-factory", None)
        expired = invitations.issue_invitation(db, "yarn-supplier", None)
        row = db.scalar(
            select(MemberInvitation).where(
                MemberInvitation.code_hash == invitations.hash_code(expired.code)
            )
        )
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.commit()
        with pytest.raises(InputError, match="at least 1 day"):
            invitations.issue_invitation(db, "sewing-factory", None, days=0)
    client = app.test_client()
    replaced = client.get(f"/my/invitation/{first.code}")
    assert replaced.status_code == 410 and "replaced by a newer one" in text(replaced)
    gone = client.get(f"/my/invitation/{expired.code}")
    assert gone.status_code == 410 and "expired" in text(gone)
    unknown = client.get("/my/invitation/no-such-code")
    assert unknown.status_code == 404 and "no invitation" in text(unknown)
    assert client.get(f"/my/invitation/{second.code}").status_code == 200
    assert (second.expires_at - utcnow()).days == invitations.DEFAULT_DAYS - 1


def test_the_command_prints_a_link_the_pages_accept(app, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MATCHER_RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("MATCHER_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MATCHER_INVITATION_DAYS", "3")
    runner = CliRunner()
    result = runner.invoke(
        users, ["invite", "--member", "knit-factory", "--base-url", "https://kfc.example/"]
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("https://kfc.example/my/invitation/")
    code = link.rsplit("/", 1)[1]
    assert app.test_client().get(f"/my/invitation/{code}").status_code == 200
    with app.app_context():
        stored = get_db().scalar(select(MemberInvitation))
        expires_at = stored.expires_at.replace(tzinfo=dt.UTC)
        assert dt.timedelta(days=2) < expires_at - utcnow() <= dt.timedelta(days=3)
    wrong = runner.invoke(users, ["invite", "--member", "no-such-member"])
    assert wrong.exit_code == 2 and "no-such-member" in wrong.output


def test_a_member_user_has_a_password_but_a_memberless_one_not(app):
    with app.app_context():
        db = get_db()
        user = db.scalar(select(User).where(User.name == "knit"))
        set_password(user, "knitting needles")
        user.member_id = None
        with pytest.raises(InputError, match="acts for no member"):
            set_password(user, "knitting needles")
        db.rollback()


def test_a_withdrawn_members_session_ends(app):
    with app.app_context():
        db = get_db()
        issued = invitations.issue_invitation(db, "yarn-supplier", None)
        db.commit()
    member = app.test_client()
    path = f"/my/invitation/{issued.code}"
    assert accept(member, path, "yarn", "spun and dyed").status_code == 302
    assert member.get("/my/").headers["Location"].endswith("/my/suggestions")
    with app.app_context():
        db = get_db()
        db.get(Member, "yarn-supplier").deleted_at = utcnow()
        db.commit()
    ended = member.get("/my/suggestions")
    assert ended.status_code == 302 and "/my/login" in ended.headers["Location"]
    assert "session has ended" in text(member.get(ended.headers["Location"]))
    assert member.get("/my/").headers["Location"].endswith("/my/login")


def test_erasing_a_member_erases_its_invitations(app, tokens):
    with app.app_context():
        db = get_db()
        issued = invitations.issue_invitation(db, "yarn-supplier", None)
        db.commit()
    client = app.test_client()
    erased = client.delete(
        "/api/v1/members/yarn-supplier?erase=true",
        headers={"Authorization": f"Bearer {tokens.admin}"},
    )
    assert erased.status_code == 204, erased.get_data(as_text=True)
    assert client.get(f"/my/invitation/{issued.code}").status_code == 404
    with app.app_context():
        assert get_db().scalars(select(MemberInvitation)).all() == []


def test_migration_0010_matches_the_table_and_goes_down_and_up(app):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from api.db import MIGRATIONS_DIR, get_engine, upgrade
    from api.tables import Base

    engine = get_engine(app)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert not [d for d in differences if "member_invitations" in repr(d)], differences
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    with engine.connect() as connection:
        assert "member_invitations" not in inspect(connection).get_table_names()
    upgrade(engine)
    with app.app_context():
        db = get_db()
        issued = invitations.issue_invitation(db, "designer", None)
        db.commit()
        assert invitations.open_invitation(db, issued.code).member_id == "designer"
