"""``archive train``: fine-tune the NER on the archive's vetted annotations, with rehearsal.

What is learnt (the *vetted* annotations): a tag counts as vetted when no tagging machine made
it: its ``@resp`` names none of the archive's tagging applications (``archive-ner``,
``archive-registry``, ``archive-coref``, ``archive-dates``). Every tag an editor adds or
corrects (``archive tags ...``, :mod:`archive.curation.tags`) points its ``@resp`` to the
editor's ``respStmt`` (``#ed-NAME``), and so does accepting a proposal in review for the
recogniser's mentions of it (:func:`archive.curation.entries.accept_proposal`). The training
blocks are then

- every block of the imported editions (``imports.json``, kind ``document``) and of the files
  given with ``--from``: their editors' ``persName``/``placeName``/``orgName``/``date`` tags
  are the names, the rest of their text is text without names;
- the blocks of the archive's own documents that hold at least one vetted tag.

In both, a tag a machine made is neither taught as a name nor as text without one (spaCy's
"missing" annotation). So that the model does not forget what it knew, as many blocks of other
text (the archive's own documents without vetted tags, else the bundled sample corpus) are
mixed in with the packaged model's own predictions as their annotation ("rehearsal").

Training always starts from the packaged model, in a fixed order for a given ``--seed``, so the
same data and seed give the same model. The model is written to ``DATA/models/ner-<n>/`` and
named in ``DATA/models/current``; tagging in that data directory then uses it and names it in
``appInfo``.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tei.parse import parse_tei

from .. import __version__
from ..annotate import CURRENT_FILE, META_KEY, MODEL, RESP_COMPONENTS, load_nlp, models_dir
from ..config import SAMPLES_DIR, Settings
from ..errors import ArchiveError
from ..ingest import read_source
from ..registry import load_imports
from ..store import atomic_write, data_lock
from .align import Block, text_of_document

#: Mention type → the spaCy label it is taught as.
LABEL_FOR_TYPE = {"person": "PERSON", "place": "GPE", "org": "ORG", "date": "DATE"}
#: The ids of the archive's tagging applications: their tags are not vetted.
MACHINES = frozenset(component.id for component in RESP_COMPONENTS.values())
BATCH = 16
DROPOUT = 0.2
#: Rehearsal blocks per training block.
REHEARSAL_RATIO = 1.0

Progress = Callable[[int, int], None]  # (steps done, steps in all)


@dataclass(frozen=True)
class TrainingData:
    """The vetted blocks to learn from and the other text to rehearse on."""

    vetted: list[Block]
    other: list[str]
    documents: int


@dataclass(frozen=True)
class Trained:
    """What ``archive train`` made."""

    name: str
    path: Path
    examples: int
    rehearsal: int
    documents: int


def read_tei_blocks(path: Path) -> list[Block]:
    """The blocks of one TEI file, machine-made tags marked unvetted.

    :raise tei.errors.TeiError: not a well-formed TEI file (one line, naming it).
    """
    return text_of_document(parse_tei(path), MACHINES)


def collect(settings: Settings, extra: Sequence[Path] = ()) -> TrainingData:
    """The archive's vetted blocks (and those of ``extra`` files) and text to rehearse on.

    :param settings: the data directory.
    :param extra: more tagged TEI files to learn from (``--from``).
    :raise ArchiveError: nothing vetted to learn from.
    """
    imported = {f"{key}.xml" for key, record in load_imports(settings).items()
                if record.kind == "document"}
    vetted: list[Block] = []
    other: list[str] = []
    documents = 0
    tei_dir = settings.tei_dir
    own = sorted(tei_dir.glob("*.xml")) if tei_dir.is_dir() else []
    for path in own:
        blocks = read_tei_blocks(path)
        if path.name in imported:
            vetted.extend(blocks)
            documents += 1
            continue
        chosen = [b for b in blocks if b.spans]
        vetted.extend(chosen)
        documents += bool(chosen)
        other.extend(b.text for b in blocks if not b.spans)
    for path in extra:
        vetted.extend(read_tei_blocks(path))
        documents += 1
    if not any(b.spans for b in vetted):
        raise ArchiveError("nothing to learn from: no vetted persName/placeName/orgName/date "
                           "tags in imported editions, reviewed documents or --from files",
                           str(settings.data_dir))
    if len(other) < len(vetted) * REHEARSAL_RATIO:
        for sample in sorted(SAMPLES_DIR.glob("*.txt")):
            other.extend(block.text for block in read_source(sample).blocks)
    return TrainingData(vetted, other, documents)


def _example(nlp: Any, block: Block) -> Any:
    from spacy.training import Example, offsets_to_biluo_tags

    doc = nlp.make_doc(block.text)
    entities = _disjoint([(g.start, g.end, LABEL_FOR_TYPE[g.type]) for g in block.spans])
    tags = offsets_to_biluo_tags(doc, entities, missing="-")
    for g in block.unvetted:
        for token in doc.char_span(g.start, g.end, alignment_mode="expand") or ():
            tags[token.i] = "-"
    return Example.from_dict(doc, {"entities": tags})


def _disjoint(entities: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Longest first, no overlaps (a date inside a name: the name)."""
    chosen: list[tuple[int, int, str]] = []
    for e in sorted(entities, key=lambda e: (e[0] - e[1], e[0])):
        if all(e[1] <= c[0] or c[1] <= e[0] for c in chosen):
            chosen.append(e)
    return sorted(chosen)


