"""The map of places in a real browser: drawn, styled by the stylesheet (CSP allows no inline
style), and each dot a link that the keyboard reaches and follows to the place's page."""

from __future__ import annotations

import os
from pathlib import Path

SHOTS = Path(os.environ.get("MAP_SCREENSHOTS", "/tmp/map-screenshots"))


def test_register_map_dot_is_reached_and_followed_by_keyboard(page) -> None:
    page.goto("/entities/places")
    svg = page.locator("figure.map svg.map")
    box = svg.bounding_box()
    assert box and box["width"] > 600 and 2.3 < box["width"] / box["height"] < 2.7
    # the stylesheet draws it: land and dots filled in colour, not SVG's default black
    land = page.eval_on_selector("svg.map .land", "e => getComputedStyle(e).fill")
    dot = page.eval_on_selector("svg.map a .dot", "e => getComputedStyle(e).fill")
    assert land not in ("rgb(0, 0, 0)", "none") and dot not in ("rgb(0, 0, 0)", "none")
    SHOTS.mkdir(parents=True, exist_ok=True)
    svg.screenshot(path=str(SHOTS / "register-map.png"))
    # the form's button, then Tab: the first dot of the map (the most mentioned place)
    page.focus(".search-box button")
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('svg.map') !== null"):
            break
    focused = page.evaluate("""() => ({name: document.activeElement.getAttribute('aria-label'),
                                      href: document.activeElement.getAttribute('href')})""")
    assert focused["href"] and focused["href"].startswith("/entities/"), focused
    ring = page.evaluate("getComputedStyle(document.activeElement.querySelector('.dot'))"
                         ".strokeWidth")
    assert ring in ("3px", "4px")  # the focused dot is ringed
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{focused['href']}")
    heading = page.locator("h1").inner_text()
    assert focused["name"].startswith(f"{heading} (")
    # the place's own page marks it on the map
    current = page.locator("svg.map .current")
    assert current.get_attribute("aria-label") == heading
    assert current.bounding_box()["width"] > 4
    page.locator("figure.map").screenshot(path=str(SHOTS / "place-map.png"))


def test_browse_map_follows_the_selection(page) -> None:
    page.goto("/")
    everywhere = page.locator("svg.map a").count()
    page.goto("/?place=berlin")
    page.locator("figure.map").scroll_into_view_if_needed()
    chosen = page.locator("svg.map a").count()
    assert 0 < chosen < everywhere
    assert page.locator('svg.map a[href="/entities/berlin"]').count() == 1
    page.locator("figure.map").screenshot(path=str(SHOTS / "browse-map.png"))
