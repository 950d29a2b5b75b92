"""Cluster insights from the database (``api.insights``): the JSON figures equal those of
``matcher.insights.cluster`` on the same data, roles, new figures for new data, the HTML report and the
XLSX tables; on SQLite and PostgreSQL.

The figures are computed in the background (see ``test_insights_jobs.py``): these tests ask,
wait for the job, and ask again (:func:`computed`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import openpyxl
import pandas as pd
import pytest
from service_fixtures import CLUSTER, HOME, LINKS, POLISH, bearer, dispose_app, make_app

from matcher.insights.cluster import cluster_insights
from matcher.insights.outcomes import validate_outcomes
from matcher.insights.report import TEXT
from matcher.profiles import validate_profiles

INSIGHTS = "/api/v1/insights"
#: A URL that would make the page load something from another site (as in tests/insights/test_report.py).
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|<script|@import""",
    re.IGNORECASE,
)
HOME_MEMBERS = sum(1 for row in CLUSTER if row["network"] == HOME)


def settle(app) -> None:
    """Wait for the app's background jobs (insights computations, retraining) to end, and for
    those they start (a retrain that activates its model starts the insights' refresh)."""
    while alive := [t for t in app.extensions.get("matcher_threads", []) if t.is_alive()]:
        for thread in alive:
            thread.join(timeout=300)
            assert not thread.is_alive(), f"{thread.name} still runs"


def is_final(response) -> bool:
    """Whether `response` holds current figures: not 202 while they are computed, nor stale
    ones (JSON ``stale``, the report's ``Insights-Stale`` header, the page's notice)."""
    if response.status_code == 202 or response.headers.get("Insights-Stale") == "true":
        return False
    if response.mimetype == "application/json":
        return not response.json.get("stale")
    if response.mimetype == "text/html":
        return 'id="insights-stale"' not in response.get_data(as_text=True)
    return True


def computed(app, client, path: str, headers: dict | None = None):
    """GET `path` once the figures it needs are computed: the first answer is 202 (or stale
    figures) while a background job computes them; wait for the job and ask again."""
    for _ in range(6):
        response = client.get(path, headers=headers)
        if is_final(response):
            return response
        settle(app)
    raise AssertionError(f"{path}: still not computed ({response.status_code})")


def served_matcher(app):
    from api.db import get_db
    from api.services.serving import holder

    with app.app_context():
        served = holder().get(get_db())
        return served.version_id, served.matcher


def give_feedback(client, token: str, member_id: str, events: list[tuple[str, str]]) -> list[dict]:
    answers = []
    for partner_id, event in events:
        response = client.post(
            f"/api/v1/members/{member_id}/feedback",
            json={"partner_id": partner_id, "event": event},
            headers=bearer(token),
        )
        assert response.status_code == 201, response.json
        answers.append(response.json)
    return answers


