"""Result items of either engine (lxml or elementpath) turned into hits with their context.

A hit names its document, the citation address of its passage — the nearest passage
ancestor-or-self, see :mod:`tei.passages` — (so the viewer can link to it), the node's kind,
name and string value, and a keyword-in-context snippet taken from that passage's text.
:class:`HitMaker` reads each container's text, and the span of each child of an element in
that element's text, once per document: a node's place in its passage is then a few
dictionary lookups, not a walk of the passage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import elementpath
from lxml import etree

from tei.namespaces import NSMAP, XML_NS
from tei.passages import passages

#: Characters of context shown on each side of a hit.
CONTEXT_WIDTH = 40



def string_value(element: Any) -> str:
    """An element's string value, as XPath's ``string(.)``: a plain str, no tree kept alive."""
    # serialising as text is three times cheaper than calling an XPath evaluator
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


class Hit(NamedTuple):
    """One result item: where it is and what it says.

    A named tuple: queries make and send many thousands (a frozen dataclass costs ten times
    more to make).
    """

    doc: str
    target: str | None  # citation address of the nearest passage ancestor-or-self
    kind: str  # element, attribute, text, comment, processing-instruction, document, atomic
    name: str | None
    value: str
    context: str

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


#: An element's hit without its document: (target, value, context), the context None where it
#: is the value's words (a passage's own hit), kept apart from trees (see TreeCache.named_hits).
HitFields = tuple[str | None, str, str | None]


def hit_fields(hit: Hit) -> HitFields:
    """An element's :class:`Hit` as its :data:`HitFields`."""
    return hit.target, hit.value, None if hit.context == " ".join(hit.value.split()) \
        else hit.context


def element_hits(doc: str, name: str, namespaces: Iterable[tuple[str, str]],
                 found: Iterable[tuple[Any, ...]]) -> list[Hit]:
    """The hits of elements named ``name`` (Clark) from their :data:`HitFields` (what
    follows them in each tuple is left out)."""
    prefixed = _prefixed(name, tuple(namespaces))
    return [Hit(doc, fields[0], "element", prefixed, fields[1],
                " ".join(fields[1].split()) if fields[2] is None else fields[2])
            for fields in found]


def passage_addresses(root: etree._Element) -> dict[Any, str]:
    """The address of each passage (element) of the document whose root is ``root``."""
    return {passage.element: passage.address for passage in passages(root)}


