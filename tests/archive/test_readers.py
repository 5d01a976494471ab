"""The text, Markdown and HTML readers, on the five samples and on texts of our own."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import SAMPLES_DIR
from archive.ingest.readers import READERS, html, markdown, text
from archive.ingest.readers.common import (
    aside_type,
    edges,
    guess_date,
    is_quotation,
    looks_like_bibl_entry,
    looks_like_heading,
)
from archive.model import Block, Span

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
SAMPLES = {
    "000_cc213c6dc1d17911": "text",
    "001_2150701daa3a8e63": "text",
    "002_03e551045637ca3f": "text",
    "003_717e887f31c42029": "text",
    "004_50eb6e51b711ced3": "markdown",
}


def sample(stem: str) -> str:
    return (SAMPLES_DIR / f"{stem}.txt").read_text(encoding="utf-8")


def blocks_of(stem: str) -> tuple[Block, ...]:
    return READERS[SAMPLES[stem]](sample(stem)).blocks


def kinds(blocks: tuple[Block, ...] | list[Block]) -> list[tuple[str, str]]:
    return [(block.kind, block.text) for block in blocks]


@pytest.mark.parametrize("stem", sorted(SAMPLES))
def test_every_span_of_every_sample_is_verbatim(stem: str) -> None:
    source = sample(stem)
    spans = [span for block in blocks_of(stem) for span in block.label + block.spans]
    misplaced = [span for span in spans
                 if span.start is None or source[span.start:span.end] != span.text]
    assert spans and misplaced == []


@pytest.mark.parametrize("stem", sorted(SAMPLES))
def test_samples_use_only_known_kinds_and_no_empty_blocks(stem: str) -> None:
    known = {"title", "head", "p", "item", "gloss", "quote", "bibl", "aside"}
    blocks = blocks_of(stem)
    assert {block.kind for block in blocks} <= known
    assert all(block.text.strip() for block in blocks)


def test_000_wiki_title_infobox_sections_and_members() -> None:
    blocks = blocks_of("000_cc213c6dc1d17911")
    assert kinds(blocks[:2]) == [("title", "Left Opposition"), ("aside", "Left Opposition")]
    assert blocks[1].type == "infobox"
    glosses = [(block.label[0].text, block.text) for block in blocks if block.kind == "gloss"]
    assert glosses[:3] == [("Native Name Lang", "ru"), ("Colorcode", "red"),
                           ("Leader", "Leon Trotsky")]
    assert len(glosses) == 9
    heads = [(block.level, block.text) for block in blocks if block.kind == "head"]
    assert heads == [(1, "Emergence and dissolution"), (1, "Historical evaluation"),
                     (1, "Leading members of the Left Opposition"), (1, "See also")]
    items = [block.text for block in blocks if block.kind == "item"]
    assert len(items) == 35
    assert items[1] == "Alexander Beloborodov (1891–1938)"
    assert items[-1] == "United Opposition (Soviet Union)"


def test_000_first_gloss_spans_point_at_key_and_value() -> None:
    gloss = next(block for block in blocks_of("000_cc213c6dc1d17911") if block.kind == "gloss")
    source = sample("000_cc213c6dc1d17911")
    line_start = source.index("- Native Name Lang: ru")
    assert gloss.label == (Span("Native Name Lang", line_start + 2),)
    assert gloss.spans == (Span("ru", line_start + 20),)


def test_001_title_without_edit_bare_headings_and_bullets() -> None:
    blocks = blocks_of("001_2150701daa3a8e63")
    assert kinds(blocks[:1]) == [("title", "Left Opposition")]
    assert blocks[0].spans == (Span("Left Opposition", 0),)
    assert [block.text for block in blocks if block.kind == "head"] == [
        "Origins and overview", "Key ideas and arguments", "Controversies and debates",
        "Repression and aftermath", "Legacy and historiography", "See also"]
    items = [block.text for block in blocks if block.kind == "item"]
    assert len(items) == 18
    assert items[0].startswith("The Left Opposition grew out of disputes")
    assert items[4].startswith("Democratic centralism and internal party democracy: ")
    assert [block.kind for block in blocks[1:4]] == ["p", "p", "p"]


def test_002_embedded_post_headings_and_quotations() -> None:
    blocks = blocks_of("002_03e551045637ca3f")
    asides = [(block.type, block.text[:40]) for block in blocks if block.kind == "aside"]
    assert asides == [("embed", "New issue of IDOM magazine coming out ve"),
                      ("embed", "— Wellred Books Britain (@WellredBritain")]
    assert "title" not in {block.kind for block in blocks}
    assert [block.text for block in blocks if block.kind == "head"] == [
        "Rise of the bureaucracy", "Founding of the Left Opposition",
        "Socialism in one country?", "Splits in the triumvirate", "The United Opposition",
        "Platform of the Opposition", "Towards an International Left Opposition"]
    # a question in the introduction, followed by the embed, stays a paragraph
    assert kinds(blocks[4:5]) == [
        ("p", "What did the Left Opposition really stand for – and against?")]
    quotes = [block.text.split()[:3] for block in blocks if block.kind == "quote"]
    assert quotes == [["“Our", "comrades", "expressed"], ["“The", "military", "victory"],
                      ["“The", "Left", "Opposition"], ["“Only", "a", "frightful"],
                      ["“It", "is", "the"]]


def test_003_title_byline_quotes_bibliography_and_colophon() -> None:
    reading = text.parse(sample("003_717e887f31c42029"))
    blocks = reading.blocks
    assert [(b.kind, b.type, b.text) for b in blocks[:3]] == [
        ("title", None, "In Honor of the Left Opposition"),
        ("aside", "byline", "Against the Current, No. 67, March/April 1997"),
        ("aside", "byline", "Paul Le Blanc")]
    assert reading.guesses == {"periodical": "Against the Current", "issue": "67",
                               "date": "1997-03", "author": "Paul Le Blanc"}
    bibl = [block.text for block in blocks if block.kind == "bibl"]
    assert len(bibl) == 12
    assert bibl[0] == "Joseph Berger. Shipwreck of a Generation (London: Havrill Press, 1971)."
    assert bibl[2] == "Tony Cliff. Trotsky: 19271940 (London: Bookmarks, 1993)"  # no "<./p>"
    assert bibl[8] == "__________. Memoirs of a Revolutionary (London: Writers and Readers, 1984)."
    assert (blocks[-1].kind, blocks[-1].type, blocks[-1].text) == (
        "aside", "colophon", "ATC 67, March-April 1997")
    assert [block.text for block in blocks if block.kind == "head"] == [
        "Working-Class Ferment, Bureaucratic Repression", "Capitulators and Stalwarts",
        "Grandeur…and the Deep Black Night"]
    assert sum(block.kind == "quote" for block in blocks) == 7


def test_004_markdown_kicker_title_byline_italics_and_link() -> None:
    reading = markdown.parse(sample("004_50eb6e51b711ced3"))
    blocks = reading.blocks
    assert [(b.kind, b.type) for b in blocks[:3]] == [
        ("aside", "kicker"), ("title", None), ("aside", "byline")]
    assert blocks[1].spans == (Span("On the Founding of the Left Opposition", 83),)
    assert blocks[2].spans == (Span("David North", 123), Span("\n", 136, kind="lb"),
                               Span("8 October 2023", 137))
    assert reading.guesses == {"author": "David North", "date": "2023-10-08"}
    intro = blocks[3]
    assert intro.kind == "p" and [span.rend for span in intro.spans] == ["italic"]
    assert intro.text.startswith("To initiate its commemoration")
    assert sum(block.spans[0].rend == "italic" for block in blocks if block.kind == "p") == 8
    contact = sample("004_50eb6e51b711ced3").index("To contact")
    assert [(b.type, b.spans) for b in blocks[-2:]] == [
        ("promotional", (Span("To contact the WSWS and the", contact),
                         Span("\n", contact + 29, kind="lb"),
                         Span("Socialist Equality Party visit:", contact + 30))),
        ("promotional", (Span("wsws.org/contact", contact + 66, rend="bold",
                              target="https://wsws.org/contact"),))]


@pytest.mark.parametrize(("line", "heading"), [
    ("Rise of the bureaucracy", True),
    ("Socialism in one country?", True),
    ("Working-Class Ferment, Bureaucratic Repression", True),
    ("Grandeur…and the Deep Black Night", True),
    ("1924 and after", True),
    ("He left.", False),
    ("Pre-order now!", False),
    ("It rained in Moscow. We left", False),
    ("“A phrase in quotes”", False),
    ("and then the party split", False),
    ("Stalinism set out to destroy the greatest conquest of Marxism:", False),
    ("This line is far too long to be a heading because it goes on and on for many words", False),
])
def test_heading_shape(line: str, heading: bool) -> None:
    assert looks_like_heading(line) is heading


def test_bare_line_is_a_heading_only_before_longer_body_text() -> None:
    source = ("Early years\n\n"
              "He was born in a village and grew up among peasants who taught him.\n\n"
              "Thank you all\n\nSee you soon\n")
    assert kinds(text.read(source)) == [
        ("title", "Early years"),
        ("p", "He was born in a village and grew up among peasants who taught him."),
        ("p", "Thank you all"), ("p", "See you soon")]


def test_wiki_heading_levels_count_the_equals_signs() -> None:
    source = "= Title =\n\n==Section==\n\nSome text here.\n\n=== Sub section ===\n\nMore text.\n"
    assert [(b.kind, b.level, b.text) for b in text.read(source)] == [
        ("title", 0, "Title"), ("head", 1, "Section"), ("p", 0, "Some text here."),
        ("head", 2, "Sub section"), ("p", 0, "More text.")]


def test_hard_wrapped_paragraph_is_one_block_with_its_newlines() -> None:
    source = ("The Platform of the 46 was sent to the Politburo on\n"
              "15 October 1923, and it was never published in the\n"
              "Soviet Union while its authors lived.\n")
    blocks = text.read(source)
    assert blocks == [Block("p", (Span(source.rstrip("\n"), 0),))]


def test_bullets_indented_quotes_and_notes_in_plain_text() -> None:
    source = ("Sources of the period\n\n  • Pravda, daily\n  * Bolshevik, a journal\n"
              "    An indented block quotation from a letter.\n\nReferences\n\n"
              "Carr, E. H. The Interregnum. 1954.\n\nDeutscher, I. The Prophet Unarmed. 1959.\n")
    assert kinds(text.read(source)) == [
        ("title", "Sources of the period"), ("item", "Pravda, daily"),
        ("item", "Bolshevik, a journal"),
        ("quote", "An indented block quotation from a letter."), ("head", "References"),
        ("bibl", "Carr, E. H. The Interregnum. 1954."),
        ("bibl", "Deutscher, I. The Prophet Unarmed. 1959.")]


@pytest.mark.parametrize(("line", "kind"), [
    ("Subscribe", "promotional"),
    ("Share", "promotional"),
    ("Pre-order now!", "promotional"),
    ("Look at this pic.twitter.com/TpgRKkuDYF", "embed"),
    ("— Wellred Books Britain (@WellredBritain) October 4, 2023", "embed"),
    ("We call on workers and youth to join us and share this struggle.", None),
    ("Subscribers to Pravda numbered in the hundreds of thousands by 1924, a figure "
     "that the party was quick to boast of in every report.", None),
])
def test_aside_type(line: str, kind: str | None) -> None:
    assert aside_type(line) == kind


@pytest.mark.parametrize(("paragraph", "quotation"), [
    ("“It is the task of the Opposition to re-establish the thread.”", True),
    ("“Only a frightful earthquake can bring such devastation", True),  # runs on
    ("“The military victory will provoke a depression.” (Our emphasis)", True),
    ("“Scratch the workers’ state at any point,” explained Lenin.", False),
    ("“In its development,” he wrote, “bureaucratisation threatens.”", False),
    ("Trotsky explained: “We are few.”", False),
])
def test_is_quotation(paragraph: str, quotation: bool) -> None:
    assert is_quotation(paragraph) is quotation


@pytest.mark.parametrize(("phrase", "iso"), [
    ("8 October 2023", "2023-10-08"),
    ("October 4, 2023", "2023-10-04"),
    ("Against the Current, No. 67, March/April 1997", "1997-03"),
    ("first published in 1993", "1993"),
    ("no date at all", None),
])
def test_guess_date(phrase: str, iso: str | None) -> None:
    assert guess_date(phrase) == iso


@pytest.mark.parametrize(("entry", "bibl"), [
    ("Ante Ciliga. The Russian Enigma (London: Ink Links, 1979).", True),
    ("__________. Midnight of the Century (London: Writers and Readers, 1982).", True),
    ("Trotsky was exiled to Alma Ata (in 1928).", False),
])
def test_bibliography_entry_shape(entry: str, bibl: bool) -> None:
    assert looks_like_bibl_entry(entry) is bibl


def test_markdown_fixture_blocks_and_offsets() -> None:
    source = (FIXTURES / "emphasis_links_lists.md").read_text(encoding="utf-8")
    reading = markdown.parse(source)
    assert reading.title == "A Small Guide"
    assert reading.guesses == {"author": "Ada Lovelace", "date": "1843-03-03"}
    assert [(b.kind, b.level, b.type, b.text) for b in reading.blocks] == [
        ("title", 0, None, "A Small Guide"),
        ("aside", 0, "byline", "By Ada Lovelace\n3 March 1843"),
        ("p", 0, None, "Some italic and bold words, a link, and an escaped * star."),
        ("head", 1, None, "Notes on method"),
        ("item", 0, None, "first item"),
        ("item", 0, None, "second item"),
        ("quote", 0, None, "A quoted line\nthat goes on."),
        ("head", 2, None, "Deeper"),
        ("p", 0, None, "indented code"),
        ("head", 1, None, "References"),
        ("bibl", 0, None, "Menabrea, L. F. Sketch of the Analytical Engine (1842).")]
    paragraph = reading.blocks[2]
    assert [(s.text, s.rend, s.target, s.start is None) for s in paragraph.spans] == [
        ("Some ", None, None, False), ("italic", "italic", None, False),
        (" and ", None, None, False), ("bold", "bold", None, False),
        (" words, a ", None, None, False), ("link", None, "https://example.org/a", False),
        (", and an escaped ", None, None, False), ("*", None, None, True),  # "\*": not verbatim
        (" star.", None, None, False)]
    for block in reading.blocks:
        for span in block.spans:
            assert span.start is None or source[span.start:span.end] == span.text


def test_html_fixture_blocks() -> None:
    reading = html.parse((FIXTURES / "page_with_nav.html").read_text(encoding="utf-8"))
    assert reading.title == "The Platform of the 46"
    assert reading.blocks == (
        Block("title", (Span("The Platform of the 46"),)),
        Block("p", (Span("On "), Span("15 October 1923", rend="italic"),
                    Span(", forty-six members wrote to the "),
                    Span("Politburo", target="https://example.org/politburo"), Span("."),
                    Span("\n", kind="lb"), Span("A second line."))),
        Block("head", (Span("Signatories"),), level=1),
        Block("item", (Span("Yevgeni "), Span("Preobrazhensky", rend="bold"))),
        Block("item", (Span("Georgy Pyatakov"),)),
        Block("quote", (Span("The regime is the dictatorship of a faction."),)),
        Block("gloss", (Span("1923"),), label=(Span("Date"),)),
        Block("aside", (Span("Subscribe"),), type="promotional"),
    )


def test_html_without_one_top_heading_has_no_title_block() -> None:
    reading = html.parse("<h2>Origins</h2><p>Text.</p><h3>Later</h3><p>More text.</p>"
                         "<h2>Notes</h2><p>Carr (1954).</p><div>Loose <i>text</i></div>")
    assert reading.title == "Origins"
    assert [(b.kind, b.level, b.text) for b in reading.blocks] == [
        ("head", 1, "Origins"), ("p", 0, "Text."), ("head", 2, "Later"),
        ("p", 0, "More text."), ("head", 1, "Notes"), ("bibl", 0, "Carr (1954)."),
        ("bibl", 0, "Loose text")]


@pytest.mark.parametrize(("raw", "content"), [
    ("<p>Text here</p>", "Text here"),
    ("  <br/> Text", "Text"),
    ("Tony Cliff. Trotsky (London: Bookmarks, 1993)<./p>",
     "Tony Cliff. Trotsky (London: Bookmarks, 1993)"),
    ("a < b and c > d", "a < b and c > d"),
])
def test_edges_strip_whitespace_and_stray_tags_only(raw: str, content: str) -> None:
    start, end = edges(raw, 0, len(raw))
    assert raw[start:end] == content


def test_edit_suffix_is_left_out_of_title_and_headings() -> None:
    source = ("Left OppositionEdit\n\n"
              "The faction was formed in October 1923 by forty-six members.\n\n"
              "OriginsEdit\n\nIt grew out of disputes within the party in the early 1920s.\n")
    assert [(b.kind, b.spans) for b in text.read(source)[::2]] == [
        ("title", (Span("Left Opposition", 0),)), ("head", (Span("Origins", 83),))]
