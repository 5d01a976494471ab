"""``archive train`` and ``archive evaluate``: the tagger learns from vetted tags, and an
editor sees the tagger's quality on tagged TEI.

Training runs as a real ``archive`` process on a fixture of invented diary paragraphs in which
``Pemberly`` (a name the packaged model never tags) is a person.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.annotate import Recogniser, load_nlp
from archive.learn import read_blocks, score, text_of_document
from archive.registry import Registry
from tei.parse import parse_tei, parse_tei_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "learn"
TRAIN_FIXTURE = FIXTURES / "pemberly.xml"
TINY = FIXTURES / "tiny.xml"
#: A sentence the fixture does not hold, and one whose names the packaged model gets right.
NEW_SENTENCE = "The curate asked whether Pemberly had paid the rent."
KNOWN_SENTENCE = "Charles Dickens wrote from London to his sister."
EPOCHS = "12"


def archive(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=300)


def names(recogniser: Recogniser, text: str) -> set[tuple[str, str]]:
    [found] = recogniser.recognise([text])
    return {(text[m.start:m.end], m.type) for m in found}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose current model was trained on the fixture."""
    data = tmp_path_factory.mktemp("learn") / "data"
    result = archive(data, "train", "--from", str(TRAIN_FIXTURE), "--epochs", EPOCHS,
                     "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "trained ner-1" in result.stdout
    return data


def test_training_teaches_a_new_name_and_keeps_the_old(trained: Path) -> None:
    base = Recogniser(Registry(), nlp=load_nlp())
    assert ("Pemberly", "person") not in names(base, NEW_SENTENCE)  # the base model misses it
    assert {("Charles Dickens", "person"), ("London", "place")} <= names(base, KNOWN_SENTENCE)

    assert (trained / "models" / "current").read_text().strip() == "ner-1"
    after = Recogniser(Registry(), data_dir=trained)
    assert ("Pemberly", "person") in names(after, NEW_SENTENCE)
    # rehearsal: what the base model knew, it still knows
    assert {("Charles Dickens", "person"), ("London", "place")} <= names(after, KNOWN_SENTENCE)


def test_tagging_names_the_trained_model_in_app_info(trained: Path, tmp_path: Path) -> None:
    source = tmp_path / "note.txt"
    source.write_text(f"A note\n\n{NEW_SENTENCE}\n", encoding="utf-8")
    result = archive(trained, "encode", str(source), "--annotate")
    assert result.returncode == 0, result.stderr
    tree = parse_tei_bytes(result.stdout.encode())
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    [app] = tree.xpath("//t:appInfo/t:application[@xml:id='archive-ner']", namespaces=ns)
    assert app.get("ident") == "archive-ner-1"
    assert "ner-1" in "".join(app.itertext())
    [tag] = tree.xpath("//t:persName[. = 'Pemberly']", namespaces=ns)
    assert tag.get("resp") == "#archive-ner"


def test_training_is_deterministic_given_a_seed(trained: Path, tmp_path: Path) -> None:
    again = tmp_path / "data"
    result = archive(again, "train", "--from", str(TRAIN_FIXTURE), "--epochs", EPOCHS,
                     "--seed", "1")
    assert result.returncode == 0, result.stderr
    first = (trained / "models" / "ner-1" / "ner" / "model").read_bytes()
    assert (again / "models" / "ner-1" / "ner" / "model").read_bytes() == first


def test_train_without_vetted_tags_fails_in_one_line(tmp_path: Path) -> None:
    untagged = tmp_path / "plain.xml"
    untagged.write_text(TINY.read_text(encoding="utf-8").replace("persName", "hi")
                        .replace("placeName", "hi").replace("orgName", "hi"), encoding="utf-8")
    data = tmp_path / "data"
    result = archive(data, "train", "--from", str(untagged))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nothing to learn from" in result.stderr
    assert not (data / "models").exists()

    missing = archive(data, "train", "--from", str(tmp_path / "nowhere.xml"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "nowhere.xml: no such file or directory" in missing.stderr


def test_a_broken_current_pointer_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    (data / "models" / "current").write_text("ner-7\n")
    source = tmp_path / "note.txt"
    source.write_text("A note\n\nCharles Dickens wrote.\n", encoding="utf-8")
    result = archive(data, "tag", str(source))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "names no trained model" in result.stderr


def test_alignment_reads_the_text_as_the_edition_shows_it() -> None:
    blocks = text_of_document(parse_tei(TINY))
    assert [b.text for b in blocks] == [
        "Letters",
        "Yesterday Charles Dickens wrote from London to Mr William Wilkie Collins.",
        "The Royal Society met in Paris.",
    ]
    spans = [[(b.text[g.start:g.end], g.type) for g in b.spans] for b in blocks]
    assert spans == [
        [],
        [("Charles Dickens", "person"), ("London", "place"),
         ("Mr William Wilkie Collins", "person")],
        [("Royal Society", "org"), ("Paris", "place")],
    ]


def test_alignment_keeps_the_outermost_name_and_dates_inside_names() -> None:
    root = parse_tei_bytes(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body>'
        b'<p>See <orgName>the <placeName>Bath</placeName> Society of '
        b'<date when="1800">1800</date></orgName> and <del>not this</del> that.</p>'
        b'</body></text></TEI>').getroot()
    [block] = read_blocks(root)
    assert block.text == "See the Bath Society of 1800 and that."
    assert [(block.text[g.start:g.end], g.type, g.when) for g in block.spans] == [
        ("the Bath Society of 1800", "org", None), ("1800", "date", "1800")]


def test_score_counts_strict_and_one_to_one_lenient_matches() -> None:
    gold = [(0, 0, 10, "person"), (0, 20, 25, "person"), (1, 0, 5, "place")]
    predicted = [(0, 0, 10, "person"),  # strict
                 (0, 2, 8, "person"),   # overlaps the same gold: not a second lenient hit
                 (0, 22, 30, "person"),  # lenient only
                 (1, 0, 5, "org")]      # wrong type
    result = score(gold, predicted)
    person = result.per_type["person"]
    assert (person.gold, person.predicted, person.strict, person.lenient) == (2, 3, 1, 2)
    assert person.figures()["precision"] == pytest.approx(1 / 3)
    assert person.figures(lenient=True)["f1"] == pytest.approx(2 * (2 / 3) / (2 / 3 + 1))
    place = result.per_type["place"]
    assert (place.gold, place.predicted, place.strict) == (1, 0, 0)
    assert place.figures()["precision"] is None and place.figures()["recall"] == 0.0


def test_evaluate_prints_counts_worked_out_by_hand(tmp_path: Path) -> None:
    result = archive(tmp_path / "data", "evaluate", str(TINY), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # gold: Charles Dickens, Mr William Wilkie Collins; London, Paris; Royal Society
    # bare spaCy: "Yesterday" DATE (no gold date), "Charles Dickens" and "London"/"Paris"
    # exact, "William Wilkie Collins" (no "Mr") and "The Royal Society" (with "The") overlap only
    spacy = report["spacy"]["per_type"]
    counts = {k: (v["gold"], v["predicted"], v["strict_hits"], v["lenient_hits"])
              for k, v in spacy.items()}
    assert counts == {"person": (2, 2, 1, 2), "place": (2, 2, 2, 2), "org": (1, 1, 0, 1),
                      "date": (0, 1, 0, 0)}
    overall = report["spacy"]["overall"]
    assert overall["strict"]["precision"] == pytest.approx(3 / 6)
    assert overall["strict"]["recall"] == pytest.approx(3 / 5)
    assert overall["lenient"]["recall"] == pytest.approx(1.0)
    tagger = report["tagger"]["per_type"]
    assert {k: v["gold"] for k, v in tagger.items()} == {"person": 2, "place": 2, "org": 1,
                                                         "date": 0}
    assert report["model"] == "spacy-en_core_web_sm"

    table = archive(tmp_path / "data", "evaluate", str(TINY))
    assert table.returncode == 0, table.stderr
    assert "5 gold mention(s)" in table.stdout
    assert any(line.startswith("person") and "tagger" in line
               for line in table.stdout.splitlines())
