"""Which NER model tags: the packaged spaCy model, or the one ``archive train`` made last.

``archive train`` writes each model it trains into ``DATA/models/ner-<n>/`` and then names it
in ``DATA/models/current`` (one line, e.g. ``ner-3``). Tagging in that data directory loads the
model ``current`` names; without one (or with no data directory) the packaged model. The model
that made a tag is named in the document's ``appInfo`` (the ``archive-ner`` application).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tei.build import Application

from ..errors import ArchiveError
from ..store import valid_id

MODELS_DIR = "models"
CURRENT_FILE = "current"
#: The key in a trained model's ``meta.json`` that says what it is.
META_KEY = "archive"


def models_dir(data_dir: Path) -> Path:
    """Where a data directory keeps its trained models."""
    return data_dir / MODELS_DIR


def current_model(data_dir: Path | None) -> Path | None:
    """The directory of the model ``DATA/models/current`` names, or None when there is none.

    :raise ArchiveError: ``current`` names no model directory (one clear line).
    """
    if data_dir is None:
        return None
    pointer = models_dir(data_dir) / CURRENT_FILE
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = models_dir(data_dir) / name
    if not valid_id(name) or not (path / "meta.json").is_file():
        raise ArchiveError(f"names no trained model ({name!r}); run `archive train` again or "
                           f"remove the file", str(pointer))
    return path


def ner_application(nlp: Any) -> Application:
    """The ``appInfo`` application of the NER model ``nlp``: the packaged one or a trained one."""
    meta = nlp.meta
    base = f"{meta.get('lang', 'en')}_{meta.get('name', 'core_web_sm')}"
    trained = meta.get(META_KEY)
    if isinstance(trained, dict) and trained.get("model"):
        model = str(trained["model"])
        return Application(
            "archive-ner", f"archive-{model}", str(trained.get("version", meta["version"])),
            f"statistical named-entity recogniser: spaCy {trained.get('base', base)} fine-tuned "
            f"by archive train on {trained.get('examples', '?')} vetted blocks "
            f"(model {model}, seed {trained.get('seed', '?')})")
    return Application("archive-ner", "spacy-en_core_web_sm", "3.8.0",
                       "statistical named-entity recogniser (spaCy en_core_web_sm 3.8.0)")
