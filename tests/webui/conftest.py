"""Fixtures for the viewer (flaskr's shape): one real data directory per session, an app, a client.

The data directory is the sample corpus built by the real pipeline (spaCy included, ~30 s,
once), plus five TEI documents of our own in other projects' manners (``tests/fixtures/foreign``:
a letter with its lists, a play, verse, a history with notes, a critical apparatus) imported
with ``archive.interchange`` (stored as they are, their own lists in the registry under namespaced
ids), plus one hostile document whose title, text and registry names carry markup and script.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from archive.build import build, sample_sources
from archive.config import Settings
from archive.index.update import update_index
from archive.interchange.importer import import_files
from archive.registry.authority import Entry, load_registry

FOREIGN_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"
#: The ids the importer gives the five documents (their publication idno, else the file name).
FOREIGN = {"letters__1851-06-14-Marsh.xml": "letters__1851-06-14-marsh",
           "stagetexts__engine.xml": "stage000001",
           "earlyprint__B00042.xml": "b00042",
           "historians__bridges.xml": "bridges",
           "variorum__the-ferryman.xml": "variorum__the-ferryman"}
EVIL_TITLE = '<script>alert("title")</script>'
EVIL_NAME = '<script>alert("name")</script>'
EVIL_VARIANT = '"onmouseover=alert(1) x="'
EVIL_TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">
  <teiHeader><fileDesc>
    <titleStmt><title>&lt;script&gt;alert("title")&lt;/script&gt;</title>
      <author>"onmouseover=alert(1) x="</author></titleStmt>
    <publicationStmt><publisher>TEI Archive</publisher>
      <idno type="archive">evil</idno></publicationStmt>
    <sourceDesc><bibl><title level="j">&lt;img src=x onerror=alert(1)&gt;</title></bibl>
    </sourceDesc>
  </fileDesc></teiHeader>
  <text><body><div xml:id="d1">
    <head xml:id="h1">&lt;script&gt;alert("head")&lt;/script&gt;</head>
    <p xml:id="p1">Body &lt;script&gt;alert("body")&lt;/script&gt; and "onmouseover=alert(1) x="
      <ref target="javascript:alert(1)">a javascript link</ref>,
      <ref target="https://example.org/?a=1&amp;b=&quot;2&quot;">a fair link</ref>,
      <persName ref="#evil-person">the evil one</persName>
      <unknownThing>kept text</unknownThing>.</p>
  </div></body></text>
</TEI>
"""


def build_data_dir(root: Path) -> Path:
    """Build the test data directory under ``root`` once; later calls reuse it."""
    data = root / "data"
    done = root / "built.ok"
    if done.exists():
        return data
    settings = Settings(data_dir=data)
    report = build(settings, sample_sources())
    assert not report.failures, report.failures
    imported = import_files(settings, [FOREIGN_DIR / name for name in FOREIGN])
    assert {path.name: doc_id for doc_id, path in imported} == FOREIGN
    (settings.tei_dir / "evil.xml").write_text(EVIL_TEI, encoding="utf-8")
    registry = load_registry(settings)
    registry.add(Entry("evil-person", "person", EVIL_NAME, variants=(EVIL_VARIANT,),
                       idnos=(("wikidata", "javascript:alert(1)"),)))
    registry.save(settings.registry_dir)
    update_index(settings, full=True)
    done.touch()
    return data


def _data_dirs(value: Any) -> set[Path]:
    """The data directory a fixture's value is or serves (a path, settings, an app, a
    client), where it holds an index."""
    if isinstance(value, Settings):
        value = value.data_dir
    config = getattr(getattr(value, "application", value), "config", None)
    if isinstance(config, dict) and config.get("DATA_DIR"):
        value = Path(config["DATA_DIR"])
    return {value} if isinstance(value, Path) and (value / "index.sqlite").is_file() else set()


@pytest.fixture(autouse=True)
def _on_both_engines(request: pytest.FixtureRequest, index_engine: Any) -> Any:
    """Every viewer test runs on the SQLite index and on PostgreSQL (tests/postgres.py): on
    PostgreSQL its database holds the index of the data directory its fixtures made before
    (a session's archive); one it indexes itself is published as it is indexed."""
    if index_engine.name == "postgresql":
        # the test's own arguments first (a copy of the session's archive is made from it)
        own = inspect.signature(request.function).parameters
        for names in ([name for name in request.fixturenames if name in own],
                      request.fixturenames):
            found: set[Path] = set()
            for name in names:
                if name not in ("request", "_on_both_engines", "index_engine"):
                    found |= _data_dirs(request.getfixturevalue(name))
            if len(found) == 1:
                index_engine.use(found.pop())
            if found:
                break
    return index_engine


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's data directory; tests must not change it."""
    return build_data_dir(tmp_path_factory.getbasetemp() / "webui")


@pytest.fixture
def app(data_dir: Path):
    from webui import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)})


@pytest.fixture
def client(app):
    return app.test_client()


#: Documents for the DTS and citation tests (their ids): a play that declares its citation
#: scheme (act.scene.line) with TeX's special characters in its names, a play citing by
#: ``refsDecl`` alone, a drama without identifiers, a novel, a corpus of two documents, a
#: record without text, books cited as scripture is ("Amos 1:2").
CITED = {"dts/play.xml": "wager", "structure/cited.xml": "cited",
         "structure/drama.xml": "drama", "structure/novel.xml": "novel",
         "structure/corpus.xml": "corpus", "dts/empty.xml": "empty",
         "dts/books.xml": "books"}


@pytest.fixture(scope="session")
def cited_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory of the :data:`CITED` documents, imported and indexed (no NLP)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("cited") / "data")
    fixtures = FOREIGN_DIR.parent
    imported = import_files(settings, [fixtures / name for name in CITED])
    assert [doc_id for doc_id, _ in imported] == list(CITED.values())
    update_index(settings, full=True)
    return settings.data_dir
