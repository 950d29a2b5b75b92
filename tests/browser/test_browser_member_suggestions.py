"""A member firm in Chromium answers its suggestions: it signs in with its token, sees its
suggested partners in English and Ukrainian, accepts one, declines one (gone at once), saves
one for later, finds them on "My matches" and undoes the decline; every page fits a 390 px
phone and axe finds nothing serious."""

import re

from playwright.sync_api import expect

from .pages import page_problems


def card(page, partner_id: str):
    return page.locator(f'li[data-partner-id="{partner_id}"]')


def answer(page, partner_id: str, event: str) -> None:
    card(page, partner_id).locator(f'button[data-event="{event}"]').click()
    expect(page.locator("p.notice")).to_be_visible()


def test_a_member_answers_its_suggestions(page, live_server, screenshot):
    page.goto("/my/login")
    page.fill("#token", live_server.member_token)
    page.click("#sign-in-token")
    expect(page).to_have_url(re.compile(r"/my/suggestions$"))
    expect(page.locator("h1")).to_contain_text("Suggested partners for")
    page.goto("/my/suggestions?k=20")
    expect(page.locator("#strength-note")).to_be_visible()
    # Partners nobody answered yet (other tests share this member: leave theirs alone).
    fresh = page.locator('#suggestions > li[data-state=""]')
    ids = [fresh.nth(i).get_attribute("data-partner-id") for i in range(3)]
    accepted, declined, saved = ids
    assert page_problems(page) == []
    screenshot(page, "member-suggestions")

    answer(page, accepted, "accepted")
    expect(card(page, accepted)).to_contain_text("Contact details open when")
    answer(page, declined, "declined")
    expect(page.locator("p.notice")).to_contain_text("no longer suggested")
    answer(page, saved, "saved")
    expect(page).to_have_url(re.compile(r"/my/suggestions\?k=20$"))
    expect(card(page, declined)).to_have_count(0)
    expect(card(page, saved)).to_have_attribute("data-state", "saved")

    page.click('nav.main a[href="/my/matches"]')
    expect(page.locator("h1")).to_have_text("My matches")
    expect(page.locator(f'#accepted li[data-partner-id="{accepted}"]')).to_have_count(1)
    expect(page.locator(f'#saved li[data-partner-id="{saved}"]')).to_have_count(1)
    expect(page.locator(f'#declined li[data-partner-id="{declined}"]')).to_have_count(1)
    assert page_problems(page) == []
    answer(page, declined, "undeclined")
    expect(page.locator(f'#declined li[data-partner-id="{declined}"]')).to_have_count(0)

    # In Ukrainian: the language switch keeps the page; the partner is suggested again.
    page.click('form.language button[value="uk"]')
    expect(page.locator("h1")).to_have_text("Мої збіги")
    page.goto("/my/suggestions?k=20")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(card(page, declined)).to_have_count(1)
    expect(card(page, declined).locator('button[data-event="accepted"]')).to_have_text("Погодитися")
    expect(card(page, accepted)).to_contain_text("Контактні дані відкриються")
    assert page_problems(page) == []