def test_figures_equal_the_library_on_the_same_data(app, client, tokens):
    # The designer acts on two suggestions; a Polish member's feedback is not the home
    # cluster's outcome.
    given = give_feedback(
        client,
        tokens.designer,
        "designer",
        [
            ("knit-factory", "shown"),
            ("knit-factory", "accepted"),
            ("knit-factory", "meeting"),
            ("pl-knit-factory", "shown"),
            ("pl-knit-factory", "declined"),
        ],
    )
    give_feedback(client, tokens.distributor, "pl-distributor", [("knit-factory", "deal")])
    response = computed(app, client, INSIGHTS, headers=bearer(tokens.manager))
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    figures = response.json
    assert figures.pop("stale") is False and figures.pop("refresh") is None

    version_id, matcher = served_matcher(app)
    # The feedback records no session: each ISO week with feedback is one.
    day = dt.datetime.fromisoformat(given[0]["created_at"]).astimezone(dt.UTC).date()
    year, week, _ = day.isocalendar()
    session, day = f"{year}-W{week:02d}", day.isoformat()
    outcomes = validate_outcomes(
        pd.DataFrame(
            [
                {
                    "session": session,
                    "date": day,
                    "member_id": "designer",
                    "partner_id": "knit-factory",
                    "shown": 1,
                    "accepted": 1,
                    "meeting_held": 1,
                    "deal": 0,
                },
                {
                    "session": session,
                    "date": day,
                    "member_id": "designer",
                    "partner_id": "pl-knit-factory",
                    "shown": 1,
                    "accepted": 0,
                    "meeting_held": 0,
                    "deal": 0,
                },
            ]
        )
    )
    frame = validate_profiles(pd.DataFrame(CLUSTER).fillna(""))
    expected = cluster_insights(frame, LINKS, matcher=matcher, outcomes=outcomes).to_dict()

    assert figures.pop("model_version") == version_id
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", figures.pop("computed_at"))
    assert figures == json.loads(json.dumps(expected))
    # And what the hand-made cluster says on its own.
    summary = figures["summary"]
    assert summary["home_network"] == HOME and summary["members"] == HOME_MEMBERS
    assert summary["profiles"] == len(CLUSTER) and summary["links"] == len(LINKS)
    gaps = {gap["capability"]: gap for gap in figures["supply_demand"]["gaps"]}
    # Only the Polish distributor offers wholesale distribution, which the yarn supplier seeks.
    assert gaps["wholesale_distribution"]["seekers"] == ["yarn-supplier"]
    assert [p["partner_id"] for p in gaps["wholesale_distribution"]["partners"]] == [
        "pl-distributor"
    ]
    assert figures["movement"] is None
    assert figures["outcomes"]["totals"] == {
        "sessions": 1,
        "rows": 2,
        "shown": 2,
        "accepted": 1,
        "meeting_held": 1,
        "deal": 0,
        "accepted_rate": 0.5,
        "meeting_rate": 0.5,
        "deal_rate": 0.0,
    }
    assert figures["outcomes"]["sessions"][0]["session"] == session
    assert figures["outcomes"]["sessions"][0]["date"] == day


def test_results_are_kept_until_the_data_change(app, client, tokens):
    manager = bearer(tokens.manager)
    first = computed(app, client, INSIGHTS, headers=manager).json
    again = client.get(INSIGHTS, headers=manager).json
    assert again["computed_at"] == first["computed_at"]
    assert first["outcomes"] is None

    # Feedback, a withdrawal and an update each make new figures.
    give_feedback(client, tokens.knit, "knit-factory", [("designer", "accepted")])
    after_feedback = computed(app, client, INSIGHTS, headers=manager).json
    assert after_feedback["outcomes"]["totals"]["accepted"] == 1

    assert client.delete("/api/v1/members/photo", headers=manager).status_code == 204
    after_withdrawal = computed(app, client, INSIGHTS, headers=manager).json
    assert after_withdrawal["summary"]["members"] == HOME_MEMBERS - 1
    assert "photo" not in {node["member_id"] for node in after_withdrawal["network"]["nodes"]}

    read = client.get("/api/v1/members/yarn-supplier", headers=bearer(tokens.manager))
    patched = client.patch(
        "/api/v1/members/yarn-supplier",
        json={"seeks": ["logistics"]},
        headers={**bearer(tokens.manager), "If-Match": read.headers["ETag"]},
    )
    assert patched.status_code == 200
    after_update = computed(app, client, INSIGHTS, headers=manager).json
    before = {gap["capability"] for gap in after_withdrawal["supply_demand"]["gaps"]}
    now = {gap["capability"] for gap in after_update["supply_demand"]["gaps"]}
    # Nobody at home seeks wholesale distribution any more; logistics is offered at home.
    assert "wholesale_distribution" in before and "wholesale_distribution" not in now


def test_who_may_see_which_network(app, client, tokens):
    assert client.get(INSIGHTS).status_code == 401
    for path in (INSIGHTS, f"{INSIGHTS}/report", f"{INSIGHTS}/tables.xlsx"):
        refused = client.get(path, headers=bearer(tokens.designer))
        assert refused.status_code == 403, path
        assert refused.mimetype == "application/problem+json"
        assert client.get(path).status_code == 401
    # A manager sees its own network, and only that one.
    polish = computed(app, client, INSIGHTS, headers=bearer(tokens.polish_manager))
    assert polish.status_code == 200
    assert polish.json["summary"]["home_network"] == POLISH
    other = client.get(f"{INSIGHTS}?network={HOME}", headers=bearer(tokens.polish_manager))
    assert other.status_code == 403 and "only an admin" in other.json["detail"]
    # An admin sees the home cluster by default, or the network it names.
    admin = bearer(tokens.admin)
    assert computed(app, client, INSIGHTS, headers=admin).json["summary"]["home_network"] == HOME
    named = computed(app, client, f"{INSIGHTS}?network={POLISH}", headers=admin)
    assert named.json["summary"]["home_network"] == POLISH
    unknown = client.get(f"{INSIGHTS}?network=atlantis", headers=admin)
    assert unknown.status_code == 404 and "atlantis" in unknown.json["detail"]
    # No profile history: a date to compare with is refused, naming the parameter.
    previous = client.get(f"{INSIGHTS}?previous=2026-01-01", headers=admin)
    assert previous.status_code == 422
    assert previous.json["errors"][0]["field"] == "previous"


