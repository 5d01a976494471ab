"""The citation metadata and the "Cite" box in a real browser: the JSON-LD in the head is data
the page's policy leaves alone (no console error, no CSP violation), and the box's downloads
arrive as files a reference manager reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DOC = "stage000001"
#: Records every Content-Security-Policy violation of the page (Playwright runs this before the
#: page's own scripts; the policy does not apply to it).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (event) => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));
"""


def test_json_ld_and_cite_downloads(page, tmp_path: Path) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"/documents/{DOC}")
    data = json.loads(page.locator('head script[type="application/ld+json"]').text_content())
    assert data["@type"] == "CreativeWork" and data["name"] == "The Engine: a scene"
    assert page.locator('head meta[name="citation_title"]').get_attribute("content") == \
        "The Engine: a scene"
    box = page.locator("section.cite-box")
    box.scroll_into_view_if_needed()
    assert box.is_visible()
    assert "Accessed" in page.locator("#ui-citation").inner_text()
    box.screenshot(path=tmp_path / "cite-box.png")
    with page.expect_download() as download:
        page.click("#ui-cite-bib")
    bib = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == f"{DOC}.bib"
    assert bib.startswith(f"@misc{{{DOC},") and "title = {{The Engine: a scene}}" in bib
    with page.expect_download() as download:
        page.click("#ui-cite-csl")
    (item,) = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert item["title"] == "The Engine: a scene" and item["URL"].endswith(f"/documents/{DOC}")
    # one passage: its address typed in, the CSL-JSON button of the form
    anchor = page.locator("article.tei a.cite").nth(3)
    address = anchor.get_attribute("href").partition("#")[2]
    page.click("details.cite-passage summary")
    page.fill("#ui-cite-passage", address)
    with page.expect_download() as download:
        page.click("details.cite-passage button[formaction]")
    (item,) = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert item["section"] == f"Passage {address}"
    assert item["URL"].endswith(f"/documents/{DOC}#{address}")
    box.screenshot(path=tmp_path / "cite-passage.png")
    assert page.evaluate("window.__violations") == []
