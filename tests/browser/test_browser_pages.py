"""Every manager page, in both languages: accessible (axe-core) and fitting a 390 px phone.

axe-core (see ``pages.py``) is injected into each page as Chromium shows it; a serious or critical
violation fails the test with its rule, its help text and the elements it names. Then the same
page, in a 390 px wide window, must not scroll sideways: wide tables scroll inside their own
frame (``.table-scroll``, ``.grid-scroll``), the page itself does not. (The rebuild's
confirmation page is checked the same way in ``test_browser_rebuild.py``.)

The pages are those a manager reaches in a day's work: sign-in, members, a member, its
suggestions, the dashboard, insights, models, sessions, a session with a built agenda, its wishes,
agenda, outcomes and printable agenda, an unknown address and the sign-out page.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from .pages import DESKTOP, page_problems

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under MATCHER_REQUIRE_BROWSER=1
    expect = None

HOME = "kharkiv-fashion-cluster"


def _manager_api(live_server, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        live_server.url + "/api/v1" + path,
        data=json.dumps(body).encode("utf-8") if body is not None else None,
        headers={
            "Authorization": f"Bearer {live_server.manager_token}",
            "Content-Type": "application/json",
        },
        method=method,
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def built_session(live_server) -> tuple[str, str]:
    """A session of four home members with wishes and a built agenda: (its id, a member)."""
    created = _manager_api(
        live_server,
        "POST",
        "/sessions",
        {
            "name": "Осінній B2B-день",
            "date": "2026-10-14",
            "tables": 4,
            "slots": ["10:00", "10:30", "11:00"],
        },
    )
    session_id = created["session_id"]
    profiles = pd.read_csv(live_server.folder / "profiles.csv", dtype=str, keep_default_na=False)
    members = list(profiles[profiles["network"] == HOME]["id"].iloc[10:14])
    for member_id in members:
        _manager_api(
            live_server, "POST", f"/sessions/{session_id}/participants", {"member_id": member_id}
        )
    _manager_api(
        live_server,
        "PUT",
        f"/sessions/{session_id}/wishes/{members[0]}/{members[1]}",
        {"level": "must"},
    )
    _manager_api(
        live_server,
        "PUT",
        f"/sessions/{session_id}/wishes/{members[2]}/{members[3]}",
        {"level": "would"},
    )
    built = _manager_api(live_server, "POST", f"/sessions/{session_id}/build", {"time_limit": 5})
    assert built["n_meetings"] >= 2, built
    return session_id, members[0]


def _signed_in_paths(live_server, session_id: str, member_id: str) -> list[str]:
    member = live_server.member_id
    session = f"/manage/sessions/{session_id}"
    return [
        "/manage/members",
        f"/manage/members/{member}",
        f"/manage/members/{member}/suggestions",
        "/manage/dashboard",
        "/manage/insights",
        "/manage/models",
        "/manage/sessions",
        session,
        f"{session}/wishes?member={member_id}",
        f"{session}/agenda",
        f"{session}/outcomes",
        f"{session}/export/html",
        "/manage/no-such-page",
        "/manage/logout",
    ]


@pytest.mark.parametrize("language", ["en", "uk"])
def test_every_page_is_accessible_and_fits_a_phone(
    browser, live_server, built_session, sign_in, screenshot, language
):
    session_id, member_id = built_session
    context = browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="uk-UA" if language == "uk" else "en-GB",
    )
    problems: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.goto("/manage/login")
        expect(page.locator("html")).to_have_attribute("lang", language)
        problems["/manage/login"] = page_problems(page)
        sign_in(page)
        for path in _signed_in_paths(live_server, session_id, member_id):
            page.goto(path)
            expect(page.locator("h1").first).to_be_visible()
            problems[path] = page_problems(page)
            screenshot(page, f"pages-{language}-{path.strip('/').replace('/', '-')[:60]}")
    finally:
        context.close()
    failing = {path: found for path, found in problems.items() if found}
    assert not failing, "\n".join(
        f"{path}:\n  " + "\n  ".join(found) for path, found in failing.items()
    )


def test_the_readme_screenshots_script_draws_both_pages(browser, live_server, tmp_path):
    """docs/make_screenshots.py, on the running service: both pictures, at the window's size."""
    path = Path(__file__).resolve().parents[2] / "docs" / "make_screenshots.py"
    spec = importlib.util.spec_from_file_location("make_screenshots", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.take_screenshots(
        live_server.url,
        live_server.manager_name,
        live_server.manager_password,
        live_server.manager_token,
        tmp_path,
        build_seconds=2,
        browser=browser,
    )
    assert [p.name for p in written] == ["manager-suggestions.png", "manager-agenda.png"]
    for picture in written:
        # A PNG of the window's width (IHDR: width and height, big-endian, after the signature).
        head = picture.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(head[16:20], "big") == script.VIEWPORT["width"]
