"""Corpus-wide XPath: the documents a query may match, and the worker processes that
evaluate it under a time limit, their parsed trees kept warm.
"""

from .corpus import evaluate_query, run_query
from .worker import stop_workers

__all__ = [
    "evaluate_query", "run_query", "stop_workers"
]
