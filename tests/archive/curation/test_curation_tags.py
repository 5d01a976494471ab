"""Tag edits on one document: each changes exactly what it says, writes @resp and the
revisionDesc, keeps the document valid and round-trippable, and refuses bad spans in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.curation import (
    add_tag,
    apply_all,
    document_etag,
    join_tags,
    latest,
    list_tags,
    preview_apply_all,
    relink_tag,
    remove_tag,
    retype_tag,
    split_tag,
)
from archive.errors import ArchiveError
from archive.interchange import export_tei, import_files, stored_bytes_equal
from archive.index import mentions_of
from archive.validation import load_registry_ids, validate_document
from tei.namespaces import NSMAP
from tei.parse import parse_bytes
from tei.read import text_of

DOC = "000_cc213c6dc1d17911"
PASSAGE = "p1"  # "The Left Opposition (...) was a faction within the Russian Communist ..."


def path_of(settings: Settings, doc: str = DOC) -> Path:
    return settings.tei_dir / f"{doc}.xml"


def body_without_tags(data: bytes) -> str:
    """The document's text with every tag taken off (what no edit may change)."""
    tree = parse_bytes(data)
    return text_of(tree.getroot().find("{*}text"))


def check_valid(settings: Settings, doc: str = DOC) -> None:
    report = validate_document(path_of(settings, doc).read_bytes(), settings,
                               load_registry_ids(settings))
    assert report.valid, report.issues[:3]


def only_difference(before: bytes, after: bytes) -> list[str]:
    """The lines that differ (the edited paragraph, the header's additions)."""
    old, new = before.decode().splitlines(), after.decode().splitlines()
    return [line for line in new if line not in old]


def test_add_tag_wraps_exactly_the_span_with_the_editor_as_resp(data: Settings) -> None:
    before = path_of(data).read_bytes()
    edit = add_tag(data, DOC, editor="Anna Smith", seen=document_etag(data, DOC),
                   passage=PASSAGE, kind="org", text="faction")
    after = path_of(data).read_bytes()
    assert body_without_tags(after) == body_without_tags(before)
    tree = parse_bytes(after)
    tag = tree.xpath("//tei:p[@xml:id='p1']/tei:orgName[. = 'faction']", namespaces=NSMAP)[0]
    assert dict(tag.attrib) == {"resp": "#ed-anna-smith"}
    stmt = tree.xpath("//tei:titleStmt/tei:respStmt[@xml:id='ed-anna-smith']",
                      namespaces=NSMAP)[0]
    assert stmt.findtext("{*}name") == "Anna Smith"
    change = tree.xpath("//tei:revisionDesc/tei:change[last()]", namespaces=NSMAP)[0]
    assert change.get("who") == "#ed-anna-smith"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", change.get("when"))
    assert "faction" in change.text
    # only the paragraph, the respStmt and the change are new lines
    new_lines = only_difference(before, after)
    assert len([line for line in new_lines if 'xml:id="p1"' in line]) == 1
    assert sum("<change" in line for line in new_lines) == 1
    assert edit.etags == {DOC: document_etag(data, DOC)}
    assert latest(data, 1)[0].who == "Anna Smith"
    check_valid(data)


def test_a_tagged_date_is_normalised(data: Settings) -> None:
    tags = list_tags(data, DOC, PASSAGE)
    year = next(tag for tag in tags if tag.type == "date" and tag.when == "1924")
    remove_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=year.number)
    assert all(tag.text != "1924" or tag.type != "date" for tag in list_tags(data, DOC, PASSAGE))
    add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="date",
            start=year.start, end=year.end)
    again = next(tag for tag in list_tags(data, DOC, PASSAGE) if tag.start == year.start)
    assert (again.type, again.when, again.resp) == ("date", "1924", "#ed-anna")
    check_valid(data)


def test_retype_relink_split_join_remove(data: Settings) -> None:
    tags = list_tags(data, DOC, PASSAGE)
    trotsky = next(tag for tag in tags if tag.text == "Leon Trotsky")
    number = trotsky.number
    retype_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number,
               kind="org")
    got = list_tags(data, DOC, PASSAGE)[number - 1]
    assert (got.type, got.ref, got.resp) == ("org", None, "#ed-anna")  # a person's id dropped
    retype_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number,
               kind="person", entity="leon-trotsky")
    relink_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number,
               entity="joseph-stalin")
    got = list_tags(data, DOC, PASSAGE)[number - 1]
    assert (got.type, got.ref, got.text) == ("person", "#joseph-stalin", "Leon Trotsky")
    split_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number, at=4)
    first, second = list_tags(data, DOC, PASSAGE)[number - 1:number + 1]
    assert (first.text, second.text) == ("Leon", "Trotsky")
    assert (first.start, first.end, second.start, second.end) == (
        trotsky.start, trotsky.start + 4, trotsky.start + 5, trotsky.end)
    join_tags(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number)
    joined = list_tags(data, DOC, PASSAGE)[number - 1]
    assert (joined.text, joined.start, joined.end, joined.ref) == (
        "Leon Trotsky", trotsky.start, trotsky.end, "#joseph-stalin")
    before = body_without_tags(path_of(data).read_bytes())
    remove_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, number=number)
    assert len(list_tags(data, DOC, PASSAGE)) == len(tags) - 1
    assert body_without_tags(path_of(data).read_bytes()) == before
    assert [change.what.split()[0] for change in latest(data, 7)] == [
        "Removed", "Joined", "Split", "Linked", "Changed", "Changed"]
    check_valid(data)


