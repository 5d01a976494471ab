"""Settings: defaults, read once, passed explicitly to the functions that need them."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The bundled sample corpus: the five sources with their metadata sidecars.
SAMPLES_DIR = PACKAGE_DIR / "samples"
#: The curated registry that ships with the sample corpus.
SAMPLE_REGISTRY_DIR = SAMPLES_DIR / "registry"
#: The project's schemas (archive.rng, archive.sch, archive.odd): the copy an installed wheel
#: carries inside the package (``archive/schemas/``, put there by ``setup.py``), else the
#: top-level ``schemas/`` of the checkout (an editable install), their source of truth.
SCHEMAS_DIR = next((folder for folder in (PACKAGE_DIR / "schemas", PACKAGE_DIR.parent / "schemas")
                    if (folder / "archive.rng").is_file()), PACKAGE_DIR / "schemas")

ARCHIVE_NAME = "TEI Archive"
DEFAULT_DATA_DIR = "archive-data"
#: argon2-cffi's profile (``argon2.profiles``) passwords are hashed with, unless set otherwise.
DEFAULT_PASSWORD_PROFILE = "RFC_9106_LOW_MEMORY"
#: How an ``ARCHIVE_*`` switch is turned on.
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class Settings:
    """Where the archive lives and how it behaves.

    :param data_dir: the data directory (TEI files, registry, index).
    :param tei_all_rng: path of the official tei_all.rng, for ``validate --schema tei_all``.
    :param query_timeout: seconds an XPath query may run.
    :param query_limit: result items reported before a query is cut.
    :param query_cache_mb: megabytes of parsed trees each XPath query worker keeps between
        queries (estimated: a tree takes about 8.4 times its file); what does not fit is parsed
        again at each query.
    :param facet_time_limit_ms: milliseconds a lookup may spend counting facet values; the
        facets not counted by then are reported as failed (Datasette's ``facet_time_limit_ms``).
    :param facet_document_seconds: seconds the indexing of one document (its declared facets)
        may take when a data directory declares facets of its own (``facets.toml``); past it
        the update fails, naming the facet and the document, and the index stays as it was.
    :param facet_memory_mb: megabytes of memory an indexing worker may add to what it started
        with (the same facets' limit of memory).
    :param titles_in_names: whether tagging puts a person's titles inside ``persName``
        ("Captain Clark", "Mr. Haydon"), as many editions do; by default (the archive's
        guidelines) a title stays outside the name ("Captain <persName>Clark</persName>").
        A title alone is never tagged as a name either way.
    :param index_url: the PostgreSQL database the index is published to and read from
        (``postgresql://user:password@host:port/name``, ``ARCHIVE_INDEX_URL``); None: the
        index is the SQLite file ``index.sqlite`` of the data directory alone.
    :param password_profile: the argon2id parameters passwords are hashed with: a profile
        of argon2-cffi's ``argon2.profiles`` (``ARCHIVE_PASSWORD_PROFILE``): by default
        ``RFC_9106_LOW_MEMORY`` (64 MiB, 3 passes), ``RFC_9106_HIGH_MEMORY`` (2 GiB, 1 pass),
        or ``CHEAPEST`` for tests alone. A password hashed with other parameters is hashed
        again with these at its next login.
    :param index_read_url: with ``index_url``, a read-only copy of that database (a streaming
        replica, ``ARCHIVE_INDEX_READ_URL``) the index is read from instead; publishing still
        goes to ``index_url``.
    """

    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    tei_all_rng: Path | None = None
    query_timeout: float = 10.0
    query_limit: int = 10_000
    query_cache_mb: int = 256
    facet_time_limit_ms: float = 1000.0
    facet_document_seconds: float = 10.0
    facet_memory_mb: int = 2048
    titles_in_names: bool = False
    password_profile: str = field(
        default_factory=lambda: os.environ.get("ARCHIVE_PASSWORD_PROFILE")
        or DEFAULT_PASSWORD_PROFILE)
    index_url: str | None = field(
        default_factory=lambda: os.environ.get("ARCHIVE_INDEX_URL") or None)
    index_read_url: str | None = field(
        default_factory=lambda: os.environ.get("ARCHIVE_INDEX_READ_URL") or None)

    @property
    def tei_dir(self) -> Path:
        return self.data_dir / "tei"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def registry_dir(self) -> Path:
        return self.data_dir / "registry"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite"

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        """Settings from the arguments, then ``ARCHIVE_*`` environment variables, then defaults."""
        env = os.environ
        chosen = data_dir or env.get("ARCHIVE_DATA") or DEFAULT_DATA_DIR
        tei_all = env.get("ARCHIVE_TEI_ALL_RNG")
        return cls(
            data_dir=Path(chosen),
            tei_all_rng=Path(tei_all) if tei_all else None,
            query_timeout=float(env.get("ARCHIVE_QUERY_TIMEOUT", 10.0)),
            query_limit=int(env.get("ARCHIVE_QUERY_LIMIT", 10_000)),
            query_cache_mb=int(env.get("ARCHIVE_QUERY_CACHE_MB", 256)),
            facet_time_limit_ms=float(env.get("ARCHIVE_FACET_TIME_LIMIT_MS", 1000.0)),
            facet_document_seconds=float(env.get("ARCHIVE_FACET_DOCUMENT_SECONDS", 10.0)),
            facet_memory_mb=int(env.get("ARCHIVE_FACET_MEMORY_MB", 2048)),
            titles_in_names=env.get("ARCHIVE_TITLES_IN_NAMES", "").lower() in TRUE_WORDS,
            password_profile=env.get("ARCHIVE_PASSWORD_PROFILE") or DEFAULT_PASSWORD_PROFILE,
            index_url=env.get("ARCHIVE_INDEX_URL") or None,
            index_read_url=env.get("ARCHIVE_INDEX_READ_URL") or None,
        )


def today() -> str:
    """Today's ISO date, or the one ``SOURCE_DATE_EPOCH`` fixes (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    return datetime.date.today().isoformat()