def _rehearsal(base: Any, texts: Sequence[str]) -> list[Any]:
    """The packaged model's own predictions on ``texts`` as examples."""
    from spacy.training import Example

    examples = []
    for doc in base.pipe(texts):
        reference = base.make_doc(doc.text)
        reference.ents = [reference.char_span(e.start_char, e.end_char, e.label_)
                          for e in doc.ents]
        examples.append(Example(base.make_doc(doc.text), reference))
    return examples


def fine_tune(data: TrainingData, *, epochs: int, seed: int,
              progress: Progress | None = None) -> tuple[Any, int, int]:
    """Fine-tune a fresh copy of the packaged NER on ``data``.

    :return: the trained pipeline, the number of vetted examples and of rehearsal examples.
    """
    from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]

    if epochs < 1:
        raise ArchiveError(f"--epochs must be at least 1, not {epochs}")
    fix_random_seed(seed)
    rng = random.Random(seed)
    base = load_nlp()
    nlp = load_nlp.__wrapped__()  # a fresh copy of the packaged model, NER only, not the cached one
    examples = [_example(nlp, b) for b in data.vetted if b.text.strip()]
    others = list(data.other)
    rng.shuffle(others)
    rehearsal = _rehearsal(base, others[: int(len(examples) * REHEARSAL_RATIO)])
    everything = examples + rehearsal
    optimizer = nlp.resume_training()
    batches = -(-len(everything) // BATCH)
    for epoch in range(epochs):
        rng.shuffle(everything)
        for n, batch in enumerate(minibatch(everything, size=BATCH)):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses={})
            if progress:
                progress(epoch * batches + n + 1, epochs * batches)
    return nlp, len(examples), len(rehearsal)


def next_name(settings: Settings) -> str:
    """``ner-<n>``, one more than the highest model in ``DATA/models``."""
    directory = models_dir(settings.data_dir)
    numbers = [int(p.name[4:]) for p in directory.glob("ner-*") if p.name[4:].isdigit()]
    return f"ner-{max(numbers, default=0) + 1}"


def train(settings: Settings, extra: Sequence[Path] = (), *, epochs: int = 5, seed: int = 0,
          progress: Progress | None = None, data: TrainingData | None = None) -> Trained:
    """Train a model on the archive's vetted annotations and make it the current one.

    :param settings: the data directory (its ``tei/``, ``imports.json`` and ``models/``).
    :param extra: more tagged TEI files to learn from.
    :param epochs: passes over the examples.
    :param seed: the random seed (same data and seed: same model).
    :param progress: called after each batch.
    :param data: what :func:`collect` gave for ``settings`` and ``extra``, if already read.
    :raise ArchiveError: nothing to learn from, or a bad option.
    :raise tei.errors.TeiError: an input file is not well-formed TEI.
    """
    data = data or collect(settings, extra)
    nlp, examples, rehearsal = fine_tune(data, epochs=epochs, seed=seed, progress=progress)
    directory = models_dir(settings.data_dir)
    with data_lock(settings.data_dir):
        directory.mkdir(parents=True, exist_ok=True)
        name = next_name(settings)
        nlp.meta[META_KEY] = {"model": name, "version": __version__, "examples": examples,
                              "rehearsal": rehearsal, "epochs": epochs, "seed": seed,
                              "base": f"{MODEL} {nlp.meta.get('version', '')}".strip()}
        partial = directory / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            nlp.to_disk(partial)
            os.replace(partial, directory / name)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        atomic_write(directory / CURRENT_FILE, f"{name}\n".encode())
    return Trained(name, directory / name, examples, rehearsal, data.documents)