def test_a_new_registry_entry_is_made_with_the_tag(data: Settings) -> None:
    add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="org", text="faction",
            new_name="Faction (Bolshevik)")
    tag = next(t for t in list_tags(data, DOC, PASSAGE) if t.text == "faction")
    assert tag.ref == "#faction-bolshevik"
    assert "faction-bolshevik" in (data.registry_dir / "orgs.xml").read_text()
    check_valid(data)
    files = {file.path for file in latest(data, 1)[0].files}
    assert files == {f"tei/{DOC}.xml", "registry/orgs.xml"}


@pytest.mark.parametrize(("text", "reason"), [
    ("Opposition (", "crosses the boundary of <orgName>"),
    ("Leon", "lies inside <persName>"),
    ("Leon Trotsky", "holds the tag <persName>"),
])
def test_a_span_crossing_an_element_is_refused_in_one_line(data: Settings, text: str,
                                                           reason: str) -> None:
    before = path_of(data).read_bytes()
    result = CliRunner().invoke(cli, ["--data", str(data.data_dir), "tags", "add", DOC,
                                      "--passage", PASSAGE, "--text", text, "--type", "person",
                                      "--as", "anna"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "passage p1" in lines[0], lines
    assert re.search(r"line \d+", lines[0])
    assert path_of(data).read_bytes() == before
    assert latest(data) == []


def test_an_entity_of_another_type_is_refused(data: Settings) -> None:
    with pytest.raises(ArchiveError, match="is a place, not a person"):
        add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="person",
                text="faction", entity="moscow")


def test_apply_all_does_exactly_the_previewed_places(data: Settings) -> None:
    places = preview_apply_all(data, "party", "org", "russian-communist-party")
    assert len({place.doc for place in places}) >= 1 and len(places) >= 2
    assert all(place.text == "party" for place in places)
    before = {path.stem: path.read_bytes() for path in data.tei_dir.glob("*.xml")}
    edit = apply_all(data, places, editor="anna", kind="org", entity="russian-communist-party")
    changed = {path.stem for path in data.tei_dir.glob("*.xml")
               if path.read_bytes() != before[path.stem]}
    assert changed == {place.doc for place in places} == set(edit.etags)
    for place in places:
        tag = next(t for t in list_tags(data, place.doc, place.passage)
                   if (t.start, t.end) == (place.start, place.end))
        assert (tag.type, tag.ref, tag.resp) == ("org", "#russian-communist-party", "#ed-anna")
        check_valid(data, place.doc)
    assert preview_apply_all(data, "party", "org", "russian-communist-party") == []
    # the index sees the new tags at once
    indexed = [row for row in mentions_of(data, entity="russian-communist-party")
               if row[4] == "party"]
    assert len(indexed) == len(places)


def test_an_edited_document_round_trips_through_export_and_import(data: Settings,
                                                                  tmp_path: Path) -> None:
    add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="org", text="faction")
    exported = export_tei(data, DOC)
    assert parse_bytes(exported).xpath("//tei:orgName[@resp='#ed-anna']", namespaces=NSMAP)
    copy = tmp_path / "export" / f"{DOC}.xml"
    copy.parent.mkdir()
    copy.write_bytes(exported)
    again = Settings(data_dir=tmp_path / "again")
    import_files(again, [copy])
    assert stored_bytes_equal((again.tei_dir / f"{DOC}.xml").read_bytes(),
                              path_of(data).read_bytes())


def test_cli_tags_list_and_add(data: Settings) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["--data", str(data.data_dir), "tags", "list", DOC,
                                 "--passage", PASSAGE])
    assert listed.exit_code == 0
    etag = listed.output.splitlines()[0].split("\t")[1]
    added = runner.invoke(cli, ["--data", str(data.data_dir), "tags", "add", DOC, "--passage",
                                PASSAGE, "--text", "faction", "--type", "org", "--etag", etag,
                                "--as", "anna"])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("change 1: Tagged \u201cfaction\u201d as org")
    stale = runner.invoke(cli, ["--data", str(data.data_dir), "tags", "remove", DOC,
                                "--passage", PASSAGE, "--tag", "1", "--etag", etag])
    assert stale.exit_code == 1
    assert "changed since you read it (change 1 by anna" in stale.output
