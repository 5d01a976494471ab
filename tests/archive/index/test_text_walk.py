"""A document's passages, their texts and its mentions as one reading of its text gives them
(archive.index.rows.extract): markup without children read in place, as with them."""

from __future__ import annotations

from pathlib import Path

from archive.index.days import day_range
from archive.index.rows import NO_DATES, extract
from tei.namespaces import TEI_NS


def test_texts_and_mentions_of_markup_with_and_without_children(tmp_path: Path) -> None:
    body = (
        # a line break, an empty name, a word split by a highlight, a choice of two readings
        '<p>Dear <hi>Mr</hi> <persName ref="#p1">Smith</persName>,<lb/>from <placeName/>'
        "Lon<hi>don</hi>: <choice><abbr>wch</abbr><expan>which</expan></choice>"
        "<!-- a comment --> <hi><hi>was</hi></hi> <date when='1641'>1641</date>.</p>"
        # a block inside a leaf (words apart), a name in it, a name with markup in it
        '<p>Before<note>a <orgName>Company</orgName> note</note>after <persName ref="#p2">'
        "<hi>John</hi> Lilburne</persName>.</p>")
    path = tmp_path / "t.xml"
    path.write_text(f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>T</title>'
                    "</titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
                    f"</sourceDesc></fileDesc></teiHeader><text><body>{body}</body></text>"
                    "</TEI>", encoding="utf-8")
    rows = extract(path, path.read_bytes(), ())
    first = "Dear Mr Smith,\nfrom London: wch which  was 1641."
    second = "Before a Company note after John Lilburne."
    assert rows.passages == [("body.p1", "p", first, 1, True, "don lon"),
                             ("body.p2", "p", second, 2, True, "")]
    assert rows.mentions == [
        ("body.p1", "person", "p1", "Smith", 8, 13, NO_DATES),
        ("body.p1", "place", None, "", 20, 20, NO_DATES),
        ("body.p1", "date", None, "1641", 43, 47, ("1641", None, None, None, None,
                                                   *day_range("1641"))),
        ("body.p2", "org", None, "Company", 9, 16, NO_DATES),
        ("body.p2", "person", "p2", "John Lilburne", 28, 41, NO_DATES)]
