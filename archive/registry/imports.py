"""The import record: which documents of the data directory were imported, from where.

``imports.json`` in the data directory records what ``archive import`` brought in: the
reference resolver (:mod:`archive.registry.refs`) reads it to resolve imported documents'
pointers, and ``archive check`` and ``validate --all`` hold imported documents to TEI, not to
the archive's own rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ..config import Settings
from ..errors import ArchiveError
from ..store import atomic_write

IMPORTS_FILE = "imports.json"


@dataclass(frozen=True)
class ImportRecord:
    """One imported file: ``kind`` is ``"document"`` or ``"list"`` (a file of lists only).

    :param lists: ids of the list files this document points into (``persons.xml#p1``).
    """

    id: str
    path: str
    sha256: str
    kind: str = "document"
    lists: tuple[str, ...] = ()
    annotated: bool = False


def load_imports(settings: Settings) -> dict[str, ImportRecord]:
    """The data directory's import record (empty when nothing was imported)."""
    path = settings.data_dir / IMPORTS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {key: ImportRecord(**{**value, "lists": tuple(value.get("lists", ()))})
                for key, value in data["imports"].items()}
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(f"unreadable import record: {error}", str(path)) from None


def save_imports(settings: Settings, records: Mapping[str, ImportRecord]) -> None:
    data = {"imports": {key: asdict(records[key]) for key in sorted(records)}}
    atomic_write(settings.data_dir / IMPORTS_FILE,
                 (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def imported_files(settings: Settings) -> set[str]:
    """File names in ``tei/`` of imported documents (held to TEI, not to archive rules)."""
    return {f"{key}.xml" for key, record in load_imports(settings).items()
            if record.kind == "document"}
