"""Issue 22: the OAI-PMH 2.0 provider at ``/oai``.

Every answer is checked against the protocol's own XML Schemas (OAI-PMH.xsd, oai_dc.xsd and
simple DC, vendored in tests/fixtures/oai with their provenance); every verb, every error code;
``from``/``until`` windows on an archive whose files carry chosen change times; sets; and a
real harvest with the ``sickle`` client against a real ``archive serve`` process, paging by
resumption tokens, that must bring every record back exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from archive_tests_servers import free_port, wait_for_port
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from archive.config import Settings
from archive.index import document_catalogue, update_index
from archive.interchange import export_tei
from archive.store import iter_tei_files
from webui import create_app

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "oai"
NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "tei": "http://www.tei-c.org/ns/1.0"}
REPOSITORY = "archive.example.org"
PAGE = 4


def _schema() -> etree.XMLSchema:
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{(FIXTURES / name).as_uri()}"/>'
        for namespace, name in ((NS["oai"], "OAI-PMH.xsd"), (NS["oai_dc"], "oai_dc.xsd"),
                                (NS["tei"], "tei-lax.xsd")))
    return etree.XMLSchema(etree.fromstring(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'))


SCHEMA = _schema()


def valid(data: bytes) -> etree._Element:
    """The answer parsed, after checking it against the OAI-PMH schemas."""
    root = etree.fromstring(data)
    assert SCHEMA.validate(root), SCHEMA.error_log
    return root


def oai_app(data: Path, **config: object):
    return create_app({"TESTING": True, "DATA_DIR": str(data), "OAI_PAGE_SIZE": PAGE,
                       "OAI_REPOSITORY_ID": REPOSITORY, **config})


@pytest.fixture
def oai(data_dir: Path):
    """A client of the session archive's viewer, with small OAI pages."""
    return oai_app(data_dir).test_client()


def ask(client, method: str = "GET", **args: str) -> etree._Element:
    response = (client.post("/oai", data=args) if method == "POST"
                else client.get("/oai?" + urlencode(args)))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return valid(response.data)


def error_code(root: etree._Element) -> str | None:
    error = root.find("oai:error", NS)
    return None if error is None else error.get("code")


def ids(root: etree._Element) -> list[str]:
    return [element.text for element in root.iterfind(".//oai:header/oai:identifier", NS)]


def identifier(doc_id: str) -> str:
    return f"oai:{REPOSITORY}:{doc_id}"


# --- the verbs ---------------------------------------------------------------------------------

