"""The passages of a TEI document: the units its words are searched, counted and cited in.

Passages are read from the structure, not from ``xml:id`` alone, so that every word of every
document belongs to exactly one leaf passage (the nearest passage around it) and every passage
has a citation address that a re-import of the same bytes gives again:

- Where text is read: each outermost ``<text>`` of each ``TEI`` (of a ``teiCorpus`` too),
  each ``<sourceDoc>``, and each manuscript description (``<msDesc>``) of the header.
- Blocks (:data:`BLOCKS`: paragraphs, verse lines and groups, speeches and stage directions,
  list items, headings, notes, table cells, a genetic transcript's zones and lines, a
  manuscript's items and summary, …) are passages; so are identified elements (``xml:id``)
  outside any block (an identified ``div`` or ``list``: the archive's own documents name every
  passage so), unless they are empty (an identified ``<lb/>`` or ``<pb/>`` marks a place).
- A block that holds text of its own beside blocks inside it (a paragraph with a note in its
  running text, an item with a sub-list) is one leaf: the blocks inside are part of its text.
- Text outside any block, in an element without ``xml:id`` that holds blocks elsewhere (an
  apparatus of ``app``/``lem``/``rdg`` beside an edition's ``ab``, a gloss list's labels),
  makes its own passage: the child element holding it, or the container itself when the text
  stands directly in it.

Addresses: the ``xml:id`` where there is one; otherwise the path from the nearest identified
ancestor (or the start of the text) — each step the element's name, numbered among siblings
of the same name when it has any: ``body.div2.p3``, ``d1.p3``, ``sourceDoc.surface2.zone.line4``,
``msDesc.msContents.msItem2``. Readable, URL-safe (names are XML names), and unique in the
document (a path that is also some element's ``xml:id`` takes a ``~2`` suffix).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

import elementpath
from lxml import etree

from .namespaces import TEI_NS, TEI_TEXT, XML_ID, XML_NS, tei

#: Elements that are passages wherever they stand (TEI names).
BLOCKS = frozenset(tei(name) for name in (
    # prose, verse, drama
    "p", "ab", "l", "lg", "sp", "speaker", "stage", "head", "note", "quote", "q", "u",
    # lists, tables, bibliographies, figures
    "item", "cell", "bibl", "biblStruct", "figure", "figDesc", "castItem",
    # front and back matter, letters
    "titlePage", "docTitle", "docAuthor", "docImprint", "docDate", "byline", "epigraph",
    "argument", "trailer", "dateline", "opener", "closer", "salute", "signed", "postscript",
    "fw",
    # genetic transcripts (sourceDoc)
    "zone", "line",
    # manuscript descriptions
    "msIdentifier", "summary", "msItem", "msItemStruct", "locus", "incipit", "explicit",
    "colophon", "rubric", "finalRubric", "physDesc", "origin", "provenance", "acquisition",
    "additional", "msPart", "msFrag",
    # dictionaries
    "entry", "entryFree",
))

_SOURCE_DOC = tei("sourceDoc")
_MS_DESC = tei("msDesc")
_TEI = tei("TEI")
_CORPUS = tei("teiCorpus")
_IDS = etree.XPath("//@xml:id", namespaces={"xml": XML_NS})
_HEADER = tei("teiHeader")


class Passage(NamedTuple):
    """One passage: the element, its citation address, whether it holds no other passage.

    (A named tuple: made for every passage of every document an index build reads, it is made
    three times faster than a frozen dataclass.)"""

    element: etree._Element
    address: str
    leaf: bool


def text_roots(root: etree._Element) -> list[etree._Element]:
    """The elements whose words a document's passages hold, in document order: each
    outermost ``<text>``, each ``<sourceDoc>``, each outermost ``<msDesc>`` of a header."""
    if root.tag not in (_TEI, _CORPUS):  # not a TEI document: wherever they are
        return [element for element in root.iter(TEI_TEXT, _SOURCE_DOC)
                if not any(a.tag == TEI_TEXT for a in element.iterancestors())]
    found = []
    for member in [root] if root.tag == _TEI else root.iter(_TEI):
        for child in member:
            if child.tag == TEI_TEXT or child.tag == _SOURCE_DOC:
                found.append(child)
            elif child.tag == _HEADER:
                found += [element for element in child.iter(_MS_DESC)
                          if not any(a.tag == _MS_DESC for a in element.iterancestors())]
    return found


def passages(root: etree._Element) -> list[Passage]:
    """Every passage of the document under ``root`` (its root element), in document order."""
    roots = text_roots(root)
    if not roots:
        return []
    # each identified element's xml:id, read once (asking each element for its own costs more)
    ids = {value.getparent(): str(value) for value in _IDS(root)}
    chosen: list[etree._Element] = []
    leaves: set[etree._Element] = set()
    for text_root in roots:
        found, loose = _visit(text_root, False, leaves, ids)
        if loose:  # text and no passage anywhere in it: the whole is one passage
            found = [text_root]
            leaves.add(text_root)
        chosen += found
    return list(_addressed(root, roots, chosen, leaves, ids))


_NONE: list[etree._Element] = []  # (never changed)


def _visit(element: etree._Element, in_block: bool, leaves: set[etree._Element],
           ids: dict[etree._Element, str]) -> tuple[list[etree._Element], bool]:
    """(the passages in ``element``, itself first when it is one, in document order; whether
    it holds text that no passage holds; ``ids``: the xml:id of each element that has one)."""
    tag = element.tag
    block = tag in BLOCKS
    candidate = block or (not in_block and element in ids)
    text = element.text
    bare = bool(text) and not text.isspace()  # type: ignore[union-attr]
    if not len(element):  # most elements: names, dates, highlights, line breaks
        if block or (candidate and text):  # (an identified milestone, <lb xml:id>, is none)
            leaves.add(element)
            return [element], False
        return _NONE, bare
    if block and not bare:
        bare = any(child.tail and not child.tail.isspace() for child in element)
    if block and bare:  # one leaf whatever it holds (as below): what is in it is not read
        leaves.add(element)
        return [element], False
    below: list[list[etree._Element]] = []
    loose_children: list[bool] = []
    for child in element:
        tail = child.tail
        if tail and not bare and not tail.isspace():
            bare = True
        if child.tag.__class__ is not str:  # a comment or a processing instruction
            continue
        found, loose = _visit(child, in_block or block, leaves, ids)
        below.append(found)
        loose_children.append(loose)
    inside = any(below)
    loose = bare or any(loose_children)
    if inside and loose:
        if block or bare:  # one leaf: what it holds is part of its text
            for found in below:
                leaves.difference_update(found)
            leaves.add(element)
            return [element], False
        # the loose text's own elements become passages
        children = [child for child in element if child.tag.__class__ is str]
        for number, is_loose in enumerate(loose_children):
            if is_loose:
                below[number] = [children[number]]
                leaves.add(children[number])
        loose = False
    flat = [passage for found in below for passage in found]
    if candidate:
        if not flat:
            leaves.add(element)
        return [element, *flat], False
    return flat, loose


def _addressed(root: etree._Element, roots: list[etree._Element],
               chosen: list[etree._Element], leaves: set[etree._Element],
               ids: dict[etree._Element, str]) -> Iterator[Passage]:
    taken = set(ids.values())
    cites = cited(root)
    steps: dict[etree._Element, str] = {}
    bases: dict[etree._Element | None, str] = {}
    prefixes = _root_prefixes(root, roots)
    used: set[str] = set()
    for element in chosen:
        address = ids.get(element) or (cites.get(element) if cites else None)
        if address is None or address in used:
            address = _path(element, prefixes, steps, cites, bases)
            if address in taken or address in used:
                number = 2
                while f"{address}~{number}" in taken or f"{address}~{number}" in used:
                    number += 1
                address = f"{address}~{number}"
        used.add(address)
        yield Passage(element, address, element in leaves)


def _root_prefixes(root: etree._Element, roots: list[etree._Element]
                   ) -> dict[etree._Element, str]:
    """Each text root's own start of a path: ``""`` for the ``<text>`` of a lone ``TEI``,
    ``sourceDoc``, ``msDesc2``, and ``TEI3.`` before them in the third TEI of a corpus."""
    prefixes: dict[etree._Element, str] = {}
    members = [root] if root.tag == _TEI else [e for e in root.iter(_TEI)]
    numbered = len(members) > 1 or root.tag != _TEI
    for number, member in enumerate(members, 1):
        member_id = member.get(XML_ID)
        start = "" if not numbered else f"{member_id or f'TEI{number}'}."
        mine = [r for r in roots if _member_of(r) is member]
        counts: dict[str, int] = {}
        for text_root in mine:
            counts[str(text_root.tag)] = counts.get(str(text_root.tag), 0) + 1
        seen: dict[str, int] = {}
        for text_root in mine:
            name = _local(text_root.tag)
            seen[name] = seen.get(name, 0) + 1
            if text_root.tag == TEI_TEXT and counts[str(text_root.tag)] == 1:
                prefixes[text_root] = start
            else:
                many = counts[str(text_root.tag)] > 1
                prefixes[text_root] = f"{start}{name}{seen[name] if many else ''}."
    for text_root in roots:  # a root outside any TEI (not a TEI document): from its name
        prefixes.setdefault(text_root, f"{_local(text_root.tag)}.")
    return prefixes


def _member_of(element: etree._Element) -> etree._Element | None:
    return next((a for a in element.iterancestors(_TEI)), None)


def _path(element: etree._Element, prefixes: dict[etree._Element, str],
          steps: dict[etree._Element, str], cites: dict[etree._Element, str],
          bases: dict[etree._Element | None, str]) -> str:
    """``element``'s path from its nearest identified or cited ancestor, or from its text
    root."""
    prefix = prefixes.get(element)
    if prefix is not None:  # a text root as the passage: its own name
        return prefix.rstrip(".") or _local(element.tag)
    # (the path of most passages: the known base and step read without a call)
    parent = element.getparent()
    base = bases.get(parent)
    if base is None:
        base = _base(parent, prefixes, steps, cites, bases)
    return _joined(base, steps.get(element) or _step(element, steps))


def _base(node: etree._Element | None, prefixes: dict[etree._Element, str],
          steps: dict[etree._Element, str], cites: dict[etree._Element, str],
          bases: dict[etree._Element | None, str]) -> str:
    """Where the paths below ``node`` start: its xml:id, its citation, its text root's
    prefix, else its parent's base and its own step (each node's once: ``bases``)."""
    found = bases.get(node)
    if found is None:
        if node is None:
            found = ""
        elif node.get(XML_ID) is not None:
            found = str(node.get(XML_ID))
        elif node in cites:  # cited by the document's own scheme
            found = cites[node]
        elif node in prefixes:
            found = prefixes[node].rstrip(".")
        else:
            found = _joined(_base(node.getparent(), prefixes, steps, cites, bases),
                            _step(node, steps))
        bases[node] = found
    return found


def _joined(base: str, step: str) -> str:
    return f"{base}.{step}" if base else step


def _step(element: etree._Element, steps: dict[etree._Element, str]) -> str:
    found = steps.get(element)
    if found is None:
        parent = element.getparent()
        siblings = [element] if parent is None else list(parent.iterchildren(etree.Element))
        tags = [sibling.tag for sibling in siblings]  # (lxml makes a new string each reading)
        counts = Counter(tags)
        names = {tag: _local(tag) for tag in counts}
        seen: dict[object, int] = {}
        for sibling, tag in zip(siblings, tags, strict=True):
            if counts[tag] > 1:
                seen[tag] = number = seen.get(tag, 0) + 1
                steps[sibling] = f"{names[tag]}{number}"
            else:
                steps[sibling] = names[tag]
        found = steps[element]
    return found


def _local(tag: object) -> str:
    """An element name's step: its local name (``tag``, Clark), ``.`` made ``-``."""
    name = _LOCAL.get(tag)
    if name is None:
        name = str(tag).rpartition("}")[2].replace(".", "-")
        if len(_LOCAL) < 10_000:
            _LOCAL[str(tag)] = name
    return name


