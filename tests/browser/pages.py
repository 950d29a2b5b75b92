"""Checks the browser tests run on any page: axe-core's verdict and the fit on a phone.

axe-core (Deque's accessibility engine) comes bundled in the ``axe-playwright-python`` wheel from
PyPI: nothing is downloaded at run time. It is injected into the page as Chromium shows it.
"""

from __future__ import annotations

#: axe-core's impact levels that fail a test.
FAILING_IMPACTS = ("serious", "critical")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (rule, help, the
    first elements it names)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}; on "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
        for violation in found
        if violation["impact"] in FAILING_IMPACTS
    ]


def overflowing(page) -> list[str]:
    """The elements that stick out of the window on the right, and the page's width; none when
    the page fits (wide tables scroll in their own ``.table-scroll`` or ``.grid-scroll`` frame)."""
    return page.evaluate(
        """() => { const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        return Array.from(document.querySelectorAll('body *'))
          .filter(e => e.getBoundingClientRect().right > width + 1
                       && !(e.parentElement && e.parentElement.closest(
                            '.table-scroll, .grid-scroll')))
          .slice(0, 5)
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className ? '.' + String(e.className).replace(/ /g, '.') : ''))
          .concat(['(page ' + document.documentElement.scrollWidth + ' px wide)']); }"""
    )


def page_problems(page) -> list[str]:
    """axe-core's serious violations at the window's size, then what overflows at 390 px (the
    window is put back to its size afterwards)."""
    found = serious_violations(page)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        overflow = overflowing(page)
    finally:
        page.set_viewport_size(size)
    if overflow:
        found.append("wider than a 390 px phone: " + ", ".join(overflow))
    return found
