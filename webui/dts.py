"""Distributed Text Services (DTS) 1.0: the archive for other programs that read TEI.

Four read-only endpoints under ``/api/dts`` (https://dtsapi.org/versions/v1.0/):

- the entry point, naming the three others by their URI templates (RFC 6570);
- ``collection``: the archive as the root collection, its kinds (``textClass`` terms of type
  ``kind``) as sub-collections, the documents as resources with Dublin Core metadata; members
  in pages of ``PAGE_SIZE``; ``nav=parents`` for the way up;
- ``navigation``: a document's citation tree (``ref``, ``start``/``end``, ``down``, ``tree``,
  ``page``). A document that declares its own ``refsDecl/citeStructure`` has that scheme as
  its default tree (``1.2.14`` for act 1, scene 2, line 14; ``citeType`` from ``@unit``) and
  the passages of :mod:`tei.passages` as a second tree ``passages``; any other document has
  the passages tree alone (addresses as in the reading view: ``xml:id`` or ``body.div2.p3``);
- ``document``: the TEI file, or one passage or a range of them as a ``TEI`` document with the
  header and the passage in a ``<dts:wrapper>`` (``application/tei+xml``).

JSON-LD answers (``application/ld+json``) name the DTS 1.0 context by its URL (nothing is
fetched). Bad parameters are a 400, an unknown resource, tree, reference or media type a 404,
both as the JSON every ``/api/`` error is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode

from flask import Blueprint, Response, abort, current_app, json, request
from lxml import etree

from archive.errors import QueryError
from archive.index import document_record, lookup
from tei.namespaces import TEI_HEADER, TEI_NS, TEI_ROOT, XML_LANG, tei
from tei.parse import parse_tei
from tei.passages import cited, passages

from .data import Memo, document_or_404, document_path, get_settings, require_index, site_url
from .downloads import RAW_FILE_HEADERS, TEI_TYPE
from .lang import html_lang

bp = Blueprint("dts", __name__, url_prefix="/api/dts")

CONTEXT = "https://dtsapi.org/context/v1.0.json"
VERSION = "1.0"
LD_JSON = "application/ld+json"
DTS_NS = "https://w3id.org/api/dts#"
#: Collection ids: never a document id (``:`` is no id character), so the two cannot clash.
ROOT = "archive:collection"
KIND = "archive:kind:"
UNCLASSIFIED = "archive:unclassified"
#: The second tree of a document with its own citeStructure: the reading view's passages.
PASSAGES_TREE = "passages"
#: Citable units of a navigation answer per page (``DTS_NAVIGATION_PAGE_SIZE`` overrides it;
#: collection members come ``PAGE_SIZE`` a page, as the browse page's documents).
NAVIGATION_PAGE_SIZE = 1000
#: Documents the collection endpoint reads at most: an archive beyond that has its first
#: MAX_DOCUMENTS (in the index's order) in the kind collections, the rest left out.
MAX_DOCUMENTS = 100_000
#: Citation trees kept, keyed by file stamp.
CACHE_SIZE = 8


# --- citation trees ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """One citable unit: its identifier in its tree, element, parent's identifier, depth."""

    identifier: str
    element: etree._Element
    parent: str | None
    level: int
    cite_type: str


