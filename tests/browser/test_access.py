"""Access for everyone, in a real browser: axe-core on every page type, a phone's first screen,
the skip link, and dates whose normalised value keyboard and touch users can read.

axe-core comes from the PyPI package ``axe-playwright-python`` (its bundled ``axe.min.js``,
MPL-2.0), read from disk: nothing is fetched at test time. The rules run are axe's WCAG 2.0/2.1
A and AA sets plus its best practices (``region``, ``landmark-one-main``, ``heading-order``,
``page-has-heading-one``, ``landmark-unique``, ``skip-link`` …).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 390, "height": 844}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: Imported into an archive of their own: odd xml:lang values and choice pairs holding names and
#: dates (ours), a manuscript description, a genetic transcript, plays and letters (editions),
#: and the reading fixtures.
EDITIONS = [FIXTURES / "access" / "access.xml",
            *(FIXTURES / "editions" / name for name in (
                "manuscript.xml", "genetic_notebook.xml", "dracor_play.xml", "inscription.xml",
                "letters/L0001.xml", "letters/L0002.xml", "plays/vogt-der-abend.xml")),
            # the reading view's editorial layer: registers, apparatus, catalogue records,
            # surfaces and zones, bibliographies, facsimile links, a divided novel
            *sorted((FIXTURES / "reading").glob("*.xml"))]


def _conftest():
    """This folder's conftest (for ``serving``): test folders are not packages."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_browser_conftest",
                                                  Path(__file__).with_name("conftest.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not "
                              "installed (make venv installs the dev extras)")
    return (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """axe's violations on the page as ``rule ×count: first target``, empty when it is clean."""
    page.evaluate(_axe_script())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", AXE_TAGS)
    return [f"{v['id']} ×{len(v['nodes'])}: {v['nodes'][0]['target']} "
            f"{v['nodes'][0]['failureSummary'][:160]!r}" for v in result["violations"]]


def _pages(page) -> list[str]:
    """One URL of every page type of the viewer (each document's reading view)."""
    docs: list[str] = []
    for number in range(1, 20):
        listing = json.loads(page.request.get(f"/api/documents?page={number}").text())
        docs += [d["id"] for d in listing["documents"]]
        if len(docs) >= listing["total"]:
            break
    person, place = (json.loads(page.request.get(f"/api/entities/{kind}").text())["entries"][0]
                     ["id"] for kind in ("persons", "places"))
    facet = json.loads(page.request.get("/api/facets").text())
    name, values = next((f["name"], f["results"]) for f in facet["facets"] if f["results"])
    return ["/", f"/?{name}={values[0]['value']}", f"/?_facet_size=max#facet-{name}",
            "/search", "/search?q=river", "/search?q=zzzqqq",
            f"/search?q=river&{name}={values[0]['value']}",
            f"/entities/{person}", f"/entities/{place}", "/entities", "/entities/persons",
            "/entities/places", "/entities/orgs",
            "/query", "/query?q=//tei:persName", "/query?q=//tei:p[",
            "/no/such/page", "/documents/nosuchdocument",
            *(f"/documents/{doc}" for doc in docs)]


def test_axe_finds_nothing_on_any_page_type(browser, live_server: str) -> None:
    # a context of its own: the 404 pages among these log "failed to load" in the console
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = {}
    for url in _pages(page):
        response = page.goto(url)
        assert response is not None and "text/html" in response.headers["content-type"], url
        if problems := violations(page):
            found[url] = problems
    page.goto("/documents/b00042")
    page.check("#ui-diplomatic")  # the text in the source's spelling, and one pair flipped
    page.locator(".choice.pair").first.click()
    if problems := violations(page):
        found["/documents/b00042 (diplomatic)"] = problems
    context.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


@pytest.fixture(scope="module")
def editions_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small archive of :data:`EDITIONS`."""
    from archive.config import Settings
    from archive.index.update import update_index
    from archive.interchange.importer import import_files

    settings = Settings(data_dir=tmp_path_factory.mktemp("editions") / "data")
    import_files(settings, EDITIONS)
    update_index(settings, full=True)
    with _conftest().serving(settings.data_dir) as base:
        yield base


def test_axe_finds_nothing_on_imported_editions(browser, editions_server: str) -> None:
    context = browser.new_context(base_url=editions_server)
    page = context.new_page()
    listing = json.loads(page.request.get("/api/documents").text())
    assert listing["total"] == len(EDITIONS)
    found = {}
    for doc in listing["documents"]:
        page.goto(f"/documents/{doc['id']}")
        if problems := violations(page):
            found[doc["id"]] = problems
    context.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


def test_lang_attributes_are_valid_bcp47(browser, editions_server: str) -> None:
    context = browser.new_context(base_url=editions_server)
    page = context.new_page()
    page.goto("/documents/access")
    langs = page.eval_on_selector_all("[lang]", "els => els.map(e => e.getAttribute('lang'))")
    found = violations(page)
    context.close()
    assert not {"lat", "deu", "eng", "fre", "x!", ""} & set(langs), langs
    # lat → la, deu → de, fre → fr; grc has no ISO 639-1 code and stays; garbage is dropped
    assert {"la", "grc", "de", "de-AT", "und", "mul", "en", "fr"} <= set(langs), langs
    assert found == []


@pytest.fixture
def phone(browser, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, viewport=PHONE, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("url", "first"), [("/", ".documents li a"),
                                            ("/?_facet_size=max", ".documents li a"),
                                            ("/search?q=the&_facet_size=max", ".hits li a")])
def test_on_a_phone_the_results_come_within_the_first_screen(phone, url: str,
                                                             first: str) -> None:
    phone.goto(url)
    top = phone.locator(first).first.bounding_box()
    assert top is not None
    assert top["y"] < PHONE["height"], f"{url}: the first result is {top['y']:.0f} px down"
    assert violations(phone) == []


@pytest.mark.parametrize(("url", "first"), [("/", ".documents li a"),
                                            ("/?_facet_size=max", ".documents li a"),
                                            ("/search?q=river", ".hits li a")])
def test_skip_link_leads_to_the_results_in_one_or_two_tabs(page, url: str, first: str) -> None:
    page.goto(url)
    page.locator(".skip").focus()  # the first Tab's stop (search focuses its box: autofocus)
    page.keyboard.press("Enter")
    target = page.locator(first).first
    tabs = 0
    while tabs < 200 and not target.evaluate("el => el === document.activeElement"):
        page.keyboard.press("Tab")
        tabs += 1
    assert tabs <= 2, f"{url}: {tabs} Tabs from the skip link to the first result"


def test_skip_link_lands_on_the_text_in_the_reading_view(page) -> None:
    page.goto("/documents/bridges")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('ui-text').contains(document.activeElement)"
                           " || document.activeElement.id === 'ui-text'")
    assert inside, page.evaluate("document.activeElement.outerHTML.slice(0, 200)")


def test_a_choice_pair_is_a_button_holding_no_other_control(browser, editions_server: str
                                                           ) -> None:
    context = browser.new_context(base_url=editions_server)
    page = context.new_page()
    page.goto("/documents/access")
    pairs = page.locator(".choice.pair")
    roles = pairs.evaluate_all("els => els.map(e => e.getAttribute('role'))")
    nested = page.locator(".choice.pair a, .choice.pair [tabindex]").count()
    pair = pairs.nth(1)  # a date in each reading: its value shows when the pair has the focus
    pair.focus()
    shown = pair.locator(".norm .date-value").inner_text()
    context.close()
    assert roles == ["button", "button"] and nested == 0
    assert shown == "0058"


@pytest.mark.parametrize("url", ["/", "/search?q=river", "/documents/b00042", "/entities/persons",
                                 "/query?q=//tei:p["])
def test_every_focused_control_shows_a_focus_ring(page, url: str) -> None:
    page.goto(url)
    page.locator("body").focus()
    rings = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        rings.add(page.evaluate("""() => {
            const el = document.activeElement, style = getComputedStyle(el);
            if (el === document.body) return 'ring';  // past the last control
            const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
            return ring ? 'ring' : el.tagName + '.' + el.className + ' ' + style.outlineStyle;
        }"""))
    assert rings == {"ring"}, rings


@pytest.mark.parametrize("url", ["/search?q=river", "/documents/letters__1851-06-14-marsh",
                                 "/documents/b00042", "/entities/persons", "/query"])
def test_axe_finds_nothing_on_a_phone(phone, url: str) -> None:
    phone.goto(url)
    assert violations(phone) == []


def _a_date(page):
    date = page.locator(".m-date[data-when]").first
    date.scroll_into_view_if_needed()
    return date


def test_a_dates_normalised_value_shows_on_keyboard_focus(page) -> None:
    page.goto("/documents/letters__1851-06-14-marsh")
    date = _a_date(page)
    when = date.get_attribute("data-when")
    assert date.get_attribute("title") is None  # no hover-only tooltip
    described = date.get_attribute("aria-describedby")
    assert described and when in page.locator(f"#{described}").text_content()
    shown = page.locator(f"#{described}")
    assert not shown.is_visible()
    assert date.get_attribute("tabindex") == "0"  # a tab stop (it is not a link)
    page.locator(".skip").focus()
    page.keyboard.press("Enter")  # into the text, then Tab to the date
    for _ in range(60):
        page.keyboard.press("Tab")
        if date.evaluate("el => el === document.activeElement"):
            break
    assert date.evaluate("el => el === document.activeElement")
    assert shown.is_visible() and when in shown.inner_text()


def test_a_dates_normalised_value_shows_on_a_tap(phone) -> None:
    phone.goto("/documents/letters__1851-06-14-marsh")
    date = _a_date(phone)
    shown = phone.locator(f"#{date.get_attribute('aria-describedby')}")
    assert not shown.is_visible()
    date.tap()
    assert shown.is_visible() and date.get_attribute("data-when") in shown.inner_text()
    box, small = date.bounding_box(), shown.bounding_box()
    assert box and small and small["x"] + small["width"] <= PHONE["width"] + 1  # on screen


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE])
def test_screenshots(browser, live_server: str, viewport: dict[str, int],
                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """Screenshots to look at (kept under the session's temporary directory)."""
    context = browser.new_context(base_url=live_server, viewport=viewport)
    page = context.new_page()
    out = tmp_path_factory.getbasetemp() / "screenshots"
    out.mkdir(exist_ok=True)
    for name, url in [("browse", "/"), ("search", "/search?q=river"),
                      ("letter", "/documents/letters__1851-06-14-marsh")]:
        page.goto(url)
        page.screenshot(path=str(out / f"{name}-{viewport['width']}.png"))
        assert page.locator("main h1").count() == 1
    context.close()