def test_report_is_one_self_contained_page(app, client, tokens):
    response = computed(app, client, f"{INSIGHTS}/report", headers=bearer(tokens.manager))
    assert response.status_code == 200
    assert response.headers["Insights-Stale"] == "false"
    assert response.mimetype == "text/html"
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    page = response.get_data(as_text=True)
    assert not EXTERNAL.search(page)
    # Four charts in each language (no movement without history, no outcomes without feedback).
    assert page.count("<svg") == 8
    assert TEXT["uk"]["title"] in page and TEXT["en"]["title"] in page

    english = client.get(f"{INSIGHTS}/report?language=en", headers=bearer(tokens.manager))
    text = english.get_data(as_text=True)
    assert '<html lang="en">' in text and text.count("<svg") == 4
    assert TEXT["uk"]["title"] not in text
    bad = client.get(f"{INSIGHTS}/report?language=fr", headers=bearer(tokens.manager))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "language"


def test_tables_open_with_openpyxl(app, client, tokens):
    response = computed(app, client, f"{INSIGHTS}/tables.xlsx", headers=bearer(tokens.manager))
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.match(
        r'attachment; filename="cluster-insights-kharkiv-fashion-cluster-\d{4}-\d\d-\d\d\.xlsx"',
        response.headers["Content-Disposition"],
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert {"summary", "gradation", "capabilities", "gap_partners", "markets"} <= set(
        workbook.sheetnames
    )
    summary = {row[0]: row[1] for row in workbook["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["members"] == HOME_MEMBERS and summary["home_network"] == HOME
    capabilities = list(workbook["capabilities"].iter_rows(values_only=True))
    assert capabilities[0][0] == "capability"
    assert ("wholesale_distribution", "gap") in {(row[0], row[-1]) for row in capabilities[1:]}


def test_without_a_model_the_answer_is_503(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'untrained.sqlite'}", train=False)
    try:
        response = app.test_client().get(INSIGHTS, headers=bearer(app.config["TOKENS"].manager))
        assert response.status_code == 503
        assert "no model is active" in response.json["detail"]
    finally:
        dispose_app(app)


@pytest.mark.parametrize("error, status", [("input", 404), ("numpy", 500)])
def test_reading_the_members_refused_is_404_and_a_program_error_is_500(
    app, client, tokens, monkeypatch, error, status
):
    """No live members (the store's own refusal, an InputError) fails the computation with a 404
    naming it; a ValueError of numpy or pandas while reading them is a failure of the service,
    a 500 that does not show numpy's words. Either is reported as the job's failure."""
    from matcher.errors import InputError

    raised = {
        "input": InputError("there are no live members; import members first"),
        "numpy": ValueError("cannot convert float NaN to integer"),
    }[error]

    def broken(session):
        raise raised

    monkeypatch.setattr("api.services.insights.live_profile_frame", broken)
    assert client.get(INSIGHTS, headers=bearer(tokens.manager)).status_code == 202
    settle(app)
    response = client.get(INSIGHTS, headers=bearer(tokens.manager))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["job"]["status"] == "failed"
    if status == 404:
        assert response.json["job"]["error"] == "there are no live members; import members first"
        assert "there are no live members; import members first" in response.json["detail"]
    else:
        assert "NaN" not in response.get_data(as_text=True)
        assert "it has been logged" in response.json["job"]["error"]


def test_the_store_refuses_to_read_no_live_members_as_input(app):
    from api.db import get_db
    from api.services.serving import live_profile_frame
    from api.tables import Member
    from matcher.errors import InputError

    with app.app_context():
        session = get_db()
        for member in session.query(Member):
            member.deleted_at = dt.datetime.now(dt.UTC)
        session.flush()
        with pytest.raises(InputError, match="there are no live members"):
            live_profile_frame(session)
        session.rollback()