class HitMaker:
    """Hits of one document's items; each container's text is read once."""

    def __init__(self, doc: str, namespaces: Iterable[tuple[str, str]] = NSMAP.items(),
                 memo: dict[Any, Any] | None = None,
                 addresses: Callable[[Any], dict[Any, str]] = passage_addresses) -> None:
        """:param memo: (target, value, context, tag) of elements, and the tree's passages,
            kept with their (unchanging) tree by the caller so that a warm tree's hits are not
            read again.
        :param addresses: the address of each passage of the document whose root it is
            given (:func:`passage_addresses`, or the same kept by the caller)."""
        self.doc = doc
        self.namespaces = tuple(namespaces)
        self.memo = {} if memo is None else memo
        self.addresses = addresses
        self._texts: dict[Any, str] = {}
        self._atoms: dict[Any, Hit] = {}  # hits of numbers, by class and value
        self._offsets: dict[Any, dict[Any, tuple[int, int]]] = {}

    def hit(self, item: Any) -> Hit:
        """Turn one result item of either engine into a :class:`Hit`."""
        if isinstance(item, etree._Element):
            fields = self.memo.get(item)
            if fields is not None or isinstance(item.tag, str):  # not a comment or a PI
                return self._element(item, fields)
        elif item.__class__ in _NUMBERS:  # counts and sums (a for/return's): one hit a value
            key = (item.__class__, item)  # 1e15 and 10**15 are equal but read apart
            found = self._atoms.get(key)
            if found is None:
                found = self._atoms[key] = Hit(self.doc, None, "atomic", None,
                                                _number_string(item), "")
            return found
        kind, owner, anchor, name, value = classify(item)
        if kind == "atomic" or kind == "document" or owner is None:
            return Hit(self.doc, None, kind, None, value, "")
        target_element = self._passage(owner)
        container = target_element if target_element is not None else owner
        if kind == "comment":
            context = value
        else:
            text = self._text(container)
            if kind in ("element", "attribute"):
                start, end = self._span(container, owner)
            elif anchor is not None:  # a tail: it starts where its anchor element ends
                start = self._span(container, anchor)[1]
                end = start + len(value)
            else:
                start = self._span(container, owner)[0]
                end = start + len(value)
            context = _kwic(text, start, end)
        target = self._addresses(owner)[target_element] if target_element is not None else None
        return Hit(self.doc, target, kind, _prefixed(name, self.namespaces) if name else None,
                   value, context)

    def _addresses(self, element: Any) -> dict[Any, str]:
        """The address of each passage of ``element``'s document (read once per tree)."""
        found: dict[Any, str] | None = self.memo.get(_PASSAGES)
        if found is None:
            found = self.memo[_PASSAGES] = self.addresses(element.getroottree().getroot())
        return found

    def _passage(self, element: Any) -> Any:
        """The nearest passage ancestor-or-self of ``element``, or None."""
        addresses = self._addresses(element)
        while element is not None:
            if element in addresses:
                return element
            element = element.getparent()
        return None

    def _element(self, element: Any, fields: tuple[str | None, str, str, str] | None) -> Hit:
        if fields is None:
            passage = self._passage(element)
            fields = self.memo[element] = _element_fields(
                element, passage, None if passage is None else self._addresses(element)[passage])
        return Hit(self.doc, fields[0], "element", _prefixed(fields[3], self.namespaces),
                   fields[1], fields[2])

    def _text(self, container: Any) -> str:
        found = self._texts.get(container)
        if found is None:
            found = self._texts[container] = string_value(container)
        return found

    def _span(self, container: Any, node: Any) -> tuple[int, int]:
        """Where node's string value starts and ends in container's."""
        if node is container:
            return 0, len(self._text(container))
        parent = node.getparent()
        start, end = self._children(parent)[node]
        while parent is not container and parent is not None:
            node, parent = parent, parent.getparent()
            if parent is None:
                return 0, 0
            shift = self._children(parent)[node][0]
            start, end = start + shift, end + shift
        return start, end

    def _children(self, parent: Any) -> dict[Any, tuple[int, int]]:
        # each child's span in the parent's string value (comments and processing
        # instructions have none, only their tails count), read once per parent
        found = self._offsets.get(parent)
        if found is None:
            offset = len(parent.text or "")
            found = {}
            for child in parent:
                length = len(string_value(child)) if isinstance(child.tag, str) else 0
                found[child] = (offset, offset + length)
                offset += length + len(child.tail or "")
            self._offsets[parent] = found
        return found


def _element_fields(element: Any, target_element: Any, target: str | None,
                    ) -> tuple[str | None, str, str, str]:
    # (target, value, context, tag): only the text just around the element is read, not its
    # passage
    value = string_value(element)
    if target_element is None or target_element is element:
        context = " ".join(value.split())
    else:
        before = _before(target_element, element)
        after = _after(target_element, element)
        context = (("…" if len(before) > CONTEXT_WIDTH else "")
                   + " ".join((before[-CONTEXT_WIDTH:] + value
                               + after[:CONTEXT_WIDTH]).split())
                   + ("…" if len(after) > CONTEXT_WIDTH else ""))
    return target, value, context, element.tag


def _before(container: Any, node: Any) -> str:
    # the text before node inside container, nearest first, until there is more than a side
    parts: list[str] = []
    length = 0
    while node is not container and length <= CONTEXT_WIDTH:
        sibling = node.getprevious()
        while sibling is not None and length <= CONTEXT_WIDTH:
            parts.append(sibling.tail or "")
            length += len(parts[-1])
            if length <= CONTEXT_WIDTH and isinstance(sibling.tag, str):
                parts.append(string_value(sibling))
                length += len(parts[-1])
            sibling = sibling.getprevious()
        node = node.getparent()
        if node is None:
            break
        if length <= CONTEXT_WIDTH:
            parts.append(node.text or "")
            length += len(parts[-1])
    return "".join(reversed(parts))


