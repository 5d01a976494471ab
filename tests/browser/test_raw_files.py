"""A TEI file shown in a real browser stays inert (issue 16, finding 9): XHTML-namespaced
elements in it load nothing and run nothing, and an ``xml-stylesheet`` instruction cannot
make one document another's stylesheet."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from archive.config import Settings
from archive.index.update import update_index

pytestmark = pytest.mark.browser

#: A TEI document carrying live-looking XHTML, and one that names another as its XSLT.
XHTML_TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:h="http://www.w3.org/1999/xhtml">
  <teiHeader><fileDesc>
    <titleStmt><title>XHTML inside</title></titleStmt>
    <publicationStmt><p>test</p></publicationStmt>
    <sourceDesc><p>test</p></sourceDesc>
  </fileDesc></teiHeader>
  <text><body><p xml:id="p1">Text
    <h:img src="/beacon-img.png"/>
    <h:iframe src="/beacon-frame"></h:iframe>
    <h:script>document.title = "ran"; fetch("/beacon-script");</h:script>
    <h:a id="link" href="/beacon-link">a link</h:a>
  </p></body></text>
</TEI>
"""
STYLED_TEI = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="/documents/xhtml.xml"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc>
    <titleStmt><title>Styled by another</title></titleStmt>
    <publicationStmt><p>test</p></publicationStmt>
    <sourceDesc><p>test</p></sourceDesc>
  </fileDesc></teiHeader>
  <text><body><p xml:id="p1">Plain text.</p></body></text>
</TEI>
"""


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test data directory with the two documents added and indexed, served live."""
    from .conftest import _load_builder, serving

    source = _load_builder()(tmp_path_factory.getbasetemp() / "webui")
    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(source, data)
    (data / "tei" / "xhtml.xml").write_text(XHTML_TEI, encoding="utf-8")
    (data / "tei" / "styled.xml").write_text(STYLED_TEI, encoding="utf-8")
    update_index(Settings(data_dir=data))
    with serving(data) as base:
        yield base


def visit(browser, base: str, path: str) -> tuple[list[str], str]:
    """Open ``path``; the URLs the page fetched besides itself (a request the browser blocks
    gets no response), and its title."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    fetched: list[str] = []
    page.on("response", lambda response: fetched.append(response.url))
    response = page.goto(path)
    assert response is not None and response.status == 200
    page.wait_for_timeout(1000)  # give anything the document names the time to load
    title = page.title()
    context.close()
    return [url for url in fetched if not url.endswith(path)], title


@pytest.mark.parametrize("path", ["/documents/xhtml.xml", "/documents/styled.xml"])
def test_a_tei_file_in_the_browser_loads_and_runs_nothing(browser, hostile_server: str,
                                                          path: str) -> None:
    others, title = visit(browser, hostile_server, path)
    assert others == []  # no image, frame, script fetch or stylesheet
    assert title != "ran"