@dataclass
class Tree:
    """One citation tree of a document: its units in document order (pre-order, depth first)."""

    identifier: str | None
    description: str
    units: list[Unit]
    of_passages: bool = False  # the reading view's passages (not the document's own scheme)
    positions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = {unit.identifier: number for number, unit in enumerate(self.units)}

    def unit(self, identifier: str) -> int:
        """The position of unit ``identifier``.

        :raise werkzeug.exceptions.NotFound: no such unit in this tree.
        """
        position = self.positions.get(identifier)
        if position is None:
            abort(404, f"No citable unit {identifier!r} in the citation tree"
                       f"{'' if self.identifier is None else f' {self.identifier!r}'}.")
        return position

    def subtree_end(self, position: int) -> int:
        """The position after the last descendant of the unit at ``position``."""
        level = self.units[position].level
        end = position + 1
        while end < len(self.units) and self.units[end].level > level:
            end += 1
        return end

    def structure(self) -> list[dict[str, Any]]:
        """The ``citeStructure`` of the tree: every path of ``citeType``s found, merged."""
        trie: dict[str, Any] = {}
        paths: dict[str, dict[str, Any]] = {}
        for unit in self.units:
            above = trie if unit.parent is None else paths[unit.parent]
            paths[unit.identifier] = above.setdefault(unit.cite_type, {})

        def listed(level: dict[str, Any]) -> list[dict[str, Any]]:
            return [{"@type": "CiteStructure", "citeType": name,
                     **({"citeStructure": listed(inner)} if inner else {})}
                    for name, inner in level.items()]
        return listed(trie)

    def to_json(self) -> dict[str, Any]:
        """The ``CitationTree`` object."""
        data: dict[str, Any] = {"@type": "CitationTree"}
        if self.identifier is not None:
            data["identifier"] = self.identifier
        data["citeStructure"] = self.structure()
        data["description"] = self.description
        return data


def _cite_type(element: etree._Element) -> str:
    """A unit's type when the document names none: a division's ``@type``, else its name."""
    name = str(element.tag).rpartition("}")[2]
    kind = element.get("type")
    if kind and (name.startswith("div") or name in ("lg", "ab", "milestone")):
        return kind
    return name


def _tree(identifier: str | None, description: str,
          found: list[tuple[etree._Element, str, str]], of_passages: bool = False) -> Tree:
    """A tree of ``(element, identifier, citeType)`` in document order: each unit's parent is
    its nearest ancestor among them (a repeated identifier keeps its first unit)."""
    by_element: dict[etree._Element, Unit] = {}
    units: list[Unit] = []
    seen: set[str] = set()
    for element, name, cite_type in found:
        if name in seen:
            continue
        seen.add(name)
        parent = next((by_element[a] for a in element.iterancestors() if a in by_element), None)
        unit = Unit(name, element, None if parent is None else parent.identifier,
                    1 if parent is None else parent.level + 1, cite_type)
        by_element[element] = unit
        units.append(unit)
    return Tree(identifier, description, units, of_passages)


def citation_trees(root: etree._Element) -> list[Tree]:
    """A document's citation trees, the default first (none when it has no text)."""
    units: dict[etree._Element, str] = {}
    cites = cited(root, units, raw=True)
    trees = []
    if cites:
        order = {element: number for number, element in enumerate(root.iter())}
        trees.append(_tree(None, "The document's own citation scheme (refsDecl/citeStructure).",
                           [(element, cites[element], units.get(element) or _cite_type(element))
                            for element in sorted(cites, key=order.__getitem__)]))
    found = [(p.element, p.address, _cite_type(p.element)) for p in passages(root)]
    if found:
        trees.append(_tree(PASSAGES_TREE if trees else None,
                           "The passages of the reading view: xml:id, else the path from the"
                           " nearest identified element (body.div2.p3).", found, True))
    return trees


_cache: Memo[tuple[etree._ElementTree, list[Tree]]] = Memo(CACHE_SIZE)


def document_trees(doc_id: str) -> tuple[dict[str, Any], etree._ElementTree, list[Tree]]:
    """The index row, parsed file and citation trees of document ``doc_id`` (cached while the
    file is unchanged).

    :raise werkzeug.exceptions.NotFound: no such document.
    """
    row = document_or_404(doc_id)
    path = document_path(row)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)

    def parsed() -> tuple[etree._ElementTree, list[Tree]]:
        document = parse_tei(path)
        return document, citation_trees(document.getroot())

    document, trees = _cache.get(key, parsed)
    return row, document, trees


def passage_addresses(doc_id: str) -> dict[str, int]:
    """The citation addresses of document ``doc_id``'s passages (the reading view's anchors),
    each with its position.

    :raise werkzeug.exceptions.NotFound: no such document.
    """
    _, _, trees = document_trees(doc_id)
    tree = next((t for t in trees if t.of_passages), None)
    return tree.positions if tree is not None else {}


