"""``contains()`` is never narrowed by the full-text index (issue 21): that index would drop
true hits. A document whose paragraphs hold "revolution" where no full-text query finds it: in
the header, split by ``<lb/>`` (markup the index reads as a word break), inside a longer word.
"""

from __future__ import annotations

import pytest

from archive.config import Settings
from archive.index import search_passages, update_index
from archive.search import evaluate_query, run_query
from archive.xpath import TreeCache

pytestmark = pytest.mark.usefixtures("index_engine")

HIDDEN = """<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title>Hidden words</title></titleStmt>
    <publicationStmt><p>A revolution in publishing.</p></publicationStmt>
    <sourceDesc><p>Written for a test.</p></sourceDesc></fileDesc></teiHeader>
  <text><body>
    <p xml:id="split">The revo<lb/>lution came.</p>
    <p xml:id="inside">A counterrevolution followed.</p>
    <p xml:id="read"><choice><sic>revol</sic><corr>ution</corr></choice> is joined.</p>
    <p xml:id="none">Nothing here.</p>
  </body></text>
</TEI>
"""


@pytest.fixture
def hidden(corpus: Settings) -> Settings:
    (corpus.tei_dir / "zz_hidden.xml").write_text(HIDDEN, encoding="utf-8")
    update_index(corpus)
    return corpus


def test_contains_finds_what_no_full_text_query_finds(hidden: Settings) -> None:
    expression = "//tei:p[contains(., 'revolution')]"
    found = [hit for hit in run_query(hidden, expression).hits if hit.doc == "zz_hidden"]
    # the header's paragraph (no passage address) first, in document order
    assert [hit.target for hit in found] == [None, "split", "inside", "read"]
    one_pass = evaluate_query(hidden, expression, limit=1000, timeout=60, cache=TreeCache())
    assert [hit for hit in one_pass.hits if hit.doc == "zz_hidden"] == found
    # the full-text index has none of them: a filter on it would have dropped the document
    for words in ("revolution", "revolution*"):
        _, passages = search_passages(hidden, {}, words, limit=1000)
        assert not [hit for hit in passages if hit["doc"] == "zz_hidden"]
