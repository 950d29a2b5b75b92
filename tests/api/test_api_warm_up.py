"""A worker ranks the home members before it serves a version (issue 18): at start
(:func:`api.services.serving.prepare_worker`, which gunicorn's workers call) and when another
version was activated, so that no first request waits for a ranking."""

from __future__ import annotations

import time

from service_fixtures import another_worker, bearer
from small_cluster import CLUSTER, HOME

from api.db import get_db
from api.services.feedback import declined_partners
from api.services.serving import before_serving, holder, prepare_worker
from api.services.suggestions import (
    RANKING_PAD,
    DefaultSuggestionOptions,
    cache_key,
    served_network_names,
    suggestion_cache,
)

HOME_MEMBERS = sorted(row["id"] for row in CLUSTER if row["network"] == HOME)


def _warmed(app, version_id: int) -> list[str]:
    """The home members whose default ranking for `version_id` is in `app`'s cache."""
    with app.app_context():
        session = get_db()
        names = served_network_names(session)
        cache = suggestion_cache()
        return [
            member_id
            for member_id in HOME_MEMBERS
            if cache_key(
                version_id,
                names,
                member_id,
                DefaultSuggestionOptions(),
                {},
                declined_partners(session, member_id),
            )
            in cache
        ]


def _engine_broken(monkeypatch) -> None:
    """From now on any ranking fails: only cached answers can still be given."""

    def broken(*args, **kwargs):
        raise AssertionError("ranked while serving: the answer was not prepared")

    monkeypatch.setattr("matcher.engine.ranking.PartnerMatcher.recommend_many", broken)


def test_a_starting_worker_ranks_the_home_members_before_it_serves(
    app, client, tokens, monkeypatch
):
    worker = another_worker(app)
    try:
        served = prepare_worker(worker)
        assert served is not None and served.version_id == 1
        assert _warmed(worker, 1) == HOME_MEMBERS
        # What the service ranks for a request: k plus a pad, the first k shown.
        ranked = served.matcher.recommend("designer", k=10 + RANKING_PAD, language="en")
        expected = [s.partner_id for s in ranked][:10]
        _engine_broken(monkeypatch)
        # The defaults (k=10, English, every scope) of a home member: answered from the cache.
        answer = worker.test_client().get(
            "/api/v1/members/designer/suggestions", headers=bearer(tokens.manager)
        )
        assert answer.status_code == 200
        assert [s["partner_id"] for s in answer.json["suggestions"]] == expected
    finally:
        worker.extensions["matcher_db"]["engine"].dispose()


def test_an_activated_version_is_ranked_before_it_serves(app, client, tokens, monkeypatch):
    assert client.get("/ready").json["model"] == 1
    started = client.post(
        "/api/v1/models/retrain", json={"activate": False}, headers=bearer(tokens.manager)
    ).json
    deadline = time.monotonic() + 60
    while (
        version := client.get(
            f"/api/v1/models/{started['version_id']}", headers=bearer(tokens.manager)
        ).json
    )["status"] == "training":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert version["status"] == "ready"
    new_id = version["version_id"]
    seen = []

    def observe(app, session, served):
        # Registered after the cache's own warm-up: runs when the new version is loaded,
        # before the worker switches to it.
        seen.append((served.version_id, holder(app).served.version_id, _warmed(app, new_id)))

    before_serving(app, observe)
    activated = client.post(f"/api/v1/models/{new_id}/activate", headers=bearer(tokens.admin))
    assert activated.status_code == 200
    assert client.get("/ready").json["model"] == new_id
    assert seen == [(new_id, 1, HOME_MEMBERS)]
    _engine_broken(monkeypatch)
    for member_id in HOME_MEMBERS:
        answer = client.get(
            f"/api/v1/members/{member_id}/suggestions", headers=bearer(tokens.manager)
        )
        assert answer.status_code == 200 and answer.json["suggestions"]
    # Other options were not prepared: they are ranked on request (with the engine broken
    # here, a 500).
    other = client.get("/api/v1/members/designer/suggestions?k=2", headers=bearer(tokens.manager))
    assert other.status_code == 500
