"""The build: sources → TEI documents, annotated, validated, written, indexed.

:mod:`.core` runs a build; :mod:`.tagging` is its task (encode and tag one source), run in
the building process or, with a Dask scheduler, on a cluster's workers (:mod:`.cluster`).
"""

from .cluster import CONNECT_TIMEOUT, RETRIES, connect, tag_on_cluster
from .core import Builder, BuildReport, build, metadata_toml, sample_sources
from .tagging import DocumentStats, Tagged, document_stats, tag_source

__all__ = [
    "BuildReport", "Builder", "CONNECT_TIMEOUT", "DocumentStats", "RETRIES", "Tagged", "build",
    "connect", "document_stats", "metadata_toml", "sample_sources", "tag_on_cluster",
    "tag_source",
]