def test_identify(oai, data_dir: Path) -> None:
    root = ask(oai, verb="Identify")
    assert root.find("oai:request", NS).get("verb") == "Identify"
    identify = root.find("oai:Identify", NS)
    text = {child.tag.split("}")[1]: child.text for child in identify}
    assert text["baseURL"] == "http://localhost/oai"
    assert text["protocolVersion"] == "2.0"
    assert text["deletedRecord"] == "no"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert text["adminEmail"] == "admin@example.org"
    # the earliest change time of the files, in UTC to the second
    earliest = min(path.stat().st_mtime_ns for path in iter_tei_files(data_dir / "tei"))
    assert text["earliestDatestamp"] == datetime.fromtimestamp(
        earliest // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_identify_takes_its_settings(data_dir: Path) -> None:
    client = oai_app(data_dir, OAI_ADMIN_EMAIL="keeper@archive.example.org",
                     OAI_REPOSITORY_NAME="Letters of the Left",
                     BASE_URL="https://archive.example.org/").test_client()
    root = ask(client, verb="Identify")
    assert root.findtext("oai:Identify/oai:repositoryName", namespaces=NS) == "Letters of the Left"
    assert root.findtext("oai:Identify/oai:adminEmail",
                         namespaces=NS) == "keeper@archive.example.org"
    assert root.findtext("oai:Identify/oai:baseURL",
                         namespaces=NS) == "https://archive.example.org/oai"


def test_list_metadata_formats(oai) -> None:
    for args in ({}, {"identifier": identifier("stage000001")}):
        root = ask(oai, verb="ListMetadataFormats", **args)
        formats = {element.findtext("oai:metadataPrefix", namespaces=NS):
                   element.findtext("oai:metadataNamespace", namespaces=NS)
                   for element in root.iterfind(".//oai:metadataFormat", NS)}
        assert formats == {"oai_dc": NS["oai_dc"], "tei": NS["tei"]}
    root = ask(oai, verb="ListMetadataFormats", identifier=identifier("no-such-document"))
    assert error_code(root) == "idDoesNotExist"


def test_list_sets(oai) -> None:
    root = ask(oai, verb="ListSets")
    sets = {element.findtext("oai:setSpec", namespaces=NS):
            element.findtext("oai:setName", namespaces=NS)
            for element in root.iterfind(".//oai:set", NS)}
    assert sets["kind"] == "Documents by kind"
    assert sets["kind:letter"] == "Documents by kind: letter"
    assert sets["kind:drama"] == "Documents by kind: drama"
    assert sets["language:en"] == "Documents by language: en"
    # a kind with a space: escaped in the setSpec, as it is in the name
    assert sets["kind:encyclopedia~20article"] == "Documents by kind: encyclopedia article"
    assert error_code(ask(oai, verb="ListSets", resumptionToken="x")) == "badResumptionToken"


def test_get_record_dublin_core(oai, data_dir: Path) -> None:
    root = ask(oai, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=identifier("letters__1851-06-14-marsh"))
    record = root.find("oai:GetRecord/oai:record", NS)
    assert record.findtext("oai:header/oai:identifier", namespaces=NS) == identifier(
        "letters__1851-06-14-marsh")
    assert [spec.text for spec in record.iterfind("oai:header/oai:setSpec", NS)] == [
        "kind:letter", "language:en"]
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    row = next(row for row in document_catalogue(Settings(data_dir=data_dir))
               if row["id"] == "letters__1851-06-14-marsh")
    assert dc.findtext("dc:title", namespaces=NS) == row["title"]
    assert [t.text for t in dc.iterfind("dc:type", NS)] == ["Text", "letter"]
    assert dc.findtext("dc:identifier", namespaces=NS) == (
        "http://localhost/documents/letters__1851-06-14-marsh")


def test_get_record_tei_is_the_export(oai, data_dir: Path) -> None:
    """The tei record is the document ``archive export`` writes, registry entries and all."""
    for doc_id in ("stage000001", "003_717e887f31c42029"):
        root = ask(oai, verb="GetRecord", metadataPrefix="tei", identifier=identifier(doc_id))
        tei = root.find("oai:GetRecord/oai:record/oai:metadata/tei:TEI", NS)
        exported = etree.fromstring(export_tei(Settings(data_dir=data_dir), doc_id))
        assert (etree.tostring(tei, method="c14n", exclusive=True)
                == etree.tostring(exported, method="c14n", exclusive=True))


def test_list_identifiers_and_records_page_by_token(oai, data_dir: Path) -> None:
    everything = sorted(row["id"] for row in document_catalogue(Settings(data_dir=data_dir)))
    for verb in ("ListIdentifiers", "ListRecords"):
        seen: list[str] = []
        root = ask(oai, verb=verb, metadataPrefix="oai_dc")
        cursors = []
        while True:
            seen += ids(root)
            token = root.find(f"oai:{verb}/oai:resumptionToken", NS)
            if token is None:
                break
            assert token.get("completeListSize") == str(len(everything))
            cursors.append(int(token.get("cursor")))
            if not token.text:
                break
            root = ask(oai, verb=verb, resumptionToken=token.text)
        assert seen == [identifier(doc_id) for doc_id in everything]
        assert cursors == list(range(0, len(everything), PAGE))


def test_post_reads_like_get(oai) -> None:
    by_get = ask(oai, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:letter")
    by_post = ask(oai, "POST", verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:letter")
    assert ids(by_post) == ids(by_get) == [identifier("letters__1851-06-14-marsh")]


def test_sets_select(oai, data_dir: Path) -> None:
    rows = document_catalogue(Settings(data_dir=data_dir))
    root = ask(oai, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:drama")
    assert ids(root) == [identifier(row["id"]) for row in rows if row["kind"] == "drama"]
    # a set holds its subsets: "kind" is every document that has a kind
    with_kind = [identifier(row["id"]) for row in rows if row["kind"]]
    seen, args = [], {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "kind"}
    while True:
        root = ask(oai, **args)
        seen += ids(root)
        token = root.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
        if not token:
            break
        args = {"verb": "ListIdentifiers", "resumptionToken": token}
    assert seen == with_kind
    assert error_code(ask(oai, verb="ListRecords", metadataPrefix="oai_dc",
                          set="kind:no-such-kind")) == "noRecordsMatch"


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, code", [
    ({}, "badVerb"),
    ({"verb": "ListEverything"}, "badVerb"),
    ({"verb": "GetRecord", "identifier": "x"}, "badArgument"),  # no metadataPrefix
    ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),  # not Identify's
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2001-13-40"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2002-01-01",
      "until": "2001-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2001-01-01",
      "until": "2002-01-01T00:00:00Z"}, "badArgument"),  # two granularities
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "kind::letter"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "no such"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "kind\x01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "mods",
      "identifier": identifier("stage000001")}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc",
      "identifier": "oai:elsewhere.org:stage000001"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc",
      "identifier": identifier("../../etc/passwd")}, "idDoesNotExist"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
      "from": "2999-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListIdentifiers", "resumptionToken": "e30"}, "badResumptionToken"),  # "{}"
])
def test_errors_are_the_protocols(oai, args: dict[str, str], code: str) -> None:
    root = ask(oai, **args)
    assert error_code(root) == code
    request = root.find("oai:request", NS)
    assert request.text == "http://localhost/oai"
    if code in ("badVerb", "badArgument"):  # the request's arguments are not echoed
        assert dict(request.attrib) == {}