def _after(container: Any, node: Any) -> str:
    # the text after node inside container, until there is more than a side
    parts: list[str] = []
    length = 0
    while node is not container and length <= CONTEXT_WIDTH:
        parts.append(node.tail or "")
        length += len(parts[-1])
        sibling = node.getnext()
        while sibling is not None and length <= CONTEXT_WIDTH:
            if isinstance(sibling.tag, str):
                parts.append(string_value(sibling))
                length += len(parts[-1])
            parts.append(sibling.tail or "")
            length += len(parts[-1])
            sibling = sibling.getnext()
        node = node.getparent()
        if node is None:
            break
    return "".join(parts)


def make_hit(doc: str, item: Any, namespaces: Iterable[tuple[str, str]] = NSMAP.items()) -> Hit:
    """One item's :class:`Hit` (see :class:`HitMaker` for many items of one document)."""
    return HitMaker(doc, namespaces).hit(item)


def classify(item: Any) -> tuple[str, Any, Any, str | None, str]:
    """(kind, owner element, tail anchor, Clark name, string value) of a result item."""
    if isinstance(item, elementpath.XPathNode):
        return _classify_node(item)
    if isinstance(item, etree._Element):
        if isinstance(item, etree._Comment):
            return "comment", item.getparent(), None, None, item.text or ""
        if isinstance(item, etree._ProcessingInstruction):
            return "processing-instruction", item.getparent(), None, item.target, item.text or ""
        return "element", item, None, item.tag, string_value(item)
    if isinstance(item, etree._ElementUnicodeResult):  # lxml "smart string"
        parent = item.getparent()
        if item.is_attribute:
            return "attribute", parent, None, item.attrname, str(item)
        if item.is_tail:
            return "text", parent.getparent(), parent, None, str(item)
        if item.is_text:
            return "text", parent, None, None, str(item)
    return "atomic", None, None, None, atomic_string(item)


def _classify_node(node: Any) -> tuple[str, Any, Any, str | None, str]:
    if isinstance(node, elementpath.ElementNode):
        return "element", node.elem, None, node.elem.tag, string_value(node.elem)
    if isinstance(node, elementpath.AttributeNode):
        return "attribute", node.parent.elem, None, node.name, node.value
    if isinstance(node, elementpath.TextNode):
        parent = node.parent
        siblings = parent.children
        position = next(i for i, child in enumerate(siblings) if child is node)
        anchor = siblings[position - 1].elem if position else None
        return "text", parent.elem, anchor, None, node.value
    if isinstance(node, elementpath.CommentNode):
        return "comment", node.elem.getparent(), None, None, node.elem.text or ""
    if isinstance(node, elementpath.ProcessingInstructionNode):
        return ("processing-instruction", node.elem.getparent(), None, node.elem.target,
                node.elem.text or "")
    if isinstance(node, elementpath.DocumentNode):
        return "document", None, None, None, node.string_value
    return "atomic", None, None, None, str(node.string_value)


def atomic_string(value: Any) -> str:
    """The XPath string of an atomic value, the same for lxml's floats and elementpath's types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "INF" if value > 0 else "-INF"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


#: Classes of numbers whose hit depends on their value alone (bool, a subclass of int, is not
#: among them: True == 1 would find 1's hit; NaN is never found, as NaN != NaN).
_NUMBERS = frozenset({float, int})

#: The XPath string of a number, remembered by class and value (typed: 1, 1.0 and True are
#: three keys) across documents: a for/return's counts are few values many times.
_number_string = lru_cache(maxsize=4096, typed=True)(atomic_string)

#: The key of a tree's passage addresses in a hit memo.
_PASSAGES = object()


def _kwic(text: str, start: int, end: int) -> str:
    left = max(0, start - CONTEXT_WIDTH)
    right = min(len(text), end + CONTEXT_WIDTH)
    snippet = " ".join(text[left:right].split())
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")


@lru_cache(maxsize=4096)
def _prefixed(name: str, namespaces: tuple[tuple[str, str], ...]) -> str:
    qname = etree.QName(name)
    if not qname.namespace:
        return qname.localname
    if qname.namespace == XML_NS:
        return f"xml:{qname.localname}"
    for prefix, uri in namespaces:
        if uri == qname.namespace:
            return f"{prefix}:{qname.localname}"
    return name
