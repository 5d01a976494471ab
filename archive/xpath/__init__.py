"""XPath 3.1 on TEI documents: parsing and compiling (lxml's C XPath 1.0 where it means
the same, elementpath otherwise), plans for common shapes, evaluation into hits, and the
kept parsed trees.
"""

from .analysis import OUTWARD_FUNCTIONS, any_name_test, lxml_safe, stays_inside, walk_tokens
from .compile import MAX_EXPRESSION, CompiledQuery, compile_query
from .evaluate import (
    TREES,
    UNSTABLE_FUNCTIONS,
    IndexAnswer,
    QueryResult,
    corpus_hits,
    corpus_plan,
    document_hits,
    document_record,
    document_values,
    engine_used,
    evaluate_files,
    evaluate_tree,
    index_answer,
)
from .hits import Hit, classify
from .packed import (
    FEW,
    SEPARATOR,
    Field,
    Packed,
    PackedHits,
    deflate,
    inflate,
    make_hit,
    pack,
    seal,
    unpack,
)
from .parse import parse_expression
from .plans import name_test
from .tree_cache import VALUES_SHARE, TreeCache, folder_stamps
from .values import Unsupported, compile_nodes, compile_value

__all__ = [
    "FEW", "SEPARATOR", "Field", "Packed", "PackedHits", "deflate", "inflate", "make_hit",
    "pack", "seal", "unpack", "VALUES_SHARE",
    "CompiledQuery", "Hit", "IndexAnswer", "MAX_EXPRESSION", "OUTWARD_FUNCTIONS", "QueryResult",
    "TREES", "TreeCache", "UNSTABLE_FUNCTIONS", "Unsupported", "any_name_test", "classify",
    "compile_nodes",
    "compile_query",
    "compile_value", "corpus_hits", "corpus_plan", "document_hits", "document_record",
    "document_values",
    "engine_used", "evaluate_files", "evaluate_tree", "folder_stamps", "index_answer", "lxml_safe",
    "name_test", "parse_expression",
    "stays_inside", "walk_tokens"
]
