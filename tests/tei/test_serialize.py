from __future__ import annotations

from lxml import etree

from tei.read import text_of
from tei.serialize import serialize

DOC = (
    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>T</title>'
    '</titleStmt></fileDesc></teiHeader><text><body><div><p>A <persName>B</persName> '
    '<date when="1923">1923</date></p><list><item>x</item></list></div></body></text></TEI>'
)


def test_indentation_never_changes_text_of_mixed_content() -> None:
    root = etree.fromstring(DOC)
    out = etree.fromstring(serialize(root))
    body_before = text_of(root.find(".//{*}p"))
    assert text_of(out.find(".//{*}p")) == body_before == "A B 1923"


def test_structure_is_indented_and_output_is_stable() -> None:
    data = serialize(etree.fromstring(DOC))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<TEI')
    assert b"\n      <div>\n        <p>A <persName>B</persName> <date" in data
    assert serialize(etree.fromstring(data)) == data


def test_reindent_false_keeps_whitespace_as_found() -> None:
    root = etree.fromstring('<TEI xmlns="http://www.tei-c.org/ns/1.0">  <text/></TEI>')
    assert b"<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">  <text/></TEI>" in serialize(root, reindent=False)


def test_text_of_counts_line_breaks_and_skips_comments() -> None:
    p = etree.fromstring('<p xmlns="http://www.tei-c.org/ns/1.0">a<lb/>b<!-- c -->d<hi>e</hi></p>')
    assert text_of(p) == "a\nbde"
