"""The member pages "My suggestions" and "My matches" against the API: the page suggests what
``GET /api/v1/members/{id}/suggestions`` does for the same filters, its answers (accept,
decline, save, undo) are the feedback ``GET /api/v1/members/{id}/feedback`` lists, shown once
per partner, the matches are what that feedback says, contacts show only for a mutual match,
and a member answers only for itself."""

import html
import re

import pytest
from service_fixtures import bearer

LOGIN = "/my/login"
SUGGESTIONS = "/my/suggestions"
MATCHES = "/my/matches"
FEEDBACK = "/my/feedback"
KNIT = "knit-factory"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CARD = re.compile(r'data-partner-id="([^"]+)" data-state="([^"]*)"')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf(client, path: str = MATCHES) -> str:
    return _CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, token: str) -> None:
    response = client.post(
        LOGIN, data={"csrf_token": csrf(client, LOGIN), "method": "token", "token": token}
    )
    assert response.status_code == 302


def page_cards(client, path: str, **query) -> list[tuple[str, str]]:
    """The (partner, state) cards of a page, in order."""
    response = client.get(path, query_string=query)
    assert response.status_code == 200, text(response)
    return _CARD.findall(text(response))


def api_suggestions(client, token: str, **query) -> list[str]:
    response = client.get(
        f"/api/v1/members/{KNIT}/suggestions", query_string=query, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    return [s["partner_id"] for s in response.get_json()["suggestions"]]


def api_feedback(client, token: str, member_id: str = KNIT) -> list[tuple[str, str]]:
    """(partner, event) of the member's feedback, oldest first."""
    response = client.get(f"/api/v1/members/{member_id}/feedback", headers=bearer(token))
    assert response.status_code == 200
    return [(e["partner_id"], e["event"]) for e in reversed(response.get_json()["items"])]


def api_matches(client, token: str) -> list[tuple[str, str]]:
    """(partner, state) of ``GET /api/v1/members/{id}/matches``, as the page's cards say it."""
    response = client.get(f"/api/v1/members/{KNIT}/matches", headers=bearer(token))
    assert response.status_code == 200
    return [(m["partner_id"], m["state"] or "") for m in response.get_json()["items"]]


def answer(client, partner_id: str, event: str, **extra) -> str:
    response = client.post(
        FEEDBACK,
        data={
            "csrf_token": csrf(client),
            "partner_id": partner_id,
            "event": event,
            "next": MATCHES,
            **extra,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200, text(response)
    return text(response)


@pytest.fixture
def knit(client, tokens):
    sign_in(client, tokens.knit)
    return client


def test_the_page_suggests_what_the_api_does_and_records_shown_once(knit, tokens):
    everything = api_suggestions(knit, tokens.knit, k=20)
    org_type = knit.get(
        f"/api/v1/members/{KNIT}/suggestions", headers=bearer(tokens.knit)
    ).get_json()["suggestions"][0]["details"]["gradation"]["org_type"]
    for query in ({"k": "20"}, {"k": "3"}, {"scope": "cluster"}, {"org_type": org_type}):
        shown = [partner for partner, _ in page_cards(knit, SUGGESTIONS, **query)]
        assert shown == api_suggestions(knit, tokens.knit, **query), query
    # Each partner the page showed is one `shown` event, however often it was shown.
    shown_events = [p for p, event in api_feedback(knit, tokens.knit) if event == "shown"]
    assert sorted(shown_events) == sorted(everything)
    assert "Strength compares each partner" in text(knit.get(SUGGESTIONS))


def test_answers_on_the_page_are_the_apis_feedback_and_matches(knit, tokens):
    first, second, third, *_ = api_suggestions(knit, tokens.knit, k=20)
    answer(knit, first, "accepted")
    answer(knit, second, "saved")
    page = answer(knit, third, "declined")
    assert "you can undo this" in page
    events = [(p, e) for p, e in api_feedback(knit, tokens.knit) if e != "shown"]
    assert events == [(first, "accepted"), (second, "saved"), (third, "declined")]
    # The declined partner is gone at once, from the page and the API alike.
    assert third not in api_suggestions(knit, tokens.knit, k=20)
    cards = dict(page_cards(knit, SUGGESTIONS, k="20"))
    assert third not in cards and cards[first] == "accepted" and cards[second] == "saved"
    assert dict(page_cards(knit, MATCHES)) == {
        first: "accepted",
        second: "saved",
        third: "declined",
    }
    # The API lists the same matches, newest first.
    assert api_matches(knit, tokens.knit) == [
        (third, "declined"),
        (second, "saved"),
        (first, "accepted"),
    ]
    # Undo through the page: the API's feedback says so, and the partner is suggested again.
    answer(knit, third, "undeclined")
    assert api_feedback(knit, tokens.knit)[-1] == (third, "undeclined")
    assert third in api_suggestions(knit, tokens.knit, k=20)
    assert third in dict(page_cards(knit, SUGGESTIONS, k="20"))
    assert third not in dict(page_cards(knit, MATCHES))
    # The API offers the same undo (the same service function), and the page shows it.
    response = knit.post(
        f"/api/v1/members/{KNIT}/feedback",
        json={"partner_id": second, "event": "declined"},
        headers=bearer(tokens.knit),
    )
    assert response.status_code == 201
    assert dict(page_cards(knit, MATCHES))[second] == "declined"
    response = knit.post(
        f"/api/v1/members/{KNIT}/feedback",
        json={"partner_id": second, "event": "undeclined"},
        headers=bearer(tokens.knit),
    )
    assert response.status_code == 201
    assert second not in dict(page_cards(knit, MATCHES))


def test_contacts_open_only_for_a_mutual_match(knit, tokens):
    designer_email = "designer@example.org"
    page = answer(knit, "designer", "accepted")
    assert "Contact details open when" in page and designer_email not in page
    suggestions = text(knit.get(SUGGESTIONS, query_string={"k": "20"}))
    # No contact of any partner shows before a mutual match.
    assert "@example.org" not in suggestions
    assert designer_email not in text(knit.get(MATCHES))
    # The designer accepts through the API: the match is mutual, the contacts open on the page,
    # the same the API shows the member.
    response = knit.post(
        "/api/v1/members/designer/feedback",
        json={"partner_id": KNIT, "event": "accepted"},
        headers=bearer(tokens.designer),
    )
    assert response.status_code == 201
    matches = text(knit.get(MATCHES))
    assert "You both accepted: contact details are open to both of you." in matches
    api_contact = knit.get("/api/v1/members/designer", headers=bearer(tokens.knit)).get_json()
    assert api_contact["contact"]["email"] == designer_email
    assert f'href="mailto:{designer_email}"' in matches
    assert dict(page_cards(knit, MATCHES))["designer"] == "mutual"
    assert ("designer", "mutual") in api_matches(knit, tokens.knit)
    # Other partners' contacts still don't show.
    assert re.findall(r"[\w.-]+@example\.org", matches) == [designer_email] * 2
    # A meeting and a deal recorded on the page are the API's feedback.
    answer(knit, "designer", "meeting")
    page = answer(knit, "designer", "deal")
    assert "A deal is recorded." in page
    mutual = dict(page_cards(knit, MATCHES))
    assert sorted(mutual.items()) == sorted(api_matches(knit, tokens.knit))
    assert api_feedback(knit, tokens.knit)[-2:] == [("designer", "meeting"), ("designer", "deal")]


def test_a_member_answers_only_for_itself(knit, tokens, app):
    before = api_feedback(knit, tokens.designer, "designer")
    # A forged member field is ignored: the answer is the signed-in member's.
    answer(knit, "pl-distributor", "declined", member_id="designer")
    assert api_feedback(knit, tokens.designer, "designer") == before
    assert api_feedback(knit, tokens.knit)[-1] == ("pl-distributor", "declined")
    token = csrf(knit)
    for data, status in (
        ({"partner_id": KNIT, "event": "accepted"}, 409),  # about itself
        ({"partner_id": "nobody-here", "event": "accepted"}, 404),
        ({"partner_id": "designer", "event": "shown"}, 400),  # not a page's answer
    ):
        response = knit.post(FEEDBACK, data={"csrf_token": token, **data})
        assert response.status_code == status, data
    # Without a member session there is no answering at all.
    stranger = app.test_client()
    response = stranger.post(FEEDBACK, data={"partner_id": "designer", "event": "accepted"})
    assert response.status_code in (302, 400, 403)
    sign_in_manager = stranger.post(
        LOGIN,
        data={"csrf_token": csrf(stranger, LOGIN), "method": "token", "token": tokens.manager},
    )
    assert sign_in_manager.status_code == 403
    assert stranger.get(SUGGESTIONS).status_code == 302


def test_an_undone_decline_is_not_learnt_and_saving_counts_nowhere(knit, tokens, app):
    from api.db import get_db
    from api.services.feedback import network_feedback
    from api.services.serving import training_data
    from matcher.insights.outcomes import count_feedback

    def declined_links() -> set[str]:
        with app.app_context():
            links = training_data(get_db()).learned_links()
        return {link.target for link in links if link.source == KNIT and link.kind == "declined"}

    def counts() -> dict[str, int]:
        with app.app_context():
            return count_feedback((m, p, e) for m, p, e, _ in network_feedback(get_db(), ""))

    before = counts()
    answer(knit, "designer", "saved")
    assert counts() == before
    answer(knit, "designer", "declined")
    assert "designer" in declined_links()
    answer(knit, "designer", "undeclined")
    assert "designer" not in declined_links()
