"""Every passage of the reading view has an anchor (its citation address) that survives a
re-import, and search results link to it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from archive.config import Settings
from archive.interchange.importer import import_files

STRUCTURE = Path(__file__).resolve().parents[1] / "fixtures" / "structure"
#: Documents of other projects' shapes, without any xml:id: a sourceDoc and a teiCorpus too.
DOCUMENTS = ("drama", "novel", "verse", "inscription", "letter", "cited", "msdesc", "genetic",
             "corpus")
IDS = re.compile(r' id="([^"]+)"')


def anchors(client, doc_id: str) -> set[str]:
    response = client.get(f"/documents/{doc_id}")
    assert response.status_code == 200
    return set(IDS.findall(response.get_data(as_text=True)))


@pytest.fixture
def imported(tmp_path: Path):
    from webui import create_app

    settings = Settings(data_dir=tmp_path / "data")
    import_files(settings, [STRUCTURE / f"{name}.xml" for name in DOCUMENTS])
    return settings, create_app({"TESTING": True, "DATA_DIR": str(settings.data_dir)})


def test_every_passage_has_an_anchor_in_the_reading_view(imported) -> None:
    _, app = imported
    client = app.test_client()
    for doc_id in DOCUMENTS:
        listed = client.get(f"/api/documents/{doc_id}").get_json()["passages"]
        assert listed, doc_id
        found = anchors(client, doc_id)
        for passage in listed:
            assert passage["id"] in found, (doc_id, passage["id"])
            assert passage["url"] == f"/documents/{doc_id}#{passage['id']}"


def test_search_links_go_to_the_passage_anchor(imported) -> None:
    _, app = imported
    client = app.test_client()
    for word, doc_id, address in (("wrangleberry", "drama", "body.div.div.sp2.p"),
                                  ("larkspur", "cited", "1.2.14"),
                                  ("edburga", "msdesc", "msDesc.msContents.msItem2"),
                                  ("oatcakes", "genetic", "sourceDoc.surface2.zone.line"),
                                  ("alder", "corpus", "TEI2.body.p")):
        hits = client.get("/api/search", query_string={"q": word}).get_json()["hits"]
        assert [hit["url"] for hit in hits] == [f"/documents/{doc_id}#{address}"]
        assert address in anchors(client, doc_id)
        page = client.get("/search", query_string={"q": word}).get_data(as_text=True)
        assert f'href="/documents/{doc_id}#{address}"' in page


def test_anchors_survive_a_reimport(imported, tmp_path: Path) -> None:
    settings, app = imported
    before = {doc_id: anchors(app.test_client(), doc_id) for doc_id in DOCUMENTS}
    assert {"body.div.div.sp1.l2", "body.div.div.sp2.p"} <= before["drama"]
    assert "1.2.14" in before["cited"]
    # the same bytes imported into a new archive, under another file name
    again = Settings(data_dir=tmp_path / "again")
    copies = tmp_path / "copies"
    copies.mkdir()
    for name in DOCUMENTS:
        shutil.copy(STRUCTURE / f"{name}.xml", copies / f"{name}.xml")
    import_files(again, sorted(copies.glob("*.xml")))
    from webui import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(again.data_dir)}).test_client()
    assert {doc_id: anchors(client, doc_id) for doc_id in DOCUMENTS} == before


def test_xpath_console_hits_link_to_the_passage_anchor(imported) -> None:
    _, app = imported
    client = app.test_client()
    data = client.get("/api/query", query_string={
        "q": "//tei:l[contains(., 'larkspur')] | //tei:msItem//tei:note"}).get_json()
    urls = sorted(hit["url"] for hit in data["hits"])
    assert urls == ["/documents/cited#1.2.14", "/documents/msdesc#msDesc.msContents.msItem2"]
    for url in urls:
        doc_id, address = url.removeprefix("/documents/").split("#")
        assert address in anchors(client, doc_id)
