"""The manager page "Models" (``api.web.model_pages``) and the figures it shares with
``GET /api/v1/models/{version_id}`` (``api.services.model_figures``), issue 17: what the active
version showed since its activation and what members did with it, beside the version before it;
migration 0011 (``model_versions.activated_at``)."""

from __future__ import annotations

import datetime as dt
import html
import re

from service_fixtures import HOME, bearer
from sqlalchemy import select
from test_web import csrf, sign_in_with_token

from api.db import get_db
from api.schemas import ModelOut
from api.services.model_figures import active_version_figures
from api.services.serving import train_new_version
from api.tables import FeedbackEvent, ModelVersion

PAGE = "/manage/models"
_SERVED = re.compile(r'data-served="(active|previous):([a-z]+)">([^<]*)<')


def text(response) -> str:
    """The page's HTML, entities unescaped and white space collapsed (sentences as read)."""
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def served_cells(page: str) -> dict[str, dict[str, str]]:
    """The page's side-by-side table: {"active": {figure: text}, "previous": {...}}."""
    cells: dict[str, dict[str, str]] = {}
    for side, key, value in _SERVED.findall(page):
        cells.setdefault(side, {})[key] = value
    return cells


def add_events(app, events) -> None:
    """Store feedback events ``(member, partner, event, created_at)`` as given."""
    with app.app_context():
        session = get_db()
        for member_id, partner_id, event, created_at in events:
            session.add(
                FeedbackEvent(
                    member_id=member_id, partner_id=partner_id, event=event, created_at=created_at
                )
            )
        session.commit()


def set_activated_at(app, version_id: int, moment: dt.datetime) -> None:
    with app.app_context():
        session = get_db()
        session.get(ModelVersion, version_id).activated_at = moment
        session.commit()


