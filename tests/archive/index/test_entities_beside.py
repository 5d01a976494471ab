"""An entity page's companions and years (archive.index.entities) come from arrays stored with
the postings, its list of mentions from the first documents naming it; they give what the SQL
self-join of the mentions, and the list sorted whole, give, for every entity of a
generated corpus, on both engines, also after an incremental update and for odd cases (one
entity under two types in one passage, named twice in a passage, beside itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import Settings
from archive.index import companions, entity_mentions, update_index, years_beside
from archive.index.db import as_dicts, connect, reader
from archive.index.entities import _COMPANIONS, _MENTIONS, _YEARS, _for, with_texts
from archive.index.lookup import postings
from benchmarks.corpus import FIXTURES, build_corpus

pytestmark = pytest.mark.usefixtures("index_engine")

_ODD = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>Odd</title></titleStmt><publicationStmt><p>x</p></publicationStmt>
<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>
<p xml:id="p1"><persName ref="#karl-marx">Marx</persName> and <orgName ref="#karl-marx">the
Marx firm</orgName> and <persName ref="#karl-marx">Marx</persName> in
<date when="1848-02-21">1848</date>, <date when="1848">that year</date>, <date>undated</date>
and <date notBefore="0999">once</date>, with <persName ref="#leon-trotsky">Trotsky</persName>.</p>
<p xml:id="p2"><orgName ref="#karl-marx">Marx and Co</orgName> with
<persName ref="#leon-trotsky">Trotsky</persName> <date from="1917-10">then</date>.</p>
</body></text></TEI>"""


def _by_sql(settings: Settings, ref: str) -> tuple[list[dict[str, object]], list[tuple[int, int]],
                                                   list[dict[str, object]]]:
    db = connect(settings)
    try:
        rows = db.execute(_for(db, _COMPANIONS), (ref, ref)).fetchall()
        years = db.execute(_for(db, _YEARS), (ref,)).fetchall()
        mentions = with_texts(db, as_dicts(db.execute(_MENTIONS.format(docs=""), (ref, 7))))
    finally:
        db.close()
    return ([{"id": id_, "type": kind, "passages": int(n)} for id_, kind, n in rows],
            [(int(year), int(count)) for year, count in years], mentions)


def _check_all(settings: Settings) -> int:
    db = connect(settings)
    try:
        refs = [ref for (ref,) in db.execute(
            "SELECT DISTINCT ref FROM mentions WHERE ref IS NOT NULL ORDER BY ref")]
    finally:
        db.close()
    for ref in [*refs, "no-such-entity"]:
        assert (companions(settings, ref), years_beside(settings, ref),
                entity_mentions(settings, ref, 7)) == _by_sql(settings, ref), ref
    return len(refs)


def test_companions_and_years_are_those_of_the_sql(tmp_path: Path) -> None:
    build_corpus(tmp_path / "tei", 40, sorted(FIXTURES.glob("*.xml")))
    (tmp_path / "tei" / "odd.xml").write_text(_ODD, encoding="utf-8")
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    db = reader(settings)
    db.execute("BEGIN")
    try:  # the arrays are there (an index written before them falls back to the SQL)
        assert postings(db).beside(db) is not None
    finally:
        db.execute("COMMIT")
    assert _check_all(settings) > 20
    marx = companions(settings, "karl-marx")
    assert {"id": "leon-trotsky", "type": "person", "passages": 2} in marx or \
        any(row["id"] == "leon-trotsky" for row in marx)
    assert (1848, 2) in years_beside(settings, "karl-marx")
    # an incremental update: one document gone, one changed (the arrays are written anew)
    (tmp_path / "tei" / "bench-00003.xml").unlink()
    odd = tmp_path / "tei" / "odd.xml"
    odd.write_text(_ODD.replace("1848-02-21", "1850-01-01"), encoding="utf-8")
    update_index(settings)
    _check_all(settings)
    assert (1850, 1) in years_beside(settings, "karl-marx")