def test_repeated_arguments(oai) -> None:
    for query, code in (("verb=Identify&verb=Identify", "badVerb"),
                        ("verb=ListSets&verb=Identify", "badVerb"),
                        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=tei",
                         "badArgument")):
        response = oai.get(f"/oai?{query}")
        assert response.status_code == 200
        assert error_code(valid(response.data)) == code


def test_a_token_of_another_verb_is_refused(oai) -> None:
    root = ask(oai, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    assert token
    assert error_code(ask(oai, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


def test_parameters_over_the_bounds_are_bad_arguments(oai) -> None:
    response = oai.get("/oai?verb=ListRecords&resumptionToken=" + "x" * 5000)
    assert response.status_code == 200
    assert error_code(valid(response.data)) == "badArgument"


def test_an_archive_without_sets_says_so(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.tei_dir.mkdir(parents=True)
    update_index(settings, full=True)
    client = oai_app(settings.data_dir).test_client()
    assert error_code(ask(client, verb="ListSets")) == "noSetHierarchy"
    assert error_code(ask(client, verb="ListRecords", metadataPrefix="oai_dc",
                          set="kind:letter")) == "noSetHierarchy"
    assert error_code(ask(client, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    identify = ask(client, verb="Identify")
    assert identify.findtext("oai:Identify/oai:earliestDatestamp",
                             namespaces=NS) == "1970-01-01T00:00:00Z"


# --- from / until, on files of chosen change times --------------------------------------------

#: file name → its change time (UTC).
DATED = {"a.xml": "2001-01-01T00:00:00Z", "b.xml": "2002-06-15T10:00:00Z",
         "c.xml": "2002-06-15T23:59:59Z", "d.xml": "2003-12-31T12:00:00Z"}


def _seconds(value: str) -> int:
    return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def write_tei(path: Path, when: str | None = None) -> None:
    """A small TEI document (its id: the file's name), changed at ``when``."""
    path.write_text(f"""<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">
  <teiHeader><fileDesc><titleStmt><title>Document {path.stem}</title></titleStmt>
    <publicationStmt><p>For the OAI tests.</p></publicationStmt>
    <sourceDesc><p>Born digital.</p></sourceDesc></fileDesc></teiHeader>
  <text><body><p xml:id="p1">Text of {path.stem}.</p></body></text>
</TEI>
""", encoding="utf-8")
    if when:
        os.utime(path, (_seconds(when), _seconds(when)))


def dated_archive(root: Path) -> Settings:
    """An archive of ``a.xml`` … ``d.xml``, changed at :data:`DATED`."""
    settings = Settings(data_dir=root)
    settings.tei_dir.mkdir(parents=True)
    for name, when in DATED.items():
        write_tei(settings.tei_dir / name, when)
    update_index(settings, full=True)
    return settings


@pytest.fixture
def dated(tmp_path: Path):
    return oai_app(dated_archive(tmp_path / "dated").data_dir).test_client()


@pytest.mark.parametrize("window, expected", [
    ({}, "abcd"),
    ({"from": "2002-01-01"}, "bcd"),
    ({"until": "2002-06-15"}, "abc"),  # a day: to its last second
    ({"from": "2002-06-15", "until": "2002-06-15"}, "bc"),
    ({"from": "2002-06-15T10:00:00Z", "until": "2002-06-15T10:00:00Z"}, "b"),
    ({"from": "2002-06-15T10:00:01Z"}, "cd"),
    ({"until": "2002-06-15T23:59:58Z"}, "ab"),
    ({"from": "2003-12-31T12:00:00Z"}, "d"),
])
def test_from_until_windows(dated, window: dict[str, str], expected: str) -> None:
    root = ask(dated, verb="ListIdentifiers", metadataPrefix="oai_dc", **window)
    assert ids(root) == [identifier(name) for name in expected]
    stamps = [element.text for element in root.iterfind(".//oai:header/oai:datestamp", NS)]
    assert stamps == [DATED[f"{name}.xml"] for name in expected]


def test_a_token_survives_a_changed_archive(tmp_path: Path) -> None:
    """Lists go in identifier order and a token says where the last page ended: a document
    added before that point is not sent twice, nor the others skipped; the count is the new
    one."""
    settings = dated_archive(tmp_path / "dated")
    client = oai_app(settings.data_dir, OAI_PAGE_SIZE=2).test_client()
    first = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert ids(first) == [identifier("a"), identifier("b")]
    token = first.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    write_tei(settings.tei_dir / "aa.xml")  # before the point reached
    write_tei(settings.tei_dir / "e.xml")  # after it
    update_index(settings)
    second = ask(client, verb="ListIdentifiers", resumptionToken=token)
    assert ids(second) == [identifier("c"), identifier("d")]
    assert second.find("oai:ListIdentifiers/oai:resumptionToken", NS).get(
        "completeListSize") == "6"
    token = second.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    third = ask(client, verb="ListIdentifiers", resumptionToken=token)
    assert ids(third) == [identifier("e")]
    last = third.find("oai:ListIdentifiers/oai:resumptionToken", NS)
    assert (last.text, last.get("cursor")) == (None, "4")


# --- a real harvester against a real server ----------------------------------------------------


@pytest.fixture(scope="module")
def served(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``archive serve`` of the session archive with 3 records a page: its /oai."""
    port = free_port()
    log = tmp_path_factory.mktemp("oai-serve") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ARCHIVE_OAI_PAGE_SIZE": "3",
           "ARCHIVE_OAI_REPOSITORY_ID": REPOSITORY}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(data_dir), "serve", "--port",
             str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/oai"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sickle_harvests_every_record_once(served: str, data_dir: Path, method: str) -> None:
    everything = sorted(identifier(row["id"])
                        for row in document_catalogue(Settings(data_dir=data_dir)))
    sickle = Sickle(served, http_method=method, max_retries=0, timeout=120)
    assert sickle.Identify().repositoryName == "TEI Archive"
    assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {"oai_dc", "tei"}
    assert "kind:letter" in {s.setSpec for s in sickle.ListSets()}
    headers = [header.identifier for header in
               sickle.ListIdentifiers(metadataPrefix="oai_dc")]
    assert headers == everything  # 3 a page: four pages
    records = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    assert [record.header.identifier for record in records] == everything
    titles = {record.header.identifier: record.metadata.get("title") for record in records}
    assert titles[identifier("stage000001")] == ["The Engine: a scene"]
    # TEI pages end before an xml:id would repeat: more pages, still every record once
    tei = list(sickle.ListRecords(metadataPrefix="tei"))
    assert [record.header.identifier for record in tei] == everything
    assert all(record.xml.find(".//tei:TEI", NS) is not None for record in tei)
    letters = [record.header.identifier
               for record in sickle.ListRecords(metadataPrefix="oai_dc", set="kind:letter")]
    assert letters == [identifier("letters__1851-06-14-marsh")]
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "2999-01-01"}))
    record = sickle.GetRecord(identifier=identifier("stage000001"), metadataPrefix="tei")
    assert record.header.identifier == identifier("stage000001")


def test_the_footer_links_the_protocols(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/oai?verb=Identify"' in page
    assert 'href="/reconcile"' in page


def test_tei_pages_never_repeat_an_id(dated) -> None:
    """Each of a.xml … d.xml has a ``p1``: one TEI record an answer, each answer valid XML."""
    seen, args = [], {"verb": "ListRecords", "metadataPrefix": "tei"}
    while True:
        root = ask(dated, **args)
        records = root.findall("oai:ListRecords/oai:record", NS)
        assert len(records) == 1
        seen += ids(root)
        token = root.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
        if not token:
            break
        args = {"verb": "ListRecords", "resumptionToken": token}
    assert seen == [identifier(name) for name in "abcd"]


def test_reading_posts_pass_the_editing_checks(data_dir: Path, tmp_path: Path) -> None:
    """With editing on (sessions, CSRF), a harvester's or OpenRefine's POST carries no CSRF
    token: /oai and /reconcile answer it (they only read), while the app still starts (no
    writing route without a role)."""
    client = create_app({"DATA_DIR": str(data_dir), "EDITING": True,
                         "SECRET_KEY": "k" * 64, "OAI_REPOSITORY_ID": REPOSITORY}).test_client()
    root = ask(client, "POST", verb="GetRecord", metadataPrefix="oai_dc",
               identifier=identifier("stage000001"))
    assert error_code(root) is None
    response = client.post("/reconcile", data={"queries": '{"q0": {"query": "London"}}'})
    assert response.status_code == 200
    assert response.get_json()["q0"]["result"]
