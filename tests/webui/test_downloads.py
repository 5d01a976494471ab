"""Downloads: a document's TEI export, the browse selection as teiCorpus / zip / CSV, an
entity's mentions as CSV; and names of an imported document linked through its own lists."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter

import pytest

from archive.registry.lists import slug
from tei.namespaces import NSMAP, TEI_CORPUS, TEI_ROOT, XML_ID, tei
from tei.parse import parse_bytes

DOC = "003_717e887f31c42029"  # "In Honor of the Left Opposition"
LETTER = "letters__1851-06-14-marsh"  # imported from tests/fixtures/foreign

# selections of the browse page, as query strings
SELECTIONS = ["person=leon-trotsky", "person=leon-trotsky&place=moscow", "q=opposition",
              "kind=essay&q=Stalin", "", f"person={LETTER}.Byron"]


@pytest.fixture
def paged_client(data_dir):
    """A viewer showing two documents a page: downloads must still hold every match."""
    from webui import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(data_dir), "PAGE_SIZE": 2}).test_client()


def matching_ids(client, query: str) -> list[str]:
    data = client.get(f"/api/documents?{query}").get_json()
    assert data["total"] == len(data["documents"])  # the page size (50) holds them all
    return [document["id"] for document in data["documents"]]


def archive_id(root) -> str | None:
    idno = root.find("tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='archive']",
                     NSMAP)
    return None if idno is None else idno.text


def member_id(member) -> str:
    """A teiCorpus member's archive id: our documents carry it; imported ones' prefixed
    xml:ids tell (the importer named them after their root xml:id, else a publication
    idno)."""
    if archive_id(member):
        return archive_id(member)
    prefixes = {e.get(XML_ID).rpartition(".")[0] for e in member.iter() if e.get(XML_ID)}
    if prefixes:
        assert len(prefixes) == 1, prefixes
        return prefixes.pop()
    idno = member.find("tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno", NSMAP)
    assert idno is not None and (idno.text or "").strip()
    return slug(idno.text.strip())


def test_document_export_is_self_contained_tei(client) -> None:
    response = client.get(f"/documents/{DOC}/export.tei")
    assert response.status_code == 200
    assert response.mimetype == "application/tei+xml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{DOC}.xml"'
    root = parse_bytes(response.data).getroot()
    assert root.tag == TEI_ROOT and archive_id(root) == DOC
    # every name's pointer resolves within the file: the registry entries travel with it
    ids = {element.get(XML_ID) for element in root.iter() if isinstance(element.tag, str)}
    refs = {token[1:] for element in root.iter(tei("persName"), tei("placeName"), tei("orgName"))
            for token in (element.get("ref") or "").split() if token.startswith("#")}
    assert "leon-trotsky" in refs and refs <= ids
    assert root.find("tei:standOff[@type='archive-registry']", NSMAP) is not None


def test_imported_document_exports_as_stored(client, data_dir) -> None:
    response = client.get(f"/documents/{LETTER}/export.tei")
    assert response.status_code == 200
    assert response.data == (data_dir / "tei" / f"{LETTER}.xml").read_bytes()


def test_reading_view_offers_the_export(client) -> None:
    html = client.get(f"/documents/{DOC}").get_data(as_text=True)
    assert (f'<a href="/documents/{DOC}/export.tei" download title="TEI with the registry '
            f'entries it names, for other archives">Download TEI export</a>') in html
    assert client.get(f"/api/documents/{DOC}").get_json()["export_url"] == (
        f"/documents/{DOC}/export.tei")


@pytest.mark.parametrize("query", SELECTIONS)
def test_selection_as_tei_corpus(client, paged_client, query: str) -> None:
    expected = matching_ids(client, query)
    response = paged_client.get(f"/export.teicorpus?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/tei+xml"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="selection.teicorpus.xml"')
    root = parse_bytes(response.data).getroot()
    assert root.tag == TEI_CORPUS
    members = root.findall("tei:TEI", NSMAP)
    assert len(members) == len(expected)
    assert [member_id(member) for member in members] == expected
    every = [e.get(XML_ID) for e in root.iter() if isinstance(e.tag, str) and e.get(XML_ID)]
    assert len(every) == len(set(every))


@pytest.mark.parametrize("query", SELECTIONS)
def test_selection_as_zip(client, paged_client, query: str) -> None:
    expected = matching_ids(client, query)
    response = paged_client.get(f"/export.zip?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="selection.zip"'
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = bundle.read("manifest-sha256.txt").decode().splitlines()
    listed = sorted(line.split("  ", 1)[1] for line in manifest)
    assert [name for name in listed if name.startswith("tei/")] == sorted(
        f"tei/{doc_id}.xml" for doc_id in expected)
    assert {line.split("  ", 1)[1] for line in manifest} == set(bundle.namelist()) - {
        "manifest-sha256.txt"}


@pytest.mark.parametrize("query", SELECTIONS)
def test_selection_mentions_as_csv(client, paged_client, query: str) -> None:
    expected = matching_ids(client, query)
    response = paged_client.get(f"/export.csv?{query}")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="selection-mentions.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    counts = {doc_id: sum(client.get(f"/api/documents/{doc_id}").get_json()["mentions"].values())
              for doc_id in expected}
    assert Counter(row["document"] for row in rows) == +Counter(counts)


def test_browse_page_offers_the_selection(client) -> None:
    html = client.get("/?person=leon-trotsky&place=moscow&q=opposition").get_data(as_text=True)
    state = "person=leon-trotsky&amp;place=moscow&amp;q=opposition"
    for path, label in (("/export.teicorpus", "TEI corpus"), ("/export.zip", "Zip for deposit"),
                        ("/export.csv", "Mentions as CSV")):
        assert f'<a href="{path}?{state}" download>{label}</a>' in html
    everything = client.get("/?page=2").get_data(as_text=True)
    assert '<a href="/export.zip" download>Zip for deposit</a>' in everything  # paging dropped
    assert "/export.zip" not in client.get("/?q=zzzqqqxx").get_data(as_text=True)


def test_a_selection_over_the_limit_is_refused(data_dir) -> None:
    from webui import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "EXPORT_LIMIT": 3}
                        ).test_client()
    response = client.get("/export.zip?person=leon-trotsky")
    assert response.status_code == 413
    assert "The selection holds 5 documents; the viewer exports up to 3." in (
        response.get_data(as_text=True))
    html = client.get("/?person=leon-trotsky").get_data(as_text=True)
    assert "/export.zip" not in html and "Downloads hold up to 3 documents" in html


def test_entity_mentions_as_csv(client) -> None:
    response = client.get("/entities/leon-trotsky/mentions.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="leon-trotsky-mentions.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == client.get("/api/entities/leon-trotsky").get_json()["mentions"]
    assert {(row["ref"], row["name"], row["type"]) for row in rows} == {
        ("leon-trotsky", "Leon Trotsky", "person")}
    html = client.get("/entities/leon-trotsky").get_data(as_text=True)
    assert ('<a href="/entities/leon-trotsky/mentions.csv" download>mentions as CSV</a>'
            in html)


@pytest.mark.parametrize("url", [
    "/documents/nope/export.tei", "/documents/..%2F..%2Fetc%2Fpasswd/export.tei",
    "/documents/index.sqlite/export.tei", "/entities/nope/mentions.csv",
    "/entities/..%2Fregistry/mentions.csv", "/export.zip?q=zzzqqqxx",
    "/export.teicorpus?person=nobody", "/export.csv?year=abc",
])
def test_unknown_ids_and_empty_selections_are_404(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Content-Disposition" not in response.headers


# --- names in imported documents ---------------------------------------------------------

def test_imported_names_link_through_their_own_lists(client) -> None:
    html = client.get(f"/documents/{LETTER}").get_data(as_text=True)
    # the letter's `#Byron` is its own list's entry, registered as `<doc>.Byron`
    assert (f'<a data-tei="persName" class="m m-person" href="/entities/{LETTER}.Byron" '
            f'data-entity="{LETTER}.Byron">') in html
    # `#Shelley_PB` points into lists of its project that we do not have: no link
    shelley = re.search(r"<(\w+) data-tei=\"persName\"[^>]*>P\. Shelley<", html)
    assert shelley is not None and shelley.group(1) == "span"
    card = client.get(f"/api/entities/{LETTER}.Byron").get_json()
    assert (card["id"], card["type"], card["mentions"]) == (f"{LETTER}.Byron", "person", 2)
    assert all(m["doc"] == LETTER for m in card["mention_list"])
    page = client.get(f"/entities/{LETTER}.Byron")
    assert page.status_code == 200
