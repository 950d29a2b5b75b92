"""The manager pages (``api.web``): sign-in, CSRF, session key, members, profile, suggestions,
dashboard and languages, on the seeded service of ``service_fixtures`` (SQLite and PostgreSQL)."""

# The fixtures are imported by name (see service_fixtures), as in the other service tests.

from __future__ import annotations

import datetime as dt
import html
import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from service_fixtures import HOME, POLISH, bearer, dispose_app, make_app
from sqlalchemy import select

from api import create_app
from api.auth import revoke_tokens, set_password
from api.db import get_db, get_engine, upgrade
from api.tables import ApiToken, FeedbackEvent, Member, User
from matcher.errors import InputError

LOGIN = "/manage/login"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_MEMBER_ROW = re.compile(r'<tr data-member-id="([^"]+)"')


def csrf(client, path: str = LOGIN) -> str:
    """The CSRF token of the client's session, read from a page's form."""
    page = client.get(path)
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def sign_in_with_token(client, token: str, **extra):
    return client.post(
        LOGIN, data={"csrf_token": csrf(client), "method": "token", "token": token, **extra}
    )


def sign_in_with_password(client, name: str, password: str):
    return client.post(
        LOGIN,
        data={"csrf_token": csrf(client), "method": "password", "name": name, "password": password},
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def set_user_password(app, name: str, password: str) -> None:
    with app.app_context():
        session = get_db()
        set_password(session.scalar(select(User).where(User.name == name)), password)
        session.commit()


@pytest.fixture
def manager(client, tokens):
    """The client, signed in as the home cluster's manager (with its token)."""
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    return client


# ---------------------------------------------------------------------------------------------
# Signing in and out
# ---------------------------------------------------------------------------------------------


def test_root_and_login_page(client):
    assert client.get("/").headers["Location"] == "/manage/"
    assert client.get("/manage/").headers["Location"] == LOGIN
    page = client.get(LOGIN)
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert '<html lang="en">' in body and "Sign in" in body and "With your API token" in body
    assert _CSRF.search(body)
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    # Nothing is loaded from other sites.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', body)
    stylesheet = client.get("/static/web.css")
    assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"
    stylesheet.close()


def test_pages_are_not_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert paths and not [path for path in paths if path.startswith("/manage")]


def test_unknown_page_is_an_html_404(client):
    response = client.get("/manage/nowhere/at/all")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Not found" in text(response)
    # The API keeps its problem+json.
    assert client.get("/api/v1/nowhere").content_type == "application/problem+json"


def test_pages_need_sign_in(client):
    response = client.get("/manage/members?q=knit")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/login?next=/manage/members?q%3Dknit"
    assert "Sign in to see this page." in text(client.get(response.headers["Location"]))


def test_token_sign_in_follows_next_on_this_site_only(client, tokens):
    response = sign_in_with_token(client, tokens.manager, next="/manage/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/dashboard"
    page = client.get("/manage/dashboard")
    assert page.status_code == 200 and "Signed in as manager." in text(page)
    for elsewhere in ("https://evil.example/manage/", "//evil.example/manage/", "/api/v1/users"):
        client.post("/manage/logout", data={"csrf_token": csrf(client, "/manage/members")})
        response = sign_in_with_token(client, tokens.manager, next=elsewhere)
        assert response.headers["Location"] == "/manage/members", elsewhere


def test_bad_or_missing_token_is_refused_with_a_message(client, tokens):
    response = sign_in_with_token(client, "kfc_not-a-token")
    assert response.status_code == 403
    assert "The token is unknown or revoked." in text(response)
    response = sign_in_with_token(client, "  ")
    assert response.status_code == 400 and "Enter your API token." in text(response)
    assert client.get("/manage/members").status_code == 302


def test_member_role_is_refused(client, tokens):
    response = sign_in_with_token(client, tokens.designer)
    assert response.status_code == 403
    body = text(response)
    assert "for cluster managers and administrators" in body
    assert "designer has the role “member”" in body
    assert client.get("/manage/members").status_code == 302


def test_password_sign_in(app, client):
    set_user_password(app, "manager", "long enough secret")
    response = sign_in_with_password(client, "manager", "long enough secret")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/members"
    assert client.get("/manage/members").status_code == 200
    client.post("/manage/logout", data={"csrf_token": csrf(client, "/manage/members")})
    # A wrong password, an unknown name and a user without a password get the same answer.
    for name, password in (
        ("manager", "wrong password!"),
        ("nobody", "long enough secret"),
        ("admin", "long enough secret"),
    ):
        response = sign_in_with_password(client, name, password)
        assert response.status_code == 403, name
        assert "The user name or password is wrong." in text(response)
    response = sign_in_with_password(client, "manager", "")
    assert response.status_code == 400 and "Enter your user name and password." in text(response)
    assert client.get("/manage/members").status_code == 302


def test_passwords_only_for_page_roles_and_long_enough(app):
    with app.app_context():
        session = get_db()
        designer = session.scalar(select(User).where(User.name == "designer"))
        set_password(designer, "long enough secret")  # the member pages' password
        # Input the user can fix: the command line's exit 2, the service's 422.
        designer.member_id = None
        with pytest.raises(InputError, match="acts for no member"):
            set_password(designer, "long enough secret")
        session.rollback()
        manager = session.scalar(select(User).where(User.name == "manager"))
        with pytest.raises(InputError, match="use at least 10"):
            set_password(manager, "short")
        set_password(manager, "long enough secret")
        # Only a salted hash is stored.
        assert manager.password_hash.startswith("scrypt:")
        assert "long enough secret" not in manager.password_hash


def test_sign_out_voids_cookies_saved_before_it(app, client, tokens):
    """Issue 12, finding 4: a cookie saved before sign-out still opened the pages for hours.
    Sign-out ends every session of the user issued before it (another device's too)."""
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    saved = client.get_cookie("session").value
    other_device = app.test_client()
    assert sign_in_with_token(other_device, tokens.manager).status_code == 302
    response = client.post("/manage/logout", data={"csrf_token": csrf(client, "/manage/members")})
    assert response.status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/manage/members").status_code == 302
    assert other_device.get("/manage/members").status_code == 302
    # Signing in again works, with a new cookie.
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    assert client.get("/manage/members").status_code == 200


def test_sign_out_needs_a_post_with_the_csrf_token(manager):
    # A GET only asks.
    page = manager.get("/manage/logout")
    assert page.status_code == 200 and "Sign out of the manager pages?" in text(page)
    assert manager.get("/manage/members").status_code == 200
    response = manager.post("/manage/logout", data={})
    assert response.status_code == 400 and "did not come from this site" in text(response)
    assert manager.get("/manage/members").status_code == 200
    response = manager.post("/manage/logout", data={"csrf_token": csrf(manager, "/manage/members")})
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    assert "You are signed out." in text(manager.get(LOGIN))
    assert manager.get("/manage/members").status_code == 302


def test_forms_without_the_sessions_csrf_token_are_refused(client, tokens):
    # No session at all, then a session with a different token.
    response = client.post(LOGIN, data={"method": "token", "token": tokens.manager})
    assert response.status_code == 400
    assert "The form has expired or did not come from this site." in text(response)
    csrf(client)
    response = client.post(
        LOGIN, data={"csrf_token": "forged", "method": "token", "token": tokens.manager}
    )
    assert response.status_code == 400
    assert client.get("/manage/members").status_code == 302
    response = client.post("/manage/language", data={"lang": "uk", "csrf_token": "forged"})
    assert response.status_code == 400
    assert '<html lang="en">' in text(client.get(LOGIN))


def test_a_new_session_at_every_sign_in(client, tokens):
    before = csrf(client)
    sign_in_with_token(client, tokens.manager)
    assert csrf(client, "/manage/members") != before


def test_session_ends_when_the_token_is_revoked(app, client, tokens):
    sign_in_with_token(client, tokens.manager)
    assert client.get("/manage/members").status_code == 200
    with app.app_context():
        session = get_db()
        revoke_tokens(session, session.scalar(select(User).where(User.name == "manager")))
        session.commit()
    response = client.get("/manage/members")
    assert response.status_code == 302
    assert "Your session has ended" in text(client.get(response.headers["Location"]))


def test_session_ends_when_the_password_changes(app, client):
    set_user_password(app, "admin", "first password!")
    sign_in_with_password(client, "admin", "first password!")
    assert client.get("/manage/dashboard").status_code == 200
    set_user_password(app, "admin", "second password")
    assert client.get("/manage/dashboard").status_code == 302


def test_sign_in_attempts_are_rate_limited(tmp_path):
    app = make_app(
        tmp_path,
        f"sqlite:///{tmp_path / 'limit.sqlite'}",
        train=False,
        WEB_LOGIN_RATE_LIMIT="2/minute",
    )
    try:
        client = app.test_client()
        for _ in range(2):
            assert sign_in_with_token(client, "kfc_wrong").status_code == 403
        response = sign_in_with_token(client, "kfc_wrong")
        assert response.status_code == 429
        assert "Too many requests" in text(response)
        assert client.get(LOGIN).status_code == 200  # only the attempts are counted
    finally:
        dispose_app(app)


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------


def found(manager, query: str) -> list[str]:
    response = manager.get(f"/manage/members?{query}")
    assert response.status_code == 200, text(response)
    return _MEMBER_ROW.findall(response.get_data(as_text=True))


def stored_profiles(app) -> dict[str, dict]:
    with app.app_context():
        return {m.member_id: m.profile for m in get_db().scalars(select(Member))}


def test_search_by_text_in_id_name_and_description(manager):
    # Cyrillic case folding (SQLite folds only ASCII in SQL).
    assert found(manager, "q=ВЕСНА") == ["designer"]
    assert found(manager, "q=KNIT") == ["knit-factory", "pl-knit-factory"]
    assert found(manager, "q=митне+оформлення") == ["logistics"]  # in the description
    assert found(manager, "q=nothing-like-this") == []
    assert "No member matches the search." in text(manager.get("/manage/members?q=zzz"))


def test_search_by_type_country_network_and_presence(app, manager):
    # Which members are found (their order, by name: test_web_figures.py).
    profiles = stored_profiles(app)
    manufacturers = sorted(m for m, p in profiles.items() if p["org_type"] == "manufacturer")
    assert sorted(found(manager, "org_type=manufacturer")) == manufacturers
    assert sorted(found(manager, "org_type=factory")) == manufacturers  # a synonym
    polish = ["fabric-mill", "pl-distributor", "pl-knit-factory"]
    assert sorted(found(manager, "country=pl")) == polish
    assert sorted(found(manager, f"network={POLISH}")) == polish
    for presence in ("local", "national", "regional", "international"):
        expected = sorted(m for m, p in profiles.items() if p["market_presence"] == presence)
        assert sorted(found(manager, f"presence={presence}")) == expected, presence
    expected = sorted(m for m in manufacturers if profiles[m]["market_presence"] == "national")
    assert sorted(found(manager, "org_type=manufacturer&presence=national")) == expected
    assert sorted(found(manager, f"q=knit&network={HOME}")) == ["knit-factory"]


def test_search_pages(manager):
    everyone = found(manager, "per_page=100")
    assert len(everyone) == 11  # by name, the home network first (test_web_figures.py)
    pages = [found(manager, f"per_page=5&page={page}") for page in (1, 2, 3)]
    assert [len(p) for p in pages] == [5, 5, 1] and [m for p in pages for m in p] == everyone
    body = text(manager.get("/manage/members?per_page=5&page=2"))
    assert "Page 2 of 3" in body and "Members found: 11" in body
    assert 'href="/manage/members?page=3&amp;per_page=5"' in manager.get(
        "/manage/members?per_page=5&page=2"
    ).get_data(as_text=True)
    # Past the end: the last page (test_web_figures.py).
    assert manager.get("/manage/members?per_page=5&page=9").status_code == 302


def test_bad_search_input_is_explained(manager):
    response = manager.get(
        "/manage/members?page=0&per_page=1000&org_type=wizard&country=Poland&network=nowhere"
        "&presence=galactic&q=" + "x" * 201
    )
    assert response.status_code == 400
    body = text(response)
    for message in (
        "The page must be a whole number from 1; got 0.",
        "Per page must be a whole number from 1 to 100; got 1000.",
        "Type of activity: 'wizard' is not an org_type; allowed: manufacturer,",
        "Country: 'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'?",
        "Unknown network: nowhere.",
        "Unknown market presence: galactic.",
        "The search text is longer than 200 characters.",
    ):
        assert message in body
    assert not _MEMBER_ROW.search(body)


def test_profile_with_labels_gradation_and_contacts_for_its_manager(app, manager):
    response = manager.get("/manage/members/designer")
    assert response.status_code == 200
    body = text(response)
    profile = stored_profiles(app)["designer"]
    assert "Студія Весна" in body and "Knitwear production" in body  # seeks, as a label
    assert "Fashion design / collections" in body and "Marketing and branding" in body
    assert "Poland" in body and "Germany" in body  # target markets by name
    assert "designer@example.org" in body and "Olena" in body
    assert "/manage/members/designer/suggestions" in body
    tier = {"low": "low", "medium": "medium", "high": "high"}[profile["potential_tier"]]
    assert f"tier-{tier}" in body


def test_profile_without_contacts_for_another_networks_manager(client, tokens):
    sign_in_with_token(client, tokens.polish_manager)
    body = text(client.get("/manage/members/designer"))
    assert "Студія Весна" in body and "designer@example.org" not in body
    assert "Contact details are shown to the managers of Kharkiv Fashion Cluster" in body
    assert "/manage/members/designer/suggestions" not in body
    # Its own members' contacts it sees.
    assert "fabric-mill@example.org" in text(client.get("/manage/members/fabric-mill"))


def test_unknown_or_withdrawn_member_is_a_404_page(app, manager, tokens):
    response = manager.get("/manage/members/ghost")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Member ghost doesn't exist (or was withdrawn)." in text(response)
    assert manager.delete("/api/v1/members/photo", headers=bearer(tokens.admin)).status_code == 204
    assert manager.get("/manage/members/photo").status_code == 404
    assert "photo" not in found(manager, "per_page=100")


# ---------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------


_CARD = re.compile(
    r'<li class="card suggestion" data-partner-id="([^"]+)">(.*?)</li>\s*(?=<li class="card|</ol>)',
    re.DOTALL,
)


def page_suggestions(response) -> list[tuple[str, list[str]]]:
    """The partners on a suggestions page, each with its reasons (the risk last)."""
    cards = []
    for partner_id, card in _CARD.findall(response.get_data(as_text=True)):
        reasons = re.findall(r"<li>(.*?)</li>", card, re.DOTALL)
        reasons += re.findall(r'<p class="risk">(.*?)</p>', card, re.DOTALL)
        cards.append((partner_id, [html.unescape(r) for r in reasons]))
    return cards


def api_suggestions(client, token, query: str) -> list[tuple[str, list[str]]]:
    answer = client.get(f"/api/v1/members/designer/suggestions?{query}", headers=bearer(token))
    assert answer.status_code == 200, answer.json
    return [(s["partner_id"], s["reasons"]) for s in answer.json["suggestions"]]


def test_suggestions_page_gives_the_apis_answer(manager, tokens):
    response = manager.get("/manage/members/designer/suggestions?k=5")
    assert response.status_code == 200
    shown = page_suggestions(response)
    assert shown == api_suggestions(manager, tokens.manager, "k=5")
    assert len(shown) == 5 and shown[0][0] == "knit-factory"
    assert all(reasons for _, reasons in shown)
    assert "Offers what you seek: Knitwear production" in shown[0][1]
    # The declined partner is never suggested.
    assert "photo" not in [
        partner
        for partner, _ in page_suggestions(
            manager.get("/manage/members/designer/suggestions?k=100")
        )
    ]


def test_suggestion_filters_are_the_apis(manager, tokens):
    query = "k=10&scope=all&country=PL&org_type=manufacturer"
    shown = page_suggestions(manager.get(f"/manage/members/designer/suggestions?{query}"))
    assert shown == api_suggestions(manager, tokens.manager, query)
    assert [partner for partner, _ in shown] == ["pl-knit-factory"]
    shown = page_suggestions(
        manager.get("/manage/members/designer/suggestions?scope=cluster&partnership_type=")
    )
    assert shown == api_suggestions(manager, tokens.manager, "scope=cluster")


def test_suggestion_reasons_in_the_pages_language(manager, tokens):
    manager.post(
        "/manage/language",
        data={"lang": "uk", "csrf_token": csrf(manager, "/manage/members")},
    )
    response = manager.get("/manage/members/designer/suggestions?k=3")
    body = text(response)
    assert "Запропоновані партнери для Студія Весна" in body
    shown = page_suggestions(response)
    assert shown == api_suggestions(manager, tokens.manager, "k=3&language=uk")
    assert "Пропонує те, що ви шукаєте: Виробництво трикотажних виробів" in shown[0][1]


def test_bad_suggestion_input_is_explained(manager):
    response = manager.get(
        "/manage/members/designer/suggestions?k=0&scope=galaxy&country=Poland"
        "&org_type=wizard&partnership_type=marriage"
    )
    assert response.status_code == 400
    body = text(response)
    for message in (
        "How many must be a whole number from 1 to 100; got 0.",
        "Unknown scope: galaxy.",
        "Country: 'Poland' is not an ISO 3166-1 alpha-2 country code; did you mean 'PL'?",
        "Type of activity: 'wizard' is not an org_type; allowed: manufacturer,",
        "Partnership type: 'marriage' is not a partnership type; allowed: ",
    ):
        assert message in body
    assert not page_suggestions(response)


def test_filter_problems_are_the_apis_in_the_pages_language(manager, tokens):
    """Regression: the pages checked a country's shape only ("XX" passed and matched nothing);
    they refuse what the API refuses, with its message (translated)."""
    # The JSON API takes the codes exactly ("PL"); the pages also read "pl".
    query = "country=PL&country=XX&org_type=manufactrer&partnership_type=marriage"
    api = manager.get(
        f"/api/v1/members/designer/suggestions?{query}", headers=bearer(tokens.manager)
    )
    assert api.status_code == 422
    # Fields of the API's errors name the array item ("country.1").
    messages = {(e["field"].split(".")[0], e["value"]): e["message"] for e in api.json["errors"]}
    assert set(messages) == {
        ("country", "XX"),
        ("org_type", "manufactrer"),
        ("partnership_type", "marriage"),
    }
    query = "country=pl+XX&org_type=manufactrer&partnership_type=marriage"
    response = manager.get(f"/manage/members/designer/suggestions?{query}")
    assert response.status_code == 400 and not page_suggestions(response)
    body = text(response)
    for label, key in (
        ("Country", ("country", "XX")),
        ("Type of activity", ("org_type", "manufactrer")),
        ("Partnership type", ("partnership_type", "marriage")),
    ):
        assert f"{label}: {messages[key]}" in body, key
    assert "did you mean 'manufacturer'?" in body
    # The member search too.
    body = text(manager.get("/manage/members?country=XX&org_type=manufactrer"))
    assert f"Country: {messages[('country', 'XX')]}" in body
    assert f"Type of activity: {messages[('org_type', 'manufactrer')]}" in body
    # In Ukrainian, with the same closest valid value.
    manager.post(
        "/manage/language",
        data={"lang": "uk", "csrf_token": csrf(manager, "/manage/members")},
    )
    body = text(manager.get("/manage/members/designer/suggestions?country=Poland"))
    assert (
        "Країна: «Poland» не є кодом країни ISO 3166-1 alpha-2; можливо, ви мали на увазі «PL»?"
        in body
    )
    body = text(manager.get("/manage/members?org_type=manufactrer"))
    assert (
        "Вид діяльності: «manufactrer» не є видом діяльності; можливо, ви мали на увазі «manufacturer»?"
        in body
    )
    # A valid filter in any case, or a synonym, works on the pages as its code or id in the API.
    manager.post(
        "/manage/language",
        data={"lang": "en", "csrf_token": csrf(manager, "/manage/members")},
    )
    query = "k=10&scope=all&country=pl&org_type=factory"
    shown = page_suggestions(manager.get(f"/manage/members/designer/suggestions?{query}"))
    exact = "k=10&scope=all&country=PL&org_type=manufacturer"
    assert shown == api_suggestions(manager, tokens.manager, exact)
    assert [partner for partner, _ in shown] == ["pl-knit-factory"]


def test_suggestions_only_for_those_who_may_act_for_the_member(client, tokens):
    sign_in_with_token(client, tokens.polish_manager)
    response = client.get("/manage/members/designer/suggestions")
    assert response.status_code == 403
    assert (
        "Only the managers of Kharkiv Fashion Cluster and administrators see the suggestions "
        "of Студія Весна." in text(response)
    )
    assert client.get("/manage/members/pl-distributor/suggestions").status_code == 200
    assert client.get("/manage/members/ghost/suggestions").status_code == 404
    client.post("/manage/logout", data={"csrf_token": csrf(client, "/manage/members")})
    sign_in_with_token(client, tokens.admin)
    assert page_suggestions(client.get("/manage/members/designer/suggestions"))


def test_suggestions_without_a_model_say_so(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite'}", train=False)
    try:
        client = app.test_client()
        sign_in_with_token(client, app.config["TOKENS"].admin)
        response = client.get("/manage/members/designer/suggestions")
        assert response.status_code == 503
        assert "No model is active yet" in text(response)
        assert "No model is active yet" in text(client.get("/manage/dashboard"))
    finally:
        dispose_app(app)


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


def counts_on(response) -> dict[str, int]:
    """The figures a dashboard shows, by their ``data-count``/``data-metric`` names."""
    body = response.get_data(as_text=True)
    figures = {k: int(v) for k, v in re.findall(r'data-count="([^"]+)">(\d+)<', body)}
    figures.update(
        {f"metric:{k}": int(v) for k, v in re.findall(r'data-metric="([^"]+)">(\d+)<', body)}
    )
    return figures


def post_feedback(client, token: str, member_id: str, events: list[tuple[str, str]]) -> None:
    for partner_id, event in events:
        response = client.post(
            f"/api/v1/members/{member_id}/feedback",
            json={"partner_id": partner_id, "event": event},
            headers=bearer(token),
        )
        assert response.status_code == 201, response.json


def test_dashboard_counts_match_the_data(app, manager, tokens):
    post_feedback(
        manager,
        tokens.designer,
        "designer",
        [
            ("knit-factory", "shown"),
            ("pl-knit-factory", "shown"),
            ("rival-designer", "shown"),
            ("knit-factory", "accepted"),
            ("rival-designer", "declined"),
            ("knit-factory", "meeting"),
            ("knit-factory", "deal"),
        ],
    )
    post_feedback(
        manager,
        tokens.distributor,
        "pl-distributor",
        [
            ("knit-factory", "shown"),
            ("knit-factory", "accepted"),
            ("sewing-factory", "declined"),
        ],
    )
    with app.app_context():
        session = get_db()
        # An event from long ago counts in "all time" only.
        session.add(
            FeedbackEvent(
                member_id="designer",
                partner_id="sewing-factory",
                event="declined",
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=60),
            )
        )
        session.commit()
    profiles = stored_profiles(app)

    def expected(network: str | None) -> dict[str, int]:
        chosen = {m: p for m, p in profiles.items() if network in (None, p["network"])}
        figures = {"total:total": len(chosen), "metric:members": len(chosen)}
        for p in chosen.values():
            for key in (
                f"{p['org_type']}:{p['market_presence']}",
                f"{p['org_type']}:total",
                f"total:{p['market_presence']}",
                f"tier:{p['potential_tier']}",
            ):
                figures[key] = figures.get(key, 0) + 1
        return figures

    home = counts_on(manager.get("/manage/dashboard"))  # a manager starts on its network
    assert {k: home.get(k) for k in expected(HOME)} == expected(HOME)
    assert (
        home["total:local"]
        + home["total:national"]
        + home["total:regional"]
        + home["total:international"]
        == home["total:total"]
        == 8
    )
    assert {
        k: home[f"event:{k}"] for k in ("shown", "accepted", "declined", "meeting", "deal")
    } == {"shown": 3, "accepted": 1, "declined": 2, "meeting": 1, "deal": 1}
    assert home["event:declined:recent"] == 1 and home["event:shown:recent"] == 3
    assert home["metric:accepted"] == 1 and "metric:networks" not in home

    # Another network's figures, and all networks', are an admin's to see.
    for chosen in ("all", POLISH, "atlantis"):
        response = manager.get(f"/manage/dashboard?network={chosen}")
        assert response.status_code == 403, chosen
        named = "Polish Fashion Cluster" if chosen == POLISH else chosen
        assert f"sees the figures of its own network only, not of {named}" in text(response)
    assert f'value="{POLISH}"' not in manager.get("/manage/dashboard").get_data(as_text=True)

    manager.post("/manage/logout", data={"csrf_token": csrf(manager, "/manage/members")})
    admin = manager
    assert sign_in_with_token(admin, tokens.admin).status_code == 302
    everyone = admin.get("/manage/dashboard?network=all")
    figures = counts_on(everyone)
    assert {k: figures.get(k) for k in expected(None)} == expected(None)
    assert figures["metric:networks"] == 2
    assert figures["event:shown"] == 4 and figures["event:accepted"] == 2
    assert figures["event:declined"] == 3 and figures["event:declined:recent"] == 2
    assert "Accepted of those decided: 40%" in text(everyone)

    polish = counts_on(admin.get(f"/manage/dashboard?network={POLISH}"))
    assert {k: polish.get(k) for k in expected(POLISH)} == expected(POLISH)
    assert polish["event:accepted"] == 1 and polish["event:meeting"] == 0

    response = admin.get("/manage/dashboard?network=atlantis")
    assert response.status_code == 400 and "Unknown network: atlantis." in text(response)


def test_an_admin_dashboard_starts_on_all_networks(client, tokens):
    sign_in_with_token(client, tokens.admin)
    figures = counts_on(client.get("/manage/dashboard"))
    assert figures["metric:members"] == 11 and figures["metric:networks"] == 2


# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------


def test_language_switch_is_kept_in_the_session(client, tokens):
    response = client.post(
        "/manage/language", data={"lang": "uk", "next": LOGIN, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    page = text(client.get(LOGIN))
    assert '<html lang="uk">' in page and "Вхід" in page and "API-токеном" in page
    # Kept through sign-in, on every page; labels from the taxonomy in Ukrainian.
    sign_in_with_token(client, tokens.manager)
    members = text(client.get("/manage/members"))
    assert '<html lang="uk">' in members and "Учасники" in members
    assert "Швейне / виробниче підприємство" in members and "Україна" in members
    profile = text(client.get("/manage/members/designer"))
    assert "Виробництво трикотажних виробів" in profile and "Польща" in profile
    dashboard = text(client.get("/manage/dashboard"))
    assert "Учасники за видом діяльності та присутністю на ринках" in dashboard
    assert "Місцевий ринок" in dashboard
    # ... and back; somewhere off the pages falls back to the member list.
    token = csrf(client, "/manage/members")
    response = client.post(
        "/manage/language",
        data={"lang": "en", "next": "https://evil.example/", "csrf_token": token},
    )
    assert response.headers["Location"] == "/manage/members"
    assert '<html lang="en">' in text(client.get("/manage/members"))
    response = client.post("/manage/language", data={"lang": "fr", "csrf_token": token})
    assert response.status_code == 400
    assert "Unknown language fr; choose English or Ukrainian." in text(response)


def test_browser_language_is_the_default(client):
    page = text(client.get(LOGIN, headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}))
    assert '<html lang="uk">' in page


def test_every_word_chosen_by_a_value_has_its_message():
    """The catalogue itself (every message translated, compiled, placeholders) is checked in
    test_web_i18n.py; here: every value that picks a message by key has one."""
    from api.tables import FEEDBACK_EVENTS, ROLES
    from api.web.i18n import KEYED, tier_name
    from api.web.queries import POTENTIAL_TIERS
    from api.web.views import SCOPES

    for prefix, values in (
        ("event", FEEDBACK_EVENTS),
        ("role", ROLES),
        ("scope", SCOPES),
    ):
        assert {f"{prefix}.{value}" for value in values} <= set(KEYED), prefix
    # The potential tiers' words are the library's one definition.
    assert [tier_name(tier, "uk") for tier in POTENTIAL_TIERS] == ["низький", "середній", "високий"]


# ---------------------------------------------------------------------------------------------
# The password command, the migration, the session key
# ---------------------------------------------------------------------------------------------


def test_users_set_password_command(tmp_path, monkeypatch, cluster_files):
    from matcher.cli import main

    for key, value in {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MATCHER_MODELS_DIR": str(tmp_path / "models"),
        "MATCHER_RATELIMIT_STORAGE_URI": "memory://",
        "MATCHER_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }.items():
        monkeypatch.setenv(key, value)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    assert run("db", "import", "--members", str(cluster_files[0])).exit_code == 0
    assert run("users", "create", "--name", "olena", "--role", "manager").exit_code == 0
    assert (
        run("users", "create", "--name", "d", "--role", "member", "--member", "designer").exit_code
        == 0
    )
    # Asked twice, hidden, when not given.
    result = run(
        "users", "set-password", "--name", "olena", input="spring collection\nspring collection\n"
    )
    assert result.exit_code == 0, result.output
    assert "password of 'olena' set" in result.output and "spring collection" not in result.output
    result = run("users", "set-password", "--name", "olena", "--password", "short")
    assert result.exit_code == 2 and "use at least 10" in result.output
    result = run("users", "set-password", "--name", "d", "--password", "long enough secret")
    assert result.exit_code == 0 and "sign in at /my/login" in result.output
    result = run("users", "set-password", "--name", "nobody", "--password", "long enough secret")
    assert result.exit_code == 2 and "no user named 'nobody'" in result.output
    # No command above served a page, so none wrote a session key.
    assert not (tmp_path / "secret_key").exists()

    app = create_app({"TESTING": True})
    try:
        client = app.test_client()
        assert sign_in_with_password(client, "olena", "spring collection").status_code == 302
        result = run("users", "revoke", "--name", "olena")
        assert (
            result.exit_code == 0 and "revoked 1 token of 'olena' and its password" in result.output
        )
        assert client.get("/manage/members").status_code == 302
        assert sign_in_with_password(client, "olena", "spring collection").status_code == 403
    finally:
        get_engine(app).dispose()


def test_migration_0002_up_and_down_keeps_the_data(app):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from api.db import MIGRATIONS_DIR

    engine = get_engine(app)
    set_user_password(app, "manager", "long enough secret")

    def state():
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("users")}
            users = connection.execute(select(User.user_id, User.name)).all()
            tokens = connection.execute(select(ApiToken.token_id)).all()
        return columns, users, tokens

    columns, users, tokens = state()
    assert "password_hash" in columns and len(users) == 6 and len(tokens) == 6
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with engine.connect() as connection:
        assert "password_hash" not in {c["name"] for c in inspect(connection).get_columns("users")}
    upgrade(engine)
    assert state() == (columns, users, tokens)
    with app.app_context():
        assert get_db().scalar(select(User.password_hash).where(User.name == "manager")) is None


def _page_app(tmp_path: Path, **config):
    """A minimal non-testing app (as a gunicorn worker runs it) with one manager."""
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'workers.sqlite'}",
        "MODELS_DIR": str(tmp_path / "models"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY_FILE": str(tmp_path / "instance" / "secret_key"),
        **config,
    }
    app = create_app(settings)
    return app


def test_workers_share_the_session_key_file(tmp_path):
    from api.auth import create_user

    first, second = _page_app(tmp_path), _page_app(tmp_path)
    try:
        with first.app_context():
            upgrade(get_engine())
            session = get_db()
            _, token = create_user(session, "olena", "manager", network_id=HOME)
            session.commit()
        key_file = tmp_path / "instance" / "secret_key"
        # Created on first use by a page, not at start nor by the API.
        api = first.test_client()
        assert api.get("/health").status_code == 200
        assert api.get("/api/v1/members", headers=bearer(token)).status_code == 200
        assert "Set-Cookie" not in api.get("/api/v1/members", headers=bearer(token)).headers
        assert not key_file.exists()
        client = first.test_client()
        assert sign_in_with_token(client, token).status_code == 302
        assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        # The other worker reads the same key, so it accepts the first one's session.
        other = second.test_client()
        other.set_cookie("session", client.get_cookie("session").value)
        assert other.get("/manage/members").status_code == 200
        assert first.secret_key == second.secret_key == key_file.read_text().strip()
    finally:
        get_engine(first).dispose()
        get_engine(second).dispose()


def test_a_configured_key_writes_no_file_and_a_broken_file_is_explained(tmp_path, monkeypatch):
    from api.web.login import load_or_create_secret

    app = _page_app(tmp_path, SECRET_KEY="configured-key")
    try:
        app.test_client().get(LOGIN)
        assert app.secret_key == "configured-key"
        assert not (tmp_path / "instance" / "secret_key").exists()
    finally:
        get_engine(app).dispose()
    path = tmp_path / "keys" / "secret_key"
    assert load_or_create_secret(path) == load_or_create_secret(path)
    path.write_text("")
    with pytest.raises(RuntimeError, match="is empty"):
        load_or_create_secret(path)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(RuntimeError, match="cannot read the session key file"):
        load_or_create_secret(blocked / "secret_key")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("api.web.login.os.open", refuse)
    with pytest.raises(RuntimeError, match="cannot create the session key file .* writable"):
        load_or_create_secret(tmp_path / "elsewhere" / "secret_key")
