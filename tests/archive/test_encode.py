"""Encoding: the TEI body holds exactly the characters of the source, deterministically."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from archive.annotate.apply import text_units as tei_text_units
from archive.config import SAMPLES_DIR
from archive.ingest.encode import encode, text_units
from archive.ingest.sources import read_source
from tei.namespaces import NSMAP, XML_ID
from tei.read import text_of
from tei.serialize import serialize

SAMPLES = sorted(SAMPLES_DIR.glob("*.txt"))


def encoded(path: Path) -> etree._ElementTree:
    return encode(read_source(path), encoded_on="2026-11-21")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_body_text_is_the_source_text_with_markup_removed(path: Path) -> None:
    source = read_source(path)
    tree = etree.ElementTree(etree.fromstring(serialize(encode(source, encoded_on="2026-11-21"))))
    reader_units = ["".join(span.text for span in unit) for unit in text_units(source)]
    tei_units = [text_of(element) for element in tei_text_units(tree)]
    assert tei_units == reader_units
    # and every character of a verbatim span stands at its offset in the file as read
    text = path.read_text(encoding="utf-8")
    for unit in text_units(source):
        for span in unit:
            if span.kind == "text" and span.start is not None:
                assert text[span.start:span.end] == span.text


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_encoding_twice_gives_identical_bytes(path: Path) -> None:
    assert serialize(encoded(path)) == serialize(encoded(path))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_identifiers_are_unique_and_on_every_citable_element(path: Path) -> None:
    tree = encoded(path)
    ids = tree.xpath("//@xml:id", namespaces=NSMAP)
    assert len(ids) == len(set(ids))
    unidentified = tree.xpath("//tei:body//*[self::tei:div or self::tei:p or self::tei:item or "
                              "self::tei:bibl or self::tei:head][not(@xml:id)]", namespaces=NSMAP)
    assert unidentified == []


def test_header_carries_the_sidecar_metadata() -> None:
    tree = encoded(SAMPLES_DIR / "003_717e887f31c42029.txt")

    def value(xpath: str) -> str:
        return str(tree.xpath(f"string({xpath})", namespaces=NSMAP))

    assert value("//tei:titleStmt/tei:title") == "In Honor of the Left Opposition"
    assert value("//tei:titleStmt/tei:author") == "Paul Le Blanc"
    assert value("//tei:publicationStmt/tei:idno[@type='archive']") == "003_717e887f31c42029"
    assert value("//tei:sourceDesc/tei:bibl/tei:title[@level='j']") == "Against the Current"
    assert value("//tei:sourceDesc/tei:bibl/tei:biblScope[@unit='issue']") == "67"
    assert value("//tei:sourceDesc/tei:bibl/tei:date/@when") == "1997-03"
    assert value("//tei:langUsage/tei:language/@ident") == "en"
    assert value("//tei:revisionDesc/tei:change/@when") == "2026-11-21"
    assert value("//tei:appInfo/tei:application/@ident") == "tei-archive"


def test_structure_of_the_wiki_sample() -> None:
    tree = encoded(SAMPLES_DIR / "000_cc213c6dc1d17911.txt")
    top = tree.find(".//{*}body/{*}div")
    assert top is not None and top.get(XML_ID) == "d1"
    assert text_of(top.find("{*}head")) == "Left Opposition"
    gloss = tree.xpath("//tei:list[@type='gloss']", namespaces=NSMAP)[0]
    assert [text_of(e) for e in gloss][:2] == ["Native Name Lang", "ru"]
    assert tree.xpath("count(//tei:body//tei:div/tei:div)", namespaces=NSMAP) >= 3


def test_markdown_sample_keeps_emphasis_links_and_line_breaks() -> None:
    tree = encoded(SAMPLES_DIR / "004_50eb6e51b711ced3.txt")
    assert tree.xpath("count(//tei:body//tei:hi[@rend='italic'])", namespaces=NSMAP) >= 8
    assert tree.xpath("count(//tei:body//tei:ref[@target])", namespaces=NSMAP) >= 1
    byline = tree.xpath("//tei:ab[@type='byline']", namespaces=NSMAP)[0]
    assert text_of(byline) == "David North\n8 October 2023"
    # the kicker line before the title stands in a div of its own: nothing precedes a head
    first_div, second_div = tree.xpath("//tei:body/tei:div", namespaces=NSMAP)
    assert etree.QName(second_div[0]).localname == "head"
