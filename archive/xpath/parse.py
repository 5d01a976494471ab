"""Parsing XPath: elementpath's XPath 3.1 parser, once per expression, and lxml's compiled
XPath 1.0 of the expressions both engines read alike.

Static errors become :class:`~archive.errors.QueryError` with their XPath code and position.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import elementpath
from elementpath.xpath3 import XPath3Parser
from lxml import etree

from tei.namespaces import NSMAP

from ..errors import QueryError
from .analysis import lxml_source


@lru_cache(maxsize=256)
def parse(expression: str, namespaces: tuple[tuple[str, str], ...]) -> Any:
    """elementpath's token tree of ``expression`` (``namespaces``: sorted prefix bindings).

    :raise QueryError: a static error.
    """
    try:
        token = XPath3Parser(namespaces=dict(namespaces)).parse(expression)
    except elementpath.ElementPathError as error:
        raise query_error(error) from None
    _bind_prefixed_names(token, dict(namespaces))
    return token


def _bind_prefixed_names(token: Any, namespaces: dict[str, str]) -> None:
    # elementpath 5.1's XPath 3 parser leaves a prefixed name unbound when its local part is
    # also a function name (tei:head, tei:sort, tei:tail), so //tei:head matched nothing.
    for child in token:
        _bind_prefixed_names(child, namespaces)
    if (token.symbol == ":" and len(token) == 2 and token[0].symbol == "(name)"
            and token[1].symbol == "(name)" and not token.name
            and token[0].value in namespaces):
        token.name = token[1].name = f"{{{namespaces[token[0].value]}}}{token[1].value}"


@lru_cache(maxsize=256)
def lxml_xpath(expression: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    """lxml's compiled XPath 1.0 of an expression (see :func:`analysis.lxml_source`)."""
    # lxml binds the xml prefix itself and refuses to have it redefined
    bound = {prefix: uri for prefix, uri in namespaces if prefix != "xml"}
    try:
        source = lxml_source(parse(expression, namespaces))
    except QueryError:
        source = expression  # lxml reports its own error
    return etree.XPath(source, namespaces=bound)


def query_error(error: elementpath.ElementPathError, doc: str | None = None) -> QueryError:
    """An elementpath error as a :class:`QueryError` with its code and position."""
    code = (error.code or "XPST0003").removeprefix("err:")
    position = getattr(error.token, "position", None) if error.token is not None else None
    where = f" at line {position[0]}, column {position[1]}" if position else ""
    prefix = f"{doc}: " if doc else ""
    line, column = position if position else (None, None)
    return QueryError(f"{prefix}XPath error {code}{where}: {error.message}", code=code,
                      line=line, column=column)


def parse_expression(expression: str, namespaces: dict[str, str] | None = None) -> Any:
    """elementpath's token tree of an expression (parsed once, cached).

    :raise QueryError: a static error.
    """
    return parse(expression, tuple(sorted({**NSMAP, **(namespaces or {})}.items())))