def test_the_active_version_is_credited_with_what_it_showed_since_its_activation(
    app, client, tokens
):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first, second = now - dt.timedelta(days=10), now - dt.timedelta(days=5)
    with app.app_context():
        assert get_db().get(ModelVersion, 1).activated_at is not None
    set_activated_at(app, 1, first)
    day = dt.timedelta(days=1)
    add_events(
        app,
        [
            # Before either version: counted for none.
            ("designer", "fabric-mill", "shown", first - day),
            # Shown by version 1, accepted once version 2 served: version 1's.
            ("designer", "pl-distributor", "shown", first + day),
            ("designer", "pl-distributor", "accepted", second + day),
            # Shown by version 2: one accepted, one declined, one met (the partner recorded the
            # meeting, and the member too: one pair), one shown twice (one suggestion).
            ("designer", "knit-factory", "shown", second + day),
            ("designer", "knit-factory", "accepted", second + 2 * day),
            ("designer", "sewing-factory", "shown", second + day),
            ("designer", "sewing-factory", "declined", second + 2 * day),
            ("knit-factory", "yarn-supplier", "shown", second + day),
            ("knit-factory", "yarn-supplier", "shown", second + 2 * day),
            ("knit-factory", "yarn-supplier", "meeting", second + 3 * day),
            ("yarn-supplier", "knit-factory", "meeting", second + 3 * day),
            # Accepted before it was shown: not an answer to the suggestion.
            ("designer", "logistics", "accepted", second + day),
            ("designer", "logistics", "shown", second + 2 * day),
            # Another network's member: counted for an admin only.
            ("pl-distributor", "designer", "shown", second + day),
            ("pl-distributor", "designer", "accepted", second + 2 * day),
        ],
    )
    # Version 2 is trained on these events (their times are set above) and said to have been
    # activated at `second`.
    learned_from = train_new_version(app).manifest["feedback"]
    set_activated_at(app, 2, second)
    with app.app_context():
        home = active_version_figures(get_db(), HOME)
        everyone = active_version_figures(get_db(), "")
    assert (home.active.version_id, home.previous.version_id) == (2, 1)
    assert home.active.since == second and home.active.until is None
    assert (home.previous.since, home.previous.until) == (first, second)
    figures = {
        key: getattr(home.active, key)
        for key in ("shown", "members", "accepted", "declined", "meeting", "deal")
    }
    assert figures == {
        "shown": 4,
        "members": 2,
        "accepted": 1,
        "declined": 1,
        "meeting": 1,
        "deal": 0,
    }
    assert home.active.acceptance == 0.25
    assert (home.previous.shown, home.previous.accepted, home.previous.acceptance) == (1, 1, 1.0)
    assert (everyone.active.shown, everyone.active.accepted, everyone.active.members) == (5, 2, 3)

    # The API gives the same figures, on the caller's network; a version not active has none.
    manager_view = client.get("/api/v1/models/2", headers=bearer(tokens.manager)).json
    assert ModelOut.model_validate(manager_view).served is not None  # as documented
    assert manager_view["served"] == home.to_dict()
    assert manager_view["activated_at"] is not None
    polish = client.get("/api/v1/models/2", headers=bearer(tokens.polish_manager)).json["served"]
    assert (polish["active"]["shown"], polish["active"]["accepted"]) == (1, 1)
    admin_view = client.get("/api/v1/models/2", headers=bearer(tokens.admin)).json["served"]
    assert admin_view == everyone.to_dict() and admin_view["network"] is None
    assert "served" not in client.get("/api/v1/models/1", headers=bearer(tokens.manager)).json

    # The page says the same, in words and side by side.
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    page = text(client.get(PAGE))
    assert '<a href="/manage/models" aria-current="page">Models</a>' in page
    cells = served_cells(page)
    assert cells["active"] == {
        "shown": "4",
        "members": "2",
        "accepted": "1",
        "declined": "1",
        "meeting": "1",
        "deal": "0",
        "acceptance": "25%",
    }
    assert cells["previous"]["shown"] == "1" and cells["previous"]["acceptance"] == "100%"
    name = home.active.name
    since = f"{second:%B} {second.day}, {second.year}"
    assert f"Since {since}, version {name} has shown 4 suggestions." in page
    assert (
        "They went to 2 members." in page and "25% of them were accepted and 25% declined" in page
    )
    assert "After these suggestions, 1 pair of members met. None has made a deal yet." in page
    assert "No pair of members has met after them yet." in page  # the previous version's
    assert "Activate</button>" not in page  # a manager does not switch versions
    learned = dict(re.findall(r'data-learned="([a-z]+)">([0-9]+)<', page))
    assert learned and learned == {k: str(n) for k, n in learned_from.items() if n}
    assert home.learned_from == learned_from
    client.post("/manage/language", data={"csrf_token": csrf(client, PAGE), "lang": "uk"})
    page = text(client.get(PAGE))
    assert f"версія {name} показала 4 пропозиції." in page
    assert "Після цих пропозицій зустрілася 1 пара учасників." in page
    assert "Їх побачили 2 учасники." in page and "25% з них прийнято, 25% відхилено." in page

    # An admin switches back to version 1 on the page: a new serving period starts.
    assert (
        client.post(
            "/manage/models/1/activate", data={"csrf_token": csrf(client, PAGE)}
        ).status_code
        == 403
    )
    client.post("/manage/logout", data={"csrf_token": csrf(client, PAGE)})
    assert sign_in_with_token(client, tokens.admin).status_code == 302
    assert client.post("/manage/models/1/activate").status_code == 400  # no CSRF token
    done = client.post("/manage/models/1/activate", data={"csrf_token": csrf(client, PAGE)})
    assert done.status_code == 302 and done.location.endswith(PAGE)
    with app.app_context():
        after = active_version_figures(get_db(), "")
    assert (after.active.version_id, after.previous.version_id) == (1, 2)
    assert after.active.since > second and after.active.shown == 0
    assert after.previous.until == after.active.since and after.previous.shown == 5
    page = text(client.get(PAGE))
    assert 'id="nothing-shown"' in page and "вона ще не показала жодної пропозиції" in page
    # The admin may switch back: version 2 is ready and no longer active.
    assert 'action="/manage/models/2/activate"' in page
    assert 'action="/manage/models/1/activate"' not in page


def test_a_fresh_version_has_shown_nothing_and_members_are_kept_out(app, client, tokens):
    assert client.get(PAGE).status_code == 302  # not signed in: to the sign-in page
    assert sign_in_with_token(client, tokens.designer).status_code == 403
    assert client.get(PAGE).status_code == 302
    assert client.get("/api/v1/models/1", headers=bearer(tokens.designer)).status_code == 403
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    response = client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert 'id="nothing-shown"' in page and 'id="no-previous"' in page
    assert 'data-status="ready"' in page and "<code>default</code>" in page
    served = client.get("/api/v1/models/1", headers=bearer(tokens.manager)).json["served"]
    assert served["active"]["shown"] == 0 and served["active"]["acceptance"] is None
    assert served["previous"] is None and served["network"] == HOME
    # A version activated before 0011 recorded activations (other than the one it dates).
    set_activated_at(app, 1, None)
    assert 'id="no-activation"' in text(client.get(PAGE))
    served = client.get("/api/v1/models/1", headers=bearer(tokens.manager)).json["served"]
    assert served["active"] is None and served["learned_from"] is None


def test_migration_0011_goes_down_and_up_and_dates_the_active_version(app):
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
    assert not [d for d in differences if "activated_at" in repr(d)], differences
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("model_versions")}
    assert "activated_at" not in columns
    upgrade(engine)
    with app.app_context():
        version = get_db().scalar(select(ModelVersion).where(ModelVersion.active.is_(True)))
        assert version.activated_at == version.finished_at