#: Each element name's step (its local name), once: the same few names recur in every document.
_LOCAL: dict[object, str] = {}


# --- the document's own citation scheme -------------------------------------------------------

_CITE_STRUCTURE = tei("citeStructure")
_REFS_DECL = tei("refsDecl")
_PARSER = elementpath.XPath2Parser(namespaces={"xml": XML_NS, "tei": TEI_NS},
                                   default_namespace=TEI_NS)
#: What a citation keeps: letters, digits and the characters a URL fragment takes as they are.
_UNSAFE = re.compile(r"[^\w.~:-]+")


def cited(root: etree._Element, units: dict[etree._Element, str] | None = None,
          raw: bool = False) -> dict[etree._Element, str]:
    """The citation of each element the document's own ``refsDecl/citeStructure`` names
    (``match`` selects, ``use`` gives the value, a nested level adds its ``delim`` — ``.``
    when it gives none — and its value): ``1.2.14`` for act 1, scene 2, line 14. Characters a
    URL fragment does not keep become ``-``. An expression elementpath cannot evaluate leaves
    the declaration unused (paths are the addresses then).

    :param units: filled, when given, with each cited element's ``citeStructure/@unit``
        (``act``, ``scene``, ``line``) where the declaration names one.
    :param raw: the citations exactly as the declaration builds them (``Luke 1:2``: each
        ``delim`` as given, none when it gives none; no character replaced), as DTS cites.
    """
    declarations = [element for element in root.iter(_CITE_STRUCTURE)
                    if (parent := element.getparent()) is not None and parent.tag == _REFS_DECL]
    if not declarations:
        return {}
    found: dict[etree._Element, str] = {}
    try:
        nodes = elementpath.get_node_tree(root.getroottree(),  # type: ignore[arg-type]
                                          namespaces={"tei": TEI_NS})
        for declaration in declarations:
            _cite(declaration, nodes, None, "", found, units, raw)
    except (elementpath.ElementPathError, TypeError, ValueError):
        return {}
    return found


