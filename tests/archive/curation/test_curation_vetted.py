"""Accepted and corrected mentions are what ``archive train`` learns as vetted."""

from __future__ import annotations

from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.curation import add_tag
from archive.learn import collect
from archive.registry import load_registry
from archive.validation import load_registry_ids, validate_document


def vetted_texts(settings: Settings) -> set[str]:
    return {block.text[span.start:span.end] for block in collect(settings).vetted
            for span in block.spans}


def test_accepting_a_proposal_makes_its_mentions_vetted(data: Settings) -> None:
    registry = load_registry(data)
    proposal = next(e for _, e in sorted(registry.entries.items()) if e.proposed
                    and any(f'ref="#{e.id}"' in p.read_text() for p in data.tei_dir.glob("*.xml")))
    result = CliRunner().invoke(cli, ["--data", str(data.data_dir), "review", "accept",
                                      proposal.id, "--as", "anna"])
    assert result.exit_code == 0, result.output
    assert proposal.name in vetted_texts(data)
    ids = load_registry_ids(data)
    for path in data.tei_dir.glob("*.xml"):
        text = path.read_text()
        if f'ref="#{proposal.id}"' in text:
            assert 'resp="#ed-anna"' in text and "<change who=\"#ed-anna\"" in text
            assert validate_document(path.read_bytes(), data, ids).valid


def test_a_tag_an_editor_adds_is_vetted(data: Settings) -> None:
    add_tag(data, "000_cc213c6dc1d17911", editor="anna", seen=None, passage="p1", kind="org",
            text="faction")
    assert "faction" in vetted_texts(data)
