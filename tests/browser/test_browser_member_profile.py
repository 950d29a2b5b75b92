"""A member firm edits its profile in Chromium, in English and in Ukrainian, and a firm that is
not a member tries the service from the sign-in page; both pages fit a 390 px phone and axe
finds nothing serious."""

import re

from playwright.sync_api import expect

from .pages import page_problems


def save(page, city: str, notice: str) -> None:
    page.fill("#city", city)
    page.click("#save-profile")
    expect(page).to_have_url(re.compile(r"/my/profile$"))
    expect(page.locator("p.notice")).to_contain_text(notice)
    expect(page.locator("#city")).to_have_value(city)


def test_a_member_edits_its_profile_and_a_prospect_tries_the_service(
    page, browser, live_server, screenshot
):
    page.goto("/my/login")
    page.fill("#token", live_server.member_token)
    page.click("#sign-in-token")
    expect(page).to_have_url(re.compile(r"/my/"))
    page.goto("/my/profile")
    expect(page.locator("h1")).to_have_text("My profile")
    expect(page.locator("#potential-step")).to_be_visible()
    original = page.locator("#city").input_value()
    assert page_problems(page) == []
    screenshot(page, "member-profile")
    save(page, "Chuhuiv", "Your profile is saved.")

    # In Ukrainian: the same form, its labels translated; the city goes back.
    page.click('form.language button[value="uk"]')
    expect(page.locator("h1")).to_have_text("Мій профіль")
    save(page, original or "Kharkiv", "Ваш профіль збережено.")
    assert page_problems(page) == []

    # A firm that is not a member: from the sign-in page to the trial, without signing in.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 900}, locale="en-GB"
    )
    try:
        prospect = context.new_page()
        prospect.goto("/my/login")
        prospect.click("#try-link a")
        expect(prospect).to_have_url(re.compile(r"/my/try$"))
        prospect.select_option("#org_type", "manufacturer")
        prospect.select_option("#country", "UA")
        prospect.check('#offers-choices input[value="sewing"]')
        prospect.check('#seeks-choices input[value="woven_fabric_supply"]')
        prospect.click("#try-suggest")
        expect(prospect.locator("#suggestions > li").first).to_be_visible()
        assert "@" not in prospect.locator("#suggestions").inner_text()
        assert page_problems(prospect) == []
        screenshot(prospect, "prospect-trial")
    finally:
        context.close()
