"""A member firm gets to its pages without handling a token, in Chromium: the manager invites it
on its manager page, the firm follows the link in a fresh browser, chooses its password, signs
out and in again with it; a used or replaced link is refused. English and Ukrainian; the
invitation, refusal and sign-in pages pass axe and fit a 390 px phone."""

import re

from playwright.sync_api import expect

from .pages import page_problems


def issue_invitation(page, member_id: str) -> str:
    """On the member's manager page, issue an invitation; return its link."""
    page.goto(f"/manage/members/{member_id}")
    page.click("#invite-member")
    expect(page).to_have_url(re.compile(rf"/manage/members/{member_id}/invitation$"))
    return page.locator("#invitation-link").input_value()


def test_a_member_is_invited_chooses_a_password_and_signs_in_with_it(
    page, browser, live_server, sign_in, screenshot
):
    # The manager picks a home member that has no user yet (not the live server's member).
    sign_in(page)
    member_id = next(
        found
        for found in page.locator("tr[data-member-id]").evaluate_all(
            "rows => rows.map(row => row.dataset.memberId)"
        )
        if found != live_server.member_id
    )
    link = issue_invitation(page, member_id)
    assert re.fullmatch(rf"{re.escape(live_server.url)}/my/invitation/[\w-]+", link)
    expect(page.locator("h1")).to_contain_text("Invitation of")
    assert page_problems(page) == []

    name, password = f"firm-{member_id}", "a long enough password"
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        firm = context.new_page()
        firm.goto(link)
        expect(firm.locator("h1")).to_contain_text("Welcome to the member pages of")
        expect(firm.locator("#name")).to_have_value(member_id)
        assert page_problems(firm) == []
        screenshot(firm, "member-invitation")
        firm.fill("#name", name)
        firm.fill("#password", password)
        firm.fill("#password-again", password)
        firm.click("#accept-invitation")
        expect(firm).to_have_url(re.compile(r"/my/suggestions"))
        expect(firm.locator("body")).to_contain_text(f"Welcome, {name}")

        firm.goto("/my/logout")
        firm.locator("main form button[type=submit]").click()
        expect(firm).to_have_url(re.compile(r"/my/login$"))
        assert page_problems(firm) == []
        firm.fill("#name", name)
        firm.fill("#password", password)
        firm.click("#sign-in-password")
        expect(firm).to_have_url(re.compile(r"/my/suggestions"))

        used = firm.goto(link)
        assert used.status == 410
        expect(firm.locator("#invitation-refused")).to_have_text(
            "This invitation has been used already."
        )
        assert page_problems(firm) == []
    finally:
        context.close()

    # In Ukrainian: the manager re-issues twice; the first new link is void, the second works.
    page.goto(f"/manage/members/{member_id}")
    page.click('form.language button[value="uk"]')
    expect(page.locator("#invite-member")).to_have_text("Видати нове запрошення")
    replaced = issue_invitation(page, member_id)
    latest = issue_invitation(page, member_id)
    context = browser.new_context(base_url=live_server.url, locale="uk-UA")
    try:
        firm = context.new_page()
        refused = firm.goto(replaced)
        assert refused.status == 410
        expect(firm.locator("#invitation-refused")).to_have_text("Це запрошення замінене новішим.")
        firm.goto(latest)
        expect(firm.locator("h1")).to_contain_text("Вітаємо на сторінках учасника")
        expect(firm.locator("#name")).to_have_value(name)  # the name it chose, offered again
        assert page_problems(firm) == []
        firm.fill("#password", "новий довгий пароль")
        firm.fill("#password-again", "новий довгий пароль")
        firm.click("#accept-invitation")
        expect(firm).to_have_url(re.compile(r"/my/suggestions"))
        expect(firm.locator("body")).to_contain_text(f"Вітаємо, {name}")
        firm.goto("/my/logout")
        firm.locator("main form button[type=submit]").click()
        expect(firm).to_have_url(re.compile(r"/my/login$"))
        expect(firm.locator("#other-side a")).to_have_attribute("href", "/manage/login")
        assert page_problems(firm) == []
    finally:
        context.close()
