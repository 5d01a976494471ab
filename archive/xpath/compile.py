"""Compiling an XPath expression: parsed once, the engine chosen, what a document must hold.

When the token tree holds only constructs whose meaning is the same in XPath 1.0 and 3.1
(:func:`.analysis.lxml_safe`), the expression runs through lxml's C XPath, many times faster
than elementpath; :mod:`.evaluate` makes both engines' items into the same hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from tei.namespaces import NSMAP

from ..errors import QueryError
from .analysis import lxml_safe, requirements
from .parse import lxml_xpath, parse

#: Longest expression accepted, in characters.
MAX_EXPRESSION = 10_000


@dataclass(frozen=True)
class CompiledQuery:
    """An expression parsed once: the engine chosen and what a document must hold to match."""

    expression: str
    namespaces: tuple[tuple[str, str], ...]
    engine: str  # "lxml" or "elementpath"
    names: frozenset[str] = field(default_factory=frozenset)  # Clark names of elements
    attributes: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (name, value)

    @property
    def namespace_map(self) -> dict[str, str]:
        return dict(self.namespaces)


def compile_query(expression: str, namespaces: dict[str, str] | None = None, *,
                  element_context: bool = False) -> CompiledQuery:
    """Parse ``expression`` and choose the engine.

    :param namespaces: extra prefix bindings; ``tei`` and ``xml`` are always bound.
    :param element_context: the context item will be an element, not the document node.
    :raise QueryError: a static (syntax, name, type) error, with its XPath code and position,
        or an expression longer than :data:`MAX_EXPRESSION`, or a binding without a prefix
        (XPath names have no default namespace: ``tei:p``, not ``p``).
    """
    if namespaces and "" in namespaces:
        raise QueryError("a namespace binding needs a prefix (XPath has no default namespace"
                         " for names): bind one, e.g. tei, and write tei:p")
    if len(expression) > MAX_EXPRESSION:
        raise QueryError(f"XPath expression too long: {len(expression)} characters"
                         f" (at most {MAX_EXPRESSION})")
    bound = {**NSMAP, **(namespaces or {})}
    return _compile(expression, tuple(sorted(bound.items())), element_context)


@lru_cache(maxsize=256)
def _compile(expression: str, namespaces: tuple[tuple[str, str], ...],
             element_context: bool) -> CompiledQuery:
    if not expression.strip():
        raise QueryError("empty XPath expression")
    token = parse(expression, namespaces)
    engine = "elementpath"
    if lxml_safe(token, element_context):
        try:
            lxml_xpath(expression, namespaces)
            engine = "lxml"
        except etree.XPathError:
            pass  # lxml refuses what elementpath accepts: elementpath decides
    names, attributes = requirements(token)
    return CompiledQuery(expression, namespaces, engine, names, attributes)
