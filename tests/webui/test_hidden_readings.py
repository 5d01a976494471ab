"""The readings a page shows a click away are found by full-text search too: a word only in
a ``choice``'s source reading (``sic``, ``orig``, ``abbr``) or only in an apparatus's variant
(``rdg``) leads to its document and passage (the passage's words keep both readings, apart)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

HIDDEN = [("riuer", "b00042"),  # orig (reg: river)
          ("wch", "b00042"),  # abbr (expan: which)
          ("rieh", "b00042"),  # sic
          ("pulls", "variorum__the-ferryman")]  # rdg of an apparatus


@pytest.mark.parametrize(("word", "doc"), HIDDEN)
def test_a_word_only_in_the_hidden_reading_is_found(client: FlaskClient, word: str,
                                                    doc: str) -> None:
    documents = client.get(f"/api/documents?q={word}").get_json()["documents"]
    assert doc in [row["id"] for row in documents]
    hits = client.get(f"/api/search?q={word}").get_json()["hits"]
    hit = next(hit for hit in hits if hit["doc"] == doc)
    assert hit["url"].startswith(f"/documents/{doc}#")
    assert word in hit["text"]
    page = client.get(f"/search?q={word}").get_data(as_text=True)
    assert f'href="{hit["url"]}"' in page
    # the reading view holds it, as the reading a click (or the diplomatic switch) away
    view = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert re.search(rf'class="(dipl|rdg)"[^>]*>(<[^>]+>)*{word}\b', view)
