"""Registry entry edits: values checked (one line for a bad one), written, logged, undoable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.curation import EntryEdit, check_idno, edit_entry, latest, undo
from archive.errors import RegistryError
from archive.registry import Registry, load_registry

BAD_IDNOS = ["viaf:abc", "viaf:0123", "wikidata:33391", "wikidata:Q", "gnd:12345",
             "geonames:-5", "geonames:12a", "orcid:0000-0002-1825-0097", "viaf"]
GOOD_IDNOS = [("viaf:102333412", ("viaf", "102333412")), ("wikidata:Q33391", ("wikidata",
              "Q33391")), ("gnd:118623761", ("gnd", "118623761")),
              ("gnd:4005728-8", ("gnd", "4005728-8")), ("GeoNames:2950159",
              ("geonames", "2950159"))]


@pytest.mark.parametrize("value", BAD_IDNOS)
def test_a_bad_authority_id_is_refused_in_one_line(data: Settings, value: str) -> None:
    before = {p.name: p.read_bytes() for p in data.registry_dir.glob("*.xml")}
    result = CliRunner().invoke(cli, ["--data", str(data.data_dir), "registry", "edit",
                                      "leon-trotsky", "--idno", value, "--as", "anna"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("archive: error: ")
    assert {p.name: p.read_bytes() for p in data.registry_dir.glob("*.xml")} == before
    assert latest(data) == []


@pytest.mark.parametrize(("value", "pair"), GOOD_IDNOS)
def test_good_authority_ids_are_read(value: str, pair: tuple[str, str]) -> None:
    assert check_idno(value) == pair


@pytest.mark.parametrize(("edit", "message"), [
    (EntryEdit(birth="1879-13-01"), "birth must be YYYY"),
    (EntryEdit(death="1870"), "death 1870 is before birth"),
    (EntryEdit(geo="10,10"), "only places have coordinates"),
    (EntryEdit(name="  "), "the name is empty"),
])
def test_bad_values_are_refused(data: Settings, edit: EntryEdit, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        edit_entry(data, "leon-trotsky", edit, editor="anna")


def test_an_edit_changes_the_entry_and_can_be_undone(data: Settings) -> None:
    before = {p.name: p.read_bytes() for p in data.registry_dir.glob("*.xml")}
    result = CliRunner().invoke(cli, [
        "--data", str(data.data_dir), "registry", "edit", "moscow", "--geo", "55.75,37.62",
        "--idno", "wikidata:Q649", "--idno", "geonames:524901", "--variant", "Moskva",
        "--note", "Capital from 1918.", "--as", "anna"])
    assert result.exit_code == 0, result.output
    entry = load_registry(data).require("moscow")
    assert entry.geo == (55.75, 37.62)
    assert ("wikidata", "Q649") in entry.idnos and entry.variants == ("Moskva",)
    assert entry.notes == ("Capital from 1918.",)
    assert Registry.load(data.registry_dir).require("moscow") == entry  # round trip
    assert "note:     Capital from 1918." in result.output
    with pytest.raises(RegistryError, match="out of range"):
        edit_entry(data, "moscow", EntryEdit(geo="95,10"), editor="anna")
    undo(data, latest(data)[0].id, "anna")
    assert {p.name: p.read_bytes() for p in data.registry_dir.glob("*.xml")} == before


def test_review_decisions_are_logged(data: Settings) -> None:
    proposal = next(e.id for e in load_registry(data).entries.values() if e.proposed)
    result = CliRunner().invoke(cli, ["--data", str(data.data_dir), "review", "reject",
                                      proposal, "--as", "anna"])
    assert result.exit_code == 0, result.output
    change = latest(data)[0]
    assert change.who == "anna" and change.what.startswith(f"Rejected proposal {proposal}")
    undo(data, change.id, "anna")
    assert load_registry(data).require(proposal).proposed


def test_undoing_the_first_registry_edit_goes_back_to_the_sample_registry(
        data: Settings) -> None:
    import shutil

    shutil.rmtree(data.registry_dir)  # no registry yet: the bundled sample registry is read
    sample = load_registry(data)
    change = edit_entry(data, "moscow", EntryEdit(notes=["A note."]), editor="anna")
    assert data.registry_dir.is_dir() and load_registry(data).require("moscow").notes
    undo(data, change.id, "anna")
    assert not data.registry_dir.exists()
    assert load_registry(data) == sample
