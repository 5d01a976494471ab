"""The load bench counts a viewer reply it makes its URLs from that is not the JSON expected as
an error, saying what came back on one line, and goes on (issue 21: ``urls_for`` stopped the
bench with ``KeyError: 'facets'`` when ``/api/facets`` answered otherwise under load)."""

from __future__ import annotations

import shutil
from pathlib import Path

from archive_tests_servers import serving

from benchmarks.load import urls_for

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def test_a_reply_that_is_not_the_json_expected_is_an_error(tmp_path: Path) -> None:
    # a real viewer whose index is not a database: its JSON API answers 500 with an error
    # object, neither the documents nor the facets
    (tmp_path / "tei").mkdir()
    shutil.copy(next(CORPUS.glob("*.xml")), tmp_path / "tei")
    (tmp_path / "index.sqlite").write_bytes(b"not a database " * 512)
    with serving(tmp_path, tmp_path, {}, 1) as servers:
        (port,) = servers
        urls, errors = urls_for(tmp_path, port)
    assert [line.split(":")[0] for line in errors] == ["/api/documents", "/api/facets"]
    assert all("\n" not in line and "HTTP 500" in line and '"error"' in line
               for line in errors), errors
    # the pages it could not list are left out; the rest of the mix stays
    assert urls and not any(url.startswith(("/documents/", "/?", "/entities/")) for url in urls)
    assert any(url.startswith("/search?") for url in urls)