def _cite(declaration: etree._Element, nodes: Any, context: Any, prefix: str,
          found: dict[etree._Element, str], units: dict[etree._Element, str] | None,
          raw: bool) -> None:
    match = _PARSER.parse(declaration.get("match") or "")
    use = _PARSER.parse(declaration.get("use") or "")
    delim = declaration.get("delim") if prefix else ""
    results: Any = match.get_results(elementpath.XPathContext(nodes, item=context))
    matched = [item for item in (results if isinstance(results, list) else [results])
               if isinstance(item, etree._Element) and item.tag.__class__ is str]
    for position, element in enumerate(matched, 1):
        values: Any = use.get_results(elementpath.XPathContext(
            nodes, item=element, position=position, size=len(matched)))  # type: ignore[arg-type]
        value = " ".join("".join(item.itertext()) if isinstance(item, etree._Element)
                         else str(item) for item in (
                             values if isinstance(values, list) else [values]))
        value = value.strip() if raw else _UNSAFE.sub("-", value.strip()).strip("-")
        if not value:
            continue
        if raw:
            citation = f"{prefix}{delim or ''}{value}"
        else:
            citation = f"{prefix}{'.' if delim is None else _UNSAFE.sub('-', delim)}{value}" \
                if prefix else value
        found.setdefault(element, citation)
        if units is not None and declaration.get("unit"):
            units.setdefault(element, str(declaration.get("unit")))
        for inner in declaration:
            if inner.tag == _CITE_STRUCTURE:
                _cite(inner, nodes, element, citation, found, units, raw)