def chosen_tree(trees: list[Tree], name: str | None) -> Tree | None:
    """The tree ``name`` (None: the default; None back when the document has no tree).

    :raise werkzeug.exceptions.NotFound: no tree of that name.
    """
    if name is None:
        return trees[0] if trees else None
    for tree in trees:
        if tree.identifier == name:
            return tree
    others = ", ".join(repr(tree.identifier) for tree in trees if tree.identifier)
    abort(404, f"No citation tree {name!r}: {others or 'only the default'}.")


# --- URLs and parameters ----------------------------------------------------------------------

def endpoint_url(name: str, **params: str | int | None) -> str:
    """The absolute URL of endpoint ``name`` with the given parameters (None: left out)."""
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{site_url()}/api/dts/{name}" + (f"?{query}" if query else "")


def _literal(value: str) -> str:
    """``value`` as literal text of a URI template (percent-encoded; ``:`` kept)."""
    return quote(value, safe=":")


def current_url() -> str:
    """The absolute URL of this request, its parameters as asked."""
    query = request.query_string.decode("ascii", "replace")
    return f"{site_url()}{request.path}" + (f"?{query}" if query else "")


def parameter(name: str) -> str | None:
    """Query parameter ``name``, None when absent (an empty value counts as given)."""
    return request.args.get(name)


def integer(name: str, low: int, default: int | None = None) -> int | None:
    """Query parameter ``name`` as an integer of at least ``low``.

    :raise werkzeug.exceptions.BadRequest: not such an integer.
    """
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = low - 1
    if number < low or number > 10**9:
        abort(400, f"The parameter {name} must be an integer of at least {low}; got {value!r}.")
    return number


def ld_json(data: dict[str, Any], status: int = 200) -> Response:
    """A JSON-LD answer: the DTS context and version first."""
    body = {"@context": CONTEXT, "dtsVersion": VERSION, **data}
    return Response(json.dumps(body), status=status, mimetype=LD_JSON)


