"""Long documents in the reading view: the table of contents, a long text read in parts (the
first on the page, the others from ``/documents/<id>/part/<n>``), anchors that reach a part not
yet on the page (``/documents/<id>/part-of/<anchor>``), and bad part numbers as 404s.

Two real documents, imported: a generated novel of 28 chapters (benchmarks/novel.py, ~700 KB)
and a hand-written two-volume novel (tests/fixtures/reading/novel.xml), short enough to be read
whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.config import Settings
from archive.interchange.importer import import_files
from benchmarks.novel import novel_tei
from tei.parse import parse_tei
from webui import create_app
from webui.render import render_pieces, render_text

NOVEL = Path(__file__).resolve().parents[1] / "fixtures" / "reading" / "novel.xml"
LONG, SHORT = "the-long-novel", "lighthouse-keepers-daughter"
CHAPTERS = 28


def build_long_data(root: Path) -> Path:
    """A data directory holding the two novels, imported as a reader would (once per root)."""
    data = root / "data"
    if (root / "built.ok").exists():
        return data
    root.mkdir(parents=True, exist_ok=True)
    generated = root / "long-novel.xml"
    generated.write_text(novel_tei(CHAPTERS, 700_000, title="The Long Novel"), encoding="utf-8")
    imported = import_files(Settings(data_dir=data), [generated, NOVEL])
    assert [doc_id for doc_id, _ in imported] == [LONG, SHORT]
    (root / "built.ok").touch()
    return data


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    data = build_long_data(tmp_path_factory.getbasetemp() / "long")
    return create_app({"DATA_DIR": str(data), "RESPONSE_CACHE": False}).test_client()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def contents(html: str) -> str:
    match = re.search(r'<nav class="toc" aria-label="Contents">(.*?)</nav>', html, re.S)
    assert match, "no table of contents"
    return match.group(1)


def test_contents_nest_the_divisions_and_name_the_headless_ones(client) -> None:
    html = page(client, f"/documents/{SHORT}")
    toc = contents(html)
    labels = re.findall(r'data-target="([^"]+)">([^<]+)</a>', toc)
    assert [label for _, label in labels] == [
        "Titlepage 1", "Volume the First", "Chapter I. The Rock",
        "Chapter II. The Letter from Falmouth", "Chapter 3", "Volume the Second",
        "Chapter IV. The Second Keeper", "Chapter V. Fog", "Chapter VI. Conclusion",
        "Advertisement 1"]
    # the chapters nest in their volume's list
    volume = toc.index("Volume the First")
    assert toc.index("<ol>", volume) < toc.index("Chapter I. The Rock") < toc.index(
        "</ol>", volume)
    # every entry links to a citation anchor on the page (short: read whole, no parts)
    for target, _ in labels:
        assert f'id="{target}"' in html, target
    assert 'class="part' not in html
    # read whole, it is one part
    whole = page(client, f"/documents/{SHORT}/part/1")
    assert whole.startswith('<div class="part" id="ui-part-1"') and "Chapter VI" in whole
    assert client.get(f"/documents/{SHORT}/part-of/{labels[2][0]}").get_json()["part"] == 1


def test_no_contents_for_an_undivided_text(client, tmp_path: Path) -> None:
    data = tmp_path / "data"
    one = tmp_path / "one.xml"
    one.write_text(NOVEL.read_text(encoding="utf-8").replace(
        "lighthouse-keepers-daughter", "one-div").split("<front>")[0]
        + "<body><div><p>Only one.</p></div></body></text></TEI>", encoding="utf-8")
    import_files(Settings(data_dir=data), [one])
    html = create_app({"DATA_DIR": str(data)}).test_client().get("/documents/one-div")
    assert html.status_code == 200
    assert 'class="toc"' not in html.get_data(as_text=True)


def test_a_long_text_comes_in_parts_that_make_the_whole(client, tmp_path: Path) -> None:
    html = page(client, f"/documents/{LONG}")
    stubs = re.findall(r'<div class="part part-stub" id="ui-part-(\d+)" data-part="\d+" '
                       r'data-src="([^"]+)"><p><a href="([^"]+)">', html)
    assert len(stubs) >= 4
    assert stubs[0][0] == "2" and 'id="ui-part-1"' in html and 'id="chapter1.p1"' in html
    assert f'id="chapter{CHAPTERS}"' not in html
    # each part from its endpoint; all of them together hold every chapter once
    whole = html
    for number, src, link in stubs:
        assert src == f"/documents/{LONG}/part/{number}"
        assert link == f"/documents/{LONG}?part={number}#ui-part-{number}"
        fragment = page(client, src)
        assert fragment.startswith(f'<div class="part" id="ui-part-{number}"')
        assert "<html" not in fragment
        whole += fragment
        # the page without script: ?part=n shows that part in place
        assert f'<div class="part" id="ui-part-{number}"' in page(client, link.split("#")[0])
    for chapter in range(1, CHAPTERS + 1):
        assert whole.count(f'id="chapter{chapter}"') == 1, chapter
    # notes keep the whole document's numbering, each below its own part
    numbers = [int(n) for n in re.findall(r'<li id="ui-note-(\d+)" value="\1">', whole)]
    marks = [int(n) for n in re.findall(r'id="ui-noteref-(\d+)"', whole)]
    assert numbers == marks == list(range(1, len(numbers) + 1)) and len(numbers) > 50
    assert whole.count('<h2 id="ui-notes-title') == len(stubs) + 1  # one list a part
    # the first screen is a part of the whole
    generated = tmp_path / "long.xml"
    generated.write_text(novel_tei(CHAPTERS, 700_000, title="The Long Novel"), encoding="utf-8")
    full = render_text(parse_tei(generated), LONG, frozenset()).html
    assert len(html) < len(full) / 3


def test_a_table_of_contents_links_into_parts_not_on_the_page(client) -> None:
    html = page(client, f"/documents/{LONG}")
    links = dict(re.findall(r'<a href="([^"]*)" data-target="(chapter\d+)"', contents(html)))
    by_target = {target: href for href, target in links.items()}
    assert by_target["chapter1"] == "#chapter1"
    part, _, target = by_target[f"chapter{CHAPTERS}"].partition("#")
    assert target == f"chapter{CHAPTERS}" and part.startswith(f"/documents/{LONG}?part=")
    assert f'id="{target}"' in page(client, part)


def test_an_anchor_resolves_to_the_part_holding_it(client) -> None:
    for anchor in ("chapter12.p3", f"chapter{CHAPTERS}", "ui-note-40"):
        response = client.get(f"/documents/{LONG}/part-of/{anchor}")
        assert response.status_code == 200, anchor
        where = response.get_json()
        assert f'id="{anchor}"' in page(client, where["url"])
        assert where["url"] == f"/documents/{LONG}/part/{where['part']}"
    # on every page (the first part and what stands outside the parts) or nowhere: 404
    for anchor in ("nowhere", "chapter1.p1x", "%3Cscript%3E"):
        assert client.get(f"/documents/{LONG}/part-of/{anchor}").status_code == 404


@pytest.mark.parametrize("url", [
    f"/documents/{LONG}/part/0", f"/documents/{LONG}/part/-1", f"/documents/{LONG}/part/999",
    f"/documents/{LONG}/part/x", f"/documents/{LONG}/part/1.5", f"/documents/{LONG}/part/%C2%B2",
    f"/documents/{LONG}/part/99999999999999999999999", f"/documents/{LONG}?part=0",
    f"/documents/{LONG}?part=x", f"/documents/{LONG}?part=999", "/documents/nope/part/1",
    "/documents/nope/part-of/p1", f"/documents/{SHORT}/part/2",
    f"/documents/{SHORT}/part-of/p1"])
def test_bad_part_numbers_are_404s(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_pieces_render_the_same_html_as_the_whole(tmp_path: Path) -> None:
    generated = tmp_path / "long.xml"
    generated.write_text(novel_tei(6, 60_000), encoding="utf-8")
    for path in (NOVEL, generated):
        tree = parse_tei(path)
        whole = render_text(tree, "d", frozenset()).html
        pieces = render_pieces(tree, "d", frozenset())
        assert pieces.rendered.html == whole
        joined = pieces.before + "".join(piece.html for piece in pieces.pieces) + pieces.after
        assert whole.startswith(joined) and len(pieces.pieces) >= 2
