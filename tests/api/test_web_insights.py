"""The manager page "Insights" (``api.web.insights_pages``): figures, charts, report and tables
for a signed-in manager, in both languages, on SQLite and PostgreSQL. The page while the figures
are being computed is in ``test_insights_jobs.py``; here the tests wait for them
(:func:`test_api_insights.computed`)."""

from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from service_fixtures import CLUSTER, HOME, POLISH, bearer
from test_api_insights import computed
from test_web import csrf, sign_in_with_token

from api.downloads import REPORT_CSP

PAGE = "/manage/insights"
_CHART = re.compile(r'<img src="([^"]+)" alt="[^"]*" data-chart="([a-z]+)"')
HOME_MEMBERS = sum(1 for row in CLUSTER if row["network"] == HOME)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def manager(client, tokens):
    assert sign_in_with_token(client, tokens.manager).status_code == 302
    return client


def charts_of(page: str) -> dict[str, str]:
    return {name: src for src, name in _CHART.findall(page)}


def test_page_shows_the_figures_and_the_charts(app, manager):
    response = computed(app, manager, PAGE)
    assert response.status_code == 200
    page = text(response)
    assert '<a href="/manage/insights" aria-current="page">Insights</a>' in page
    assert f'data-metric="members">{HOME_MEMBERS}<' in page
    assert 'data-gap="wholesale_distribution"' in page and "Moda Dystrybucja" in page
    # The pages' own policy holds: the charts are images of their own, not inline SVG.
    assert "<svg" not in page
    assert "style-src" not in response.headers["Content-Security-Policy"]
    charts = charts_of(page)
    assert list(charts) == ["gradation", "supply", "markets", "network"]
    for name, src in charts.items():
        assert src == f"/manage/insights/charts/en/{name}.svg"
        chart = manager.get(src)
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        body = chart.get_data(as_text=True)
        assert body.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg ')
        assert 'xmlns="http://www.w3.org/2000/svg"' in body and body.endswith("</svg>")
    # No feedback yet, no history of profiles: both are said.
    assert 'id="no-outcomes"' in page and 'id="snapshots"' in page
    assert manager.get("/manage/insights/charts/en/outcomes.svg").status_code == 404
    assert manager.get("/manage/insights/charts/en/magic.svg").status_code == 404
    assert manager.get("/manage/insights/charts/fr/supply.svg").status_code == 404


def test_page_in_ukrainian(app, manager):
    switched = manager.post(
        "/manage/language", data={"csrf_token": csrf(manager, PAGE), "lang": "uk", "next": PAGE}
    )
    assert switched.status_code == 302
    page = text(computed(app, manager, PAGE))
    assert '<html lang="uk">' in page and "<h1>Аналітика кластера</h1>" in page
    assert "Оптова торгівля та дистрибуція" in page  # the gap's label
    charts = charts_of(page)
    assert charts["supply"] == "/manage/insights/charts/uk/supply.svg"
    assert manager.get(charts["supply"]).status_code == 200


def test_outcomes_appear_with_feedback(app, client, manager, tokens):
    for event in ("shown", "accepted", "meeting", "deal"):
        response = client.post(
            "/api/v1/members/designer/feedback",
            json={"partner_id": "knit-factory", "event": event},
            headers=bearer(tokens.designer),
        )
        assert response.status_code == 201
    page = text(computed(app, manager, PAGE))
    assert "outcomes" in charts_of(page)
    assert (
        "Suggestions shown: 1; accepted: 1; meetings held (one per pair): 1; "
        "deals (one per pair): 1; weeks with feedback: 1." in page
    )


def test_report_and_tables_download(app, manager):
    page = text(computed(app, manager, PAGE))
    assert 'href="/manage/insights/report.html?language=uk"' in page
    assert 'href="/manage/insights/tables.xlsx"' in page
    report = manager.get("/manage/insights/report.html?language=uk")
    assert report.status_code == 200 and report.mimetype == "text/html"
    # The report's own policy (its inline styles), not the pages' one.
    assert report.headers["Content-Security-Policy"] == REPORT_CSP
    body = report.get_data(as_text=True)
    assert '<html lang="uk">' in body and body.count("<svg") == 4
    assert manager.get("/manage/insights/report.html?language=fr").status_code == 400
    tables = manager.get("/manage/insights/tables.xlsx")
    assert tables.status_code == 200 and tables.headers["Cache-Control"] == "no-store"
    workbook = openpyxl.load_workbook(io.BytesIO(tables.data), read_only=True)
    assert "gap_partners" in workbook.sheetnames


def test_networks_managers_and_admins_see(app, client, tokens):
    assert client.get(PAGE).status_code == 302  # to sign in
    assert sign_in_with_token(client, tokens.polish_manager).status_code == 302
    own = text(computed(app, client, PAGE))
    # Networks by their display names (unnamed here: their ids as words).
    assert "What Polish Fashion Cluster has" in own and 'id="network"' not in own
    refused = client.get(f"{PAGE}?network={HOME}")
    assert refused.status_code == 403
    assert "You manage the network Polish Fashion Cluster" in text(refused)
    assert client.get(f"/manage/insights/tables.xlsx?network={HOME}").status_code == 403

    client.post("/manage/logout", data={"csrf_token": csrf(client, PAGE)})
    assert sign_in_with_token(client, tokens.admin).status_code == 302
    chosen = text(computed(app, client, f"{PAGE}?network={POLISH}"))
    assert "What Polish Fashion Cluster has" in chosen
    assert f'<option value="{POLISH}" selected>' in chosen
    # The admin's chart and download links keep its choice.
    assert f"/manage/insights/charts/en/supply.svg?network={POLISH}" in chosen
    assert f'href="/manage/insights/tables.xlsx?network={POLISH}"' in chosen
    assert client.get(f"{PAGE}?network=atlantis").status_code == 400


def test_every_report_language_has_its_link():
    """The words themselves are checked with the pages' catalogue (test_web_i18n.py)."""
    from api.web.insights_pages import REPORT_LINKS
    from matcher.insights.report import REPORT_LANGUAGES

    assert set(REPORT_LINKS) == set(REPORT_LANGUAGES)
