from __future__ import annotations

from pathlib import Path

import pytest

from tei import parse as tei_parse
from tei.errors import TeiLimitError, TeiStructureError, TeiSyntaxError
from tei.parse import MAX_DEPTH, parse_bytes, parse_file, parse_tei

MINIMAL = b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body><p>x</p></body></text></TEI>'


def test_parses_namespaced_tei(tmp_path: Path) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(MINIMAL)
    assert parse_tei(path).getroot().tag == "{http://www.tei-c.org/ns/1.0}TEI"


def test_malformed_xml_is_reported_with_its_line_not_repaired() -> None:
    with pytest.raises(TeiSyntaxError) as caught:
        parse_bytes(b"<TEI>\n<p>\n</TEI>", "broken.xml")
    assert caught.value.line == 3
    assert str(caught.value).startswith("broken.xml:3")


@pytest.mark.parametrize("data, problem", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"PK\x03\x04\x00\x00binary", "NUL"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
])
def test_not_xml(data: bytes, problem: str) -> None:
    with pytest.raises(TeiSyntaxError, match=problem):
        parse_bytes(data, "x.xml")


def test_external_entities_are_refused() -> None:
    xxe = (b'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>&x;</text></TEI>')
    with pytest.raises((TeiLimitError, TeiSyntaxError)):
        parse_bytes(xxe, "xxe.xml")


def test_billion_laughs_is_refused() -> None:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    lol = (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">{levels}]>\n'
           f'<lolz>&lol9;</lolz>').encode()
    with pytest.raises(TeiLimitError, match="billion laughs"):
        parse_bytes(lol, "lol.xml")


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH + 10
    with pytest.raises((TeiLimitError, TeiSyntaxError)):
        parse_bytes(b"<a>" * depth + b"</a>" * depth, "deep.xml")


def test_depth_is_limited_by_the_parser_not_by_a_walk_of_the_tree() -> None:
    # libxml2 refuses the nesting while parsing, so parsed trees are not walked again (a walk
    # of every element in Python was a fifth of a corpus query's time)
    assert tei_parse.PARSER_LIMITS_DEPTH
    assert len(parse_bytes(b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH, "ok.xml").xpath(
        "//a")) == MAX_DEPTH


def test_deep_nesting_through_an_entity_is_refused() -> None:
    inner = b"<b>" * 200 + b"x" + b"</b>" * 200
    data = (b'<!DOCTYPE a [<!ENTITY deep "' + inner + b'">]>' + b"<a>" * 100 + b"&deep;"
            + b"</a>" * 100)
    with pytest.raises(TeiLimitError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_bytes(data, "entity.xml")


def test_wrong_namespace_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nons.xml"
    path.write_bytes(b"<TEI><teiHeader/></TEI>")
    with pytest.raises(TeiStructureError, match="not the TEI namespace"):
        parse_tei(path)


def test_utf16_with_bom_is_decoded() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><r>Łódź</r>'.encode("utf-16")
    assert parse_bytes(data).getroot().text == "Łódź"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TeiSyntaxError, match="no such file"):
        parse_file(tmp_path / "nope.xml")
    with pytest.raises(TeiSyntaxError, match="directory"):
        parse_file(tmp_path)