def page_slice(total: int, size: int) -> tuple[int, int, int]:
    """(page, first, last page) for the ``page`` parameter over ``total`` items.

    :raise werkzeug.exceptions.BadRequest: not a page number.
    :raise werkzeug.exceptions.NotFound: past the last page.
    """
    page = integer("page", 1, 1) or 1
    last = max(1, (total + size - 1) // size)
    if page > last:
        abort(404, f"No page {page}: there {'is' if last == 1 else 'are'} {last}.")
    return page, (page - 1) * size, last


def pagination(make_url: Callable[[int], str], page: int, last: int) -> dict[str, Any]:
    """The ``view`` of a paged answer (``previous``/``next`` repeat the page at an end)."""
    return {"@id": make_url(page), "@type": "Pagination", "first": make_url(1),
            "previous": make_url(max(1, page - 1)), "next": make_url(min(last, page + 1)),
            "last": make_url(last)}


# --- the entry point --------------------------------------------------------------------------

@bp.get("/", strict_slashes=False)
def entry() -> Response:
    base = f"{site_url()}/api/dts"
    return ld_json({
        "@id": base, "@type": "EntryPoint",
        "collection": f"{base}/collection{{?id,page,nav}}",
        "navigation": f"{base}/navigation{{?resource,ref,start,end,down,tree,page}}",
        "document": f"{base}/document{{?resource,ref,start,end,tree,mediaType}}",
    })


# --- collections ------------------------------------------------------------------------------

def all_documents() -> list[dict[str, Any]]:
    """Every indexed document's row (id, title, author, date, kind, publication), by id."""
    require_index()
    try:
        result = lookup(get_settings(), {}, None, limit=MAX_DOCUMENTS, facet_size=1)
    except QueryError as error:
        abort(400, str(error))
    return sorted(result["documents"], key=lambda row: str(row["id"]))


def kind_id(kind: str | None) -> str:
    """The id of the collection of documents of ``kind`` (None: those without a kind)."""
    return UNCLASSIFIED if not kind else f"{KIND}{quote(kind, safe='')}"


def collection_templates(identifier: str) -> str:
    return f"{site_url()}/api/dts/collection?id={_literal(identifier)}{{&page,nav}}"


def collection_member(identifier: str, title: str, children: int, parents: int,
                      description: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"@id": identifier, "@type": "Collection", "title": title}
    if description:
        data["description"] = description
    data.update({"totalParents": parents, "totalChildren": children,
                 "collection": collection_templates(identifier)})
    return data


def _metadata_text(value: str, lang: str) -> list[dict[str, str]]:
    return [{"lang": lang, "value": value}]


def resource_member(row: dict[str, Any]) -> dict[str, Any]:
    """A document as a ``Resource``: title, Dublin Core, the endpoints' templates."""
    doc_id = str(row["id"])
    lang = html_lang(row.get("language")) or "und"
    core: dict[str, Any] = {"title": _metadata_text(str(row.get("title") or doc_id), lang)}
    if row.get("author"):
        core["creator"] = _metadata_text(str(row["author"]), lang)
    if row.get("publisher") or row.get("publication"):
        core["publisher"] = _metadata_text(str(row.get("publisher") or row["publication"]), lang)
    if row.get("date"):
        core["date"] = str(row["date"])
    if html_lang(row.get("language")):
        core["language"] = [html_lang(row.get("language"))]
    if row.get("licence"):
        core["rights"] = _metadata_text(str(row["licence"]), lang)
    core["type"] = ["Text"]
    core["identifier"] = [f"{site_url()}/documents/{quote(doc_id)}"]
    literal = _literal(doc_id)
    api = f"{site_url()}/api/dts"
    return {
        "@id": doc_id, "@type": "Resource", "title": str(row.get("title") or doc_id),
        "totalParents": 1, "totalChildren": 0, "dublinCore": core,
        "collection": f"{api}/collection?id={literal}{{&nav}}",
        "navigation": f"{api}/navigation?resource={literal}{{&ref,down,start,end,tree,page}}",
        "document": f"{api}/document?resource={literal}{{&ref,start,end,tree,mediaType}}",
        "download": f"{site_url()}/documents/{quote(doc_id)}/export.tei",
        "mediaTypes": [TEI_TYPE],
    }


def _kinds(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The documents of each kind collection, by collection id (kinds in name order, those
    without a kind last)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (not r["kind"], str(r["kind"] or ""))):
        grouped.setdefault(kind_id(row["kind"]), []).append(row)
    return grouped


def _kind_title(identifier: str) -> str:
    return "Documents of no kind" if identifier == UNCLASSIFIED else unquote(identifier[len(KIND):])


ROOT_TITLE = "The archive"


@bp.get("/collection", strict_slashes=False)
def collection() -> Response:
    identifier = parameter("id") or ROOT
    nav = parameter("nav") or "children"
    if nav not in ("children", "parents"):
        abort(400, f"The parameter nav must be children or parents; got {nav!r}.")
    if identifier != ROOT and not identifier.startswith((KIND, UNCLASSIFIED)):
        return _resource_collection(identifier, nav)
    grouped = _kinds(all_documents())
    members: list[Any]
    if identifier == ROOT:
        data = collection_member(ROOT, ROOT_TITLE, len(grouped), 0,
                                 "Every document of the archive, by kind.")
        members = [collection_member(key, _kind_title(key), len(rows), 1)
                   for key, rows in grouped.items()] if nav == "children" else []
    elif identifier in grouped:
        rows = grouped[identifier]
        data = collection_member(identifier, _kind_title(identifier), len(rows), 1)
        members = [str(row["id"]) for row in rows] if nav == "children" else [
            collection_member(ROOT, ROOT_TITLE, len(grouped), 0)]
    else:
        abort(404, f"No collection {identifier!r}.")
    data["collection"] = f"{site_url()}/api/dts/collection{{?id,page,nav}}"
    return ld_json(_paged(data, members, identifier, nav))


def _paged(data: dict[str, Any], members: list[Any], identifier: str,
           nav: str) -> dict[str, Any]:
    """``data`` with this page's members (a document id becomes its ``Resource``)."""
    size = int(current_app.config["PAGE_SIZE"])
    page, first, last = page_slice(len(members), size)
    settings = get_settings()
    data["member"] = [resource_member(document_record(settings, member) or {"id": member})
                      if isinstance(member, str) else member
                      for member in members[first:first + size]]
    if last > 1:
        data["view"] = pagination(lambda number: endpoint_url(
            "collection", id=identifier, nav=None if nav == "children" else nav,
            page=number), page, last)
    return data


def _resource_collection(doc_id: str, nav: str) -> Response:
    row, _, trees = document_trees(doc_id)
    data = resource_member(row)
    data["citationTrees"] = [tree.to_json() for tree in trees]
    if nav == "parents":
        grouped = _kinds(all_documents())
        parent = kind_id(row["kind"])
        data["member"] = [collection_member(parent, _kind_title(parent),
                                            len(grouped.get(parent, ())), 1)]
    return ld_json(data)


# --- navigation -------------------------------------------------------------------------------

def _unit_json(unit: Unit, lang: str) -> dict[str, Any]:
    data: dict[str, Any] = {"identifier": unit.identifier, "@type": "CitableUnit",
                            "level": unit.level, "parent": unit.parent,
                            "citeType": unit.cite_type}
    head = unit.element.find(tei("head"))
    if head is not None and unit.element.tag != tei("head"):
        title = " ".join("".join(head.itertext()).split())
        if title:
            own = html_lang(head.get(XML_LANG) or next(
                (a.get(XML_LANG) for a in head.iterancestors() if a.get(XML_LANG)), None))
            data["dublinCore"] = {"title": _metadata_text(title, own or lang)}
    return data


def _requested_range() -> tuple[str | None, str | None, str | None]:
    """(ref, start, end) as asked; the combinations the spec forbids are a 400."""
    ref, start, end = parameter("ref"), parameter("start"), parameter("end")
    if ref is not None and (start is not None or end is not None):
        abort(400, "ref cannot be combined with start or end.")
    if (start is None) != (end is None):
        abort(400, "start and end go together: give both, or neither.")
    return ref, start, end


def _resource_required() -> str:
    resource = parameter("resource")
    if not resource:
        abort(400, "The parameter resource is required.")
    return resource


@bp.get("/navigation", strict_slashes=False)
def navigation() -> Response:
    resource = _resource_required()
    ref, start, end = _requested_range()
    down = integer("down", -1)
    if down is None and ref is None and start is None:
        abort(400, "Give ref, start and end, or down: the whole document is not a unit.")
    if down == 0 and ref is None:
        abort(400, "down=0 asks for the siblings of ref: give ref.")
    row, _, trees = document_trees(resource)
    tree = chosen_tree(trees, parameter("tree"))
    lang = html_lang(row.get("language")) or "und"
    resource_data = {key: value for key, value in resource_member(row).items()
                     if key in ("@id", "@type", "collection", "navigation", "document")}
    resource_data["citationTrees"] = [t.to_json() for t in trees]
    data: dict[str, Any] = {"@type": "Navigation", "@id": current_url(),
                            "resource": resource_data}
    if tree is None:  # a document without any citation tree: an empty member, no error
        data["member"] = []
        return ld_json(data)
    units = tree.units
    chosen: list[Unit]
    if ref is not None:
        position = tree.unit(ref)
        data["ref"] = _unit_json(units[position], lang)
        unit = units[position]
        if down is None:
            return ld_json(data)
        if down == 0:
            chosen = [u for u in units if u.parent == unit.parent and u.level == unit.level]
        else:
            limit = None if down == -1 else unit.level + down
            chosen = [u for u in units[position:tree.subtree_end(position)]
                      if limit is None or u.level <= limit]
    elif start is not None and end is not None:
        first, final = tree.unit(start), tree.unit(end)
        if first > final:
            abort(400, f"start {start!r} comes after end {end!r} in the document.")
        data["start"] = _unit_json(units[first], lang)
        data["end"] = _unit_json(units[final], lang)
        if down is None:
            return ld_json(data)
        deeper = max(units[first].level, units[final].level)
        limit = None if down == -1 else deeper + down
        chosen = [u for u in units[first:tree.subtree_end(final)]
                  if limit is None or u.level <= limit]
    else:
        chosen = [u for u in units if down == -1 or (down is not None and u.level <= down)]
    size = int(current_app.config.get("DTS_NAVIGATION_PAGE_SIZE", NAVIGATION_PAGE_SIZE))
    page, offset, last = page_slice(len(chosen), size)
    data["member"] = [_unit_json(u, lang) for u in chosen[offset:offset + size]]
    if last > 1:
        data["view"] = pagination(lambda number: _with_page(number), page, last)
    return ld_json(data)


def _with_page(number: int) -> str:
    """This request's URL on page ``number``."""
    params = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    return f"{site_url()}{request.path}?{urlencode([*params, ('page', str(number))])}"


# --- documents --------------------------------------------------------------------------------

@bp.get("/document", strict_slashes=False)
def document() -> Response:
    resource = _resource_required()
    ref, start, end = _requested_range()
    media_type = parameter("mediaType")
    row, parsed, trees = document_trees(resource)
    if media_type is not None and media_type != TEI_TYPE:
        abort(404, f"{resource!r} is served as {TEI_TYPE} only, not {media_type!r}.")
    headers = {**RAW_FILE_HEADERS,
               "Link": f'<{endpoint_url("collection", id=resource)}>; rel="collection"'}
    root = parsed.getroot()
    if ref is None and start is None:  # the whole document (tree has no effect then)
        if root.tag == TEI_ROOT:
            data = document_path(row).read_bytes()
        else:  # a teiCorpus: DTS answers with a TEI root, the corpus wrapped in it
            data = _wrapped(root, [root])
        return Response(data, mimetype=TEI_TYPE, headers=headers)
    tree = chosen_tree(trees, parameter("tree"))
    if tree is None:
        abort(404, f"{resource!r} has no citation tree: it has no passages to cite.")
    if ref is not None:
        elements = [tree.units[tree.unit(ref)].element]
    else:
        assert start is not None and end is not None
        first, final = tree.unit(start), tree.unit(end)
        if first > final:
            abort(400, f"start {start!r} comes after end {end!r} in the document.")
        elements = _range(tree, first, final)
    return Response(_wrapped(root, elements), mimetype=TEI_TYPE, headers=headers)


def _range(tree: Tree, first: int, final: int) -> list[etree._Element]:
    """The outermost elements holding the units from ``first`` to ``final`` inclusive (an
    ancestor of the last unit is not taken whole: only its part up to that unit is)."""
    ancestors = set(tree.units[final].element.iterancestors())
    taken: list[etree._Element] = []
    inside: set[etree._Element] = set()
    for unit in tree.units[first:tree.subtree_end(final)]:
        element = unit.element
        if element in ancestors or any(a in inside for a in element.iterancestors()):
            continue
        inside.add(element)
        taken.append(element)
    return taken


def _wrapped(root: etree._Element, elements: list[etree._Element]) -> bytes:
    """A ``TEI`` document: the header of the elements' document, then a ``dts:wrapper``
    holding copies of ``elements``."""
    out = etree.Element(TEI_ROOT, nsmap={None: TEI_NS, "dts": DTS_NS})
    member = next((a for a in elements[0].iterancestors(TEI_ROOT)), None) \
        if elements[0] is not root else None
    header = (member if member is not None else root).find(TEI_HEADER)
    if header is not None:
        out.append(copy.deepcopy(header))
    wrapper = etree.SubElement(out, f"{{{DTS_NS}}}wrapper")
    for element in elements:
        part = copy.deepcopy(element)
        part.tail = None
        wrapper.append(part)
    return etree.tostring(out, xml_declaration=True, encoding="UTF-8")
