"""The figures a manager reads (issue 15): a meeting counted once on the dashboard, in the
insights, their report and the API; the strength of a match instead of a bare score; the member
list's order and its pages; one label for one figure. On the seeded service of
``service_fixtures`` (SQLite and PostgreSQL)."""

# The fixtures are imported by name (see service_fixtures), as in the other service tests.

from __future__ import annotations

import html
import re

from service_fixtures import HOME, POLISH, bearer
from sqlalchemy import select
from test_api_insights import computed
from test_web import counts_on, csrf, found, sign_in_with_token, text

from api.db import get_db
from api.services.feedback import network_feedback
from api.tables import Member
from api.web.queries import name_sort_key
from matcher.engine.strength import GOOD_FROM, STRONG_FROM, match_strengths
from matcher.i18n import catalogue
from matcher.insights.outcomes import count_feedback
from matcher.insights.report import COUNTS

SESSIONS = "/api/v1/sessions"
INSIGHTS = "/api/v1/insights"


def _post(client, token: str, path: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(path, json=body or {}, headers=bearer(token))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def _feedback(client, token: str, member_id: str, events: list[tuple[str, str]]) -> None:
    for partner_id, event in events:
        _post(
            client,
            token,
            f"/api/v1/members/{member_id}/feedback",
            {"partner_id": partner_id, "event": event},
            201,
        )


def _held_meeting(client, tokens) -> str:
    """A published session of the home cluster whose one meeting, the designer's with the
    knitwear factory, is recorded as held: the session writes a ``meeting`` event for each
    side. Returns the session's id."""
    session_id = _post(
        client,
        tokens.manager,
        SESSIONS,
        {"name": "Зустрічі", "date": "2026-05-14", "tables": 1, "slots": ["10:00"]},
        201,
    )["session_id"]
    for member_id in ("designer", "knit-factory"):
        _post(
            client,
            tokens.manager,
            f"{SESSIONS}/{session_id}/participants",
            {"member_id": member_id},
            201,
        )
    response = client.put(
        f"{SESSIONS}/{session_id}/wishes/designer/knit-factory",
        json={"level": "must"},
        headers=bearer(tokens.manager),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (
        _post(client, tokens.manager, f"{SESSIONS}/{session_id}/build", {"time_limit": 5})[
            "n_meetings"
        ]
        == 1
    )
    _post(client, tokens.manager, f"{SESSIONS}/{session_id}/publish")
    recorded = _post(
        client,
        tokens.manager,
        f"{SESSIONS}/{session_id}/outcomes",
        {"outcomes": [{"member_id": "designer", "partner_id": "knit-factory", "held": True}]},
    )
    assert recorded["feedback"]["written"] == 2  # one event per side
    return session_id


def _every_figure(app, client, tokens, session_id: str) -> dict[str, dict[str, int]]:
    """The feedback figures of the home cluster as each output gives them: the dashboard, the
    insights' JSON and page, their report, the session's JSON and the library's count of the
    stored events."""
    dashboard = counts_on(client.get("/manage/dashboard"))
    totals = computed(app, client, INSIGHTS, headers=bearer(tokens.manager)).json["outcomes"][
        "totals"
    ]
    page = text(computed(app, client, "/manage/insights"))
    line = re.search(
        r"Suggestions shown: (\d+); accepted: (\d+); meetings held \(one per pair\): (\d+); "
        r"deals \(one per pair\): (\d+);",
        page,
    )
    assert line, page
    report = html.unescape(
        computed(
            app, client, f"{INSIGHTS}/report?language=en", headers=bearer(tokens.manager)
        ).get_data(as_text=True)
    )
    report_figures = {
        key: int(re.search(pattern, report).group(1))
        for key, pattern in (
            ("shown", r"(\d+) suggestions? shown"),
            ("meeting", r"(\d+) meetings? held"),
            ("deal", r"(\d+) deals?\b"),
        )
    }
    session = client.get(f"{SESSIONS}/{session_id}", headers=bearer(tokens.manager)).json
    with app.app_context():
        events = network_feedback(get_db(), HOME)
    library = count_feedback((m, p, e) for m, p, e, _ in events)
    return {
        "dashboard": {
            "shown": dashboard["event:shown"],
            "accepted": dashboard["event:accepted"],
            "meeting": dashboard["event:meeting"],
            "deal": dashboard["event:deal"],
            "meeting card": dashboard["metric:meeting"],
        },
        "insights": {
            "shown": totals["shown"],
            "accepted": totals["accepted"],
            "meeting": totals["meeting_held"],
            "deal": totals["deal"],
        },
        "insights page": dict(
            zip(("shown", "accepted", "meeting", "deal"), map(int, line.groups()), strict=True)
        ),
        "report": report_figures,
        "session": {
            "held": session["meetings_held"],
            "held on the dashboard": dashboard["metric:meetings-held"],
        },
        "library": {k: library[k] for k in ("shown", "accepted", "meeting", "deal")},
    }


def test_a_meeting_counts_once_on_every_page_report_and_api(app, client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    session_id = _held_meeting(client, tokens)
    # The designer also reports the same meeting through the API: still one meeting.
    _feedback(client, tokens.designer, "designer", [("knit-factory", "meeting")])

    # One meeting held, and no suggestion was shown (a meeting implies none).
    one = {"shown": 0, "accepted": 0, "meeting": 1, "deal": 0}
    figures = _every_figure(app, client, tokens, session_id)
    assert figures["dashboard"] == one | {"meeting card": 1}
    for output in ("insights", "insights page", "library"):
        assert figures[output] == one, output
    assert figures["report"] == {"shown": 0, "meeting": 1, "deal": 0}
    assert figures["session"] == {"held": 1, "held on the dashboard": 1}
    page = text(client.get("/manage/dashboard"))
    assert "Meetings held (one per pair)" in page
    assert "a meeting held or a deal counts once per pair of members" in page

    # More feedback: a suggestion shown twice to the same member is one suggestion shown; a
    # deal is a meeting held too; the knitwear factory's deal is the pair's, already met.
    _feedback(
        client,
        tokens.designer,
        "designer",
        [
            ("sewing-factory", "shown"),
            ("sewing-factory", "shown"),
            ("yarn-supplier", "shown"),
            ("sewing-factory", "accepted"),
            ("sewing-factory", "deal"),
        ],
    )
    _feedback(client, tokens.knit, "knit-factory", [("designer", "deal")])
    # Another network's member gives feedback on a home member: not the home cluster's.
    _feedback(client, tokens.distributor, "pl-distributor", [("knit-factory", "meeting")])
    more = {"shown": 2, "accepted": 1, "meeting": 2, "deal": 2}
    figures = _every_figure(app, client, tokens, session_id)
    assert figures["dashboard"] == more | {"meeting card": 2}
    for output in ("insights", "insights page", "library"):
        assert figures[output] == more, output
    assert figures["report"] == {"shown": 2, "meeting": 2, "deal": 2}
    assert figures["session"] == {"held": 1, "held on the dashboard": 1}


def test_one_figure_one_label_for_the_target_markets(app, client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    page = text(computed(app, client, "/manage/insights"))
    value = int(re.search(r'data-metric="target_markets">(\d+)<', page).group(1))
    label = re.search(
        r'data-metric="target_markets">\d+</span><span class="metric-label">([^<]+)<', page
    ).group(1)
    report = html.unescape(
        computed(
            app, client, f"{INSIGHTS}/report?language=en", headers=bearer(tokens.manager)
        ).get_data(as_text=True)
    )
    # The report's card names the same figure with the same words (in the number's form).
    words = catalogue("en").translate(COUNTS["card_targets"], value)
    assert words in report and label == words
    assert COUNTS["card_targets"].plural == "target markets not yet reached"


# ---------------------------------------------------------------------------------------------
# The strength of a match
# ---------------------------------------------------------------------------------------------

_STRENGTH = re.compile(
    r'<li class="card suggestion"[^>]*data-partner-id="([^"]+)".*?'
    r'data-tier="([a-z]+)" data-share="([0-9.e-]+)".*?data-score="([0-9.e-]+)"',
    re.DOTALL,
)


def test_suggestions_show_the_strength_and_keep_the_score_in_the_details(client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    response = client.get("/manage/members/designer/suggestions?k=10")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    shown = _STRENGTH.findall(body)
    api = client.get(
        "/api/v1/members/designer/suggestions?k=10", headers=bearer(tokens.manager)
    ).json["suggestions"]
    # The API's answer is unchanged: the calibrated score; the page reads it by the one rule.
    assert [p for p, *_ in shown] == [s["partner_id"] for s in api]
    assert [float(score) for *_, score in shown] == [s["score"] for s in api]
    expected = match_strengths([s["score"] for s in api])
    assert [(tier, float(share)) for _, tier, share, _ in shown] == [
        (s.tier, s.share) for s in expected
    ]
    assert shown[0][1] == "strong" and float(shown[0][2]) == 1.0
    # One sentence explains it, with the rule's own thresholds.
    note = text(response)
    assert "Strength compares each partner with the best one in this list" in note
    assert f"strong from {round(STRONG_FROM * 100)}%" in note
    assert f"good from {round(GOOD_FROM * 100)}%" in note
    assert body.count('class="score-details"') == len(api)

    # In Ukrainian: the tiers' words and the sentence are translated.
    client.post(
        "/manage/language",
        data={"lang": "uk", "csrf_token": csrf(client, "/manage/members")},
    )
    ukrainian = text(client.get("/manage/members/designer/suggestions?k=10"))
    assert "сильний" in ukrainian and "Сила збігу" in ukrainian


def test_a_wish_list_shows_the_strength(client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    session_id = _post(
        client,
        tokens.manager,
        SESSIONS,
        {"name": "Побажання", "date": "2026-05-14", "tables": 2, "slots": ["10:00", "10:30"]},
        201,
    )["session_id"]
    for member_id in ("designer", "knit-factory", "yarn-supplier", "sewing-factory"):
        _post(
            client,
            tokens.manager,
            f"{SESSIONS}/{session_id}/participants",
            {"member_id": member_id},
            201,
        )
    _post(client, tokens.manager, f"{SESSIONS}/{session_id}/suggestions")
    body = client.get(f"/manage/sessions/{session_id}/wishes?member=designer").get_data(
        as_text=True
    )
    tiers = re.findall(r'data-tier="([a-z]+)"', body)
    assert tiers and tiers[0] == "strong" and set(tiers) <= {"strong", "good", "possible"}
    assert 'id="strength-note"' in body and "score-value" in body


# ---------------------------------------------------------------------------------------------
# The member list: by name, the home network first; pages past the end
# ---------------------------------------------------------------------------------------------


def test_members_by_name_home_network_first(app, client, tokens):
    with app.app_context():
        names = {m.member_id: (m.name, m.network_id) for m in get_db().scalars(select(Member))}
    expected = sorted(names, key=lambda m: (names[m][1] != HOME, name_sort_key(names[m][0]), m))
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    listed = found(client, "per_page=100")
    assert listed == expected
    assert {names[m][1] for m in listed[:8]} == {HOME}
    # The Polish manager's own network comes first for it.
    client.post("/manage/logout", data={"csrf_token": csrf(client, "/manage/members")})
    assert sign_in_with_token(client, tokens.polish_manager).status_code == 302
    assert {names[m][1] for m in found(client, "per_page=100")[:3]} == {POLISH}
    # A search keeps the order.
    assert found(client, "q=knit") == ["pl-knit-factory", "knit-factory"]


def test_names_sort_by_the_alphabet():
    names = ["Яблуко", "Їжак", "ґудзик", "Єнот", "Іскра", "абрикос", "Zeta", "Łódź", "Lodz"]
    assert sorted(names, key=name_sort_key) == [
        "Lodz",
        "Łódź",
        "Zeta",
        "абрикос",
        "ґудзик",
        "Єнот",
        "Іскра",
        "Їжак",
        "Яблуко",
    ]


def test_a_page_past_the_end_goes_to_the_last_page(client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    response = client.get("/manage/members?per_page=5&page=999")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/members?page=3&per_page=5"
    last = client.get(response.headers["Location"])
    assert "Page 3 of 3" in text(last) and len(found(client, "per_page=5&page=3")) == 1
    # No member matches: the one (empty) page.
    response = client.get("/manage/members?q=zzz&page=4")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/members?q=zzz"
    # Not a page number: explained, nothing listed.
    for value in ("0", "-1", "abc", "2.5"):
        response = client.get(f"/manage/members?page={value}")
        assert response.status_code == 400, value
        assert f"The page must be a whole number from 1; got {value}." in text(response)
