"""Correcting the tags of documents: tag a span, retype, relink, remove, split, join, and tag
every occurrence of a form.

A tag is found by its passage (the citation address of :mod:`tei.passages`) and its number
among the ``persName``/``placeName``/``orgName``/``date`` tags of that passage, 1 first, in
document order (:func:`list_tags`). A span is given in characters of the passage's text
(:func:`tei.read.text_of`: markup removed, ``<lb/>`` one character), or as an exact text and
which occurrence of it.

Every edit is made against the document's ETag the editor saw (a stale one is a
:class:`~archive.errors.ConflictError`), gives the tags it writes ``@resp`` pointing to the
editor (``resp="#ed-anna"``, a ``respStmt`` of the ``titleStmt``), adds a ``change`` with
``@who`` and ``@when`` to the ``revisionDesc``, passes the schema gate, and is written and
logged through :func:`archive.curation.history.record` (atomic, locked, undoable). Tagging never
changes a character of the text: a span that would cross an element's boundary is refused.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.namespaces import ELEMENT_FOR_TYPE, TEI_LB, TYPE_FOR_ELEMENT, XML_ID, tei
from tei.parse import parse_tei
from tei.passages import passages
from tei.read import text_of
from tei.serialize import indent, serialize

from ..annotate import (
    NO_NAMES_INSIDE,
    NO_TAG_INSIDE,
    RESP_COMPONENTS,
    document_date,
    find_dates,
    wrap,
)
from ..config import Settings
from ..errors import ArchiveError, ConflictError
from ..registry import Entry, Registry, slug, with_place_lookup
from ..store import atomic_write, data_lock, iter_tei_files, tei_path
from .changes import current_registry, document_gate
from .history import Change, check_etag, etag, record

#: The types a tag may have.
TAG_TYPES = ("person", "place", "org", "date")
#: ``@resp`` ids of editors start so: ``ed-`` and the editor's name as an id.
EDITOR_PREFIX = "ed-"
#: The ``@resp`` id of the component whose tags point to proposals (the statistical NER).
MACHINE_PROPOSER = RESP_COMPONENTS["ner"].id
_DATE_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")
_TAGS = tuple(ELEMENT_FOR_TYPE[kind] for kind in TAG_TYPES)
_TITLE_STMT = tei("titleStmt")
_FILE_DESC = tei("fileDesc")
_HEADER = tei("teiHeader")
_REVISION_DESC = tei("revisionDesc")
_CHANGE = tei("change")
_RESP_STMT = tei("respStmt")


@dataclass(frozen=True)
class Edit:
    """What an edit did: the logged change, and each changed document's new ETag by id."""

    change: Change
    etags: dict[str, str]


@dataclass(frozen=True)
class TagInfo:
    """One tag of a passage, as :func:`list_tags` lists it."""

    number: int
    type: str
    text: str
    start: int
    end: int
    ref: str | None
    resp: str | None
    when: str | None


@dataclass(frozen=True)
class Place:
    """One occurrence :func:`preview_apply_all` would tag (``action="tag"``) or change the
    existing tag of (``action="retag"``); ``before``/``after``: its context (KWIC)."""

    doc: str
    passage: str
    start: int
    end: int
    before: str
    text: str
    after: str
    action: str
    etag: str


def editor_id(editor: str) -> str:
    """The ``xml:id`` of an editor's ``respStmt``: ``"Anna Smith"`` → ``"ed-anna-smith"``.

    :raise ArchiveError: an empty name.
    """
    if not editor.strip():
        raise ArchiveError("an editor's name is needed (--as NAME)")
    return EDITOR_PREFIX + slug(editor).removeprefix("doc-")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


# --- reading a document ------------------------------------------------------------------------

def _passage(root: etree._Element, address: str, doc_id: str) -> etree._Element:
    for passage in passages(root):
        if passage.address == address:
            return passage.element
    raise ArchiveError(f"no passage {address!r} in document {doc_id}")


def _positions(element: etree._Element) -> dict[etree._Element, tuple[int, int]]:
    """Where each element inside ``element`` starts and ends in its :func:`text_of`."""
    found: dict[etree._Element, tuple[int, int]] = {}
    position = 0

    def walk(node: etree._Element) -> None:
        nonlocal position
        start = position
        if node.tag == TEI_LB:
            position += 1
        elif isinstance(node.tag, str) and node.text:
            position += len(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                position += len(child.tail)
        found[node] = (start, position)

    walk(element)
    return found


def _tags_of(element: etree._Element) -> list[etree._Element]:
    return list(element.iter(*_TAGS))


def list_tags(settings: Settings, doc_id: str, address: str) -> list[TagInfo]:
    """The tags of one passage, numbered as the edits take them."""
    root = parse_tei(tei_path(settings.tei_dir, doc_id)).getroot()
    element = _passage(root, address, doc_id)
    at = _positions(element)
    return [TagInfo(number, TYPE_FOR_ELEMENT[str(tag.tag)], text_of(tag), *at[tag],
                    tag.get("ref"), tag.get("resp"), tag.get("when"))
            for number, tag in enumerate(_tags_of(element), 1)]


def document_etag(settings: Settings, doc_id: str) -> str:
    """The ETag of a document as it is now (what an editor's view of it is made from)."""
    path = tei_path(settings.tei_dir, doc_id)
    try:
        return etag(path.read_bytes()) or ""
    except FileNotFoundError:
        raise ArchiveError(f"no document {doc_id}", str(settings.tei_dir)) from None


def _tag(element: etree._Element, number: int, where: str) -> etree._Element:
    tags = _tags_of(element)
    if not 1 <= number <= len(tags):
        raise ArchiveError(f"no tag {number} in {where} (it has {len(tags)})")
    return tags[number - 1]


# --- the edit path ------------------------------------------------------------------------------

Mutate = Callable[[etree._Element, Registry], tuple[str, bool]]


def _edit(settings: Settings, doc_id: str, editor: str, seen: str | None,
          mutate: Mutate) -> Edit:
    """Parse the document, ``mutate`` its root (→ the change's description, and whether the
    registry changed), stamp the header, gate, write and log it."""
    who = editor_id(editor)
    with data_lock(settings.data_dir):
        path = tei_path(settings.tei_dir, doc_id)
        if not path.is_file():
            raise ArchiveError(f"no document {doc_id}", str(settings.tei_dir))
        check_etag(settings, path, seen)
        registry = current_registry(settings)
        tree = parse_tei(path)
        what, registry_changed = mutate(tree.getroot(), registry)
        return _write(settings, editor, who, what, {path: tree}, registry,
                      registry_changed)


def _write(settings: Settings, editor: str, who: str, what: str,
           trees: dict[Path, etree._ElementTree], registry: Registry,
           registry_changed: bool) -> Edit:
    """Stamp, gate, write and log changed documents (and the registry) as one change."""
    gate = document_gate(settings, registry.typed_ids())
    updates: dict[Path, bytes] = {}
    for path, tree in trees.items():
        stamp(tree.getroot(), editor, who, what)
        data = serialize(tree, reindent=False)
        gate(path, data)
        updates[path] = data

    def write() -> None:
        if registry_changed:
            registry.save(settings.registry_dir)
        for path, data in updates.items():
            atomic_write(path, data)

    change = record(settings, editor, what, list(updates), write,
                    folders=[settings.registry_dir] if registry_changed else ())
    return Edit(change, {path.stem: etag(data) or "" for path, data in updates.items()})


def stamp(root: etree._Element, editor: str, who: str, what: str) -> None:
    """Name the editor in the header (``titleStmt/respStmt``) and log the change in
    ``revisionDesc`` (``change @who @when``), as the TEI Guidelines have it."""
    header = root.find(_HEADER)
    title_stmt = None if header is None else header.find(f"{_FILE_DESC}/{_TITLE_STMT}")
    if header is None or title_stmt is None:
        raise ArchiveError("the document has no teiHeader/fileDesc/titleStmt to name the "
                           "editor in")
    owner = root.xpath("//*[@xml:id = $id]", id=who)
    if owner and owner[0].tag != _RESP_STMT:
        raise ArchiveError(f"the id {who!r} is used by another element: choose another "
                           "editor name")
    if not owner:
        resp_stmt = etree.Element(_RESP_STMT, {XML_ID: who})
        etree.SubElement(resp_stmt, tei("resp")).text = "Tags corrected by"
        etree.SubElement(resp_stmt, tei("name")).text = " ".join(editor.split())
        stmts = title_stmt.findall(_RESP_STMT)
        if stmts:
            stmts[-1].addnext(resp_stmt)
        else:
            title_stmt.append(resp_stmt)
        _tidy(title_stmt)
    revision = header.find(_REVISION_DESC)
    if revision is None:
        revision = etree.SubElement(header, _REVISION_DESC)
        _tidy(header)
    if revision.find(tei("list")) is not None:
        raise ArchiveError("the document's revisionDesc holds a list: the change cannot be "
                           "recorded in it")
    change = etree.SubElement(revision, _CHANGE, who=f"#{who}",
                              when=time.strftime("%Y-%m-%d", time.gmtime()))
    change.text = what
    _tidy(revision)


def _tidy(element: etree._Element) -> None:
    """Indent a header container the way the archive writes headers (when it was indented)."""
    indent(element, sum(1 for _ in element.iterancestors()))


# --- what a tag points to -------------------------------------------------------------------------

def _check_type(kind: str) -> None:
    if kind not in TAG_TYPES:
        raise ArchiveError(f"unknown tag type {kind!r}: person, place, org or date")


def _target(registry: Registry, kind: str, entity: str | None,
            new_name: str | None) -> tuple[str | None, bool]:
    """(the entry id a tag of type ``kind`` points to, whether a new entry was added)."""
    if kind == "date":
        if entity or new_name:
            raise ArchiveError("a date points to no registry entry: drop --entity/--new")
        return None, False
    if entity and new_name:
        raise ArchiveError("give an entity (--entity) or a new entry (--new), not both")
    if entity:
        entry = registry.require(entity)
        if entry.type != kind:
            raise ArchiveError(f"registry entry {entity!r} is a {entry.type}, not a {kind}")
        return entity, False
    if new_name:
        name = " ".join(new_name.split())
        if not name:
            raise ArchiveError("the new entry's name is empty")
        new = Entry(registry.mint_id(name), kind, name)  # type: ignore[arg-type]
        registry.add(with_place_lookup(new) if kind == "place" else new)
        return new.id, True
    return None, False


def _date_attributes(text: str, root: etree._Element) -> dict[str, str]:
    """@when/@from/@to/... of a date, from the archive's date normaliser (none if it cannot)."""
    found = find_dates([text], context=document_date(root.getroottree()))[0]
    whole = [m for m in found if m.start <= len(text) - len(text.lstrip())
             and m.end >= len(text.rstrip())] or sorted(found, key=lambda m: m.start - m.end)
    if not whole:
        return {}
    m = whole[0]
    pairs = (("when", m.when), ("from", m.from_), ("to", m.to), ("notBefore", m.not_before),
             ("notAfter", m.not_after))
    return {name: value for name, value in pairs if value}


def _point(tag: etree._Element, kind: str, ref: str | None, root: etree._Element,
           who: str, when: str | None = None) -> None:
    """Set a tag's element, pointer, date attributes and ``@resp`` for type ``kind``."""
    tag.tag = ELEMENT_FOR_TYPE[kind]
    for name in ("ref", "cert", "resp", *_DATE_ATTRIBUTES):
        tag.attrib.pop(name, None)
    if ref:
        tag.set("ref", f"#{ref}")
    if kind == "date":
        attributes = {"when": when} if when else _date_attributes(text_of(tag), root)
        for name, value in attributes.items():
            tag.set(name, value)
    tag.set("resp", f"#{who}")


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"\u201c{text if len(text) <= 40 else text[:37] + '...'}\u201d"


# --- the edits ------------------------------------------------------------------------------------

def _span(text: str, start: int | None, end: int | None, form: str | None, occurrence: int,
          where: str) -> tuple[int, int]:
    if form is not None:
        if not form:
            raise ArchiveError("the text to tag is empty")
        found = [m.start() for m in re.finditer(re.escape(form), text)]
        if not 1 <= occurrence <= len(found):
            raise ArchiveError(f"{_quote(form)} occurs {len(found)} time(s) in {where}, "
                               f"not {occurrence}")
        return found[occurrence - 1], found[occurrence - 1] + len(form)
    if start is None or end is None or not 0 <= start < end <= len(text):
        raise ArchiveError(f"characters {start}-{end} are not a span of {where} (its text has "
                           f"{len(text)} characters)")
    return start, end


def obstacle(element: etree._Element, start: int, end: int) -> str | None:
    """Why characters ``start:end`` of ``element``'s text cannot be wrapped in a tag (None:
    nothing in the way): an element whose boundary the span crosses, an existing tag around or
    inside it, a line break inside it."""
    for node, (s, e) in _positions(element).items():
        if node is element or not isinstance(node.tag, str):
            continue
        name = f"<{_local(node)}> (line {node.sourceline})"
        if s < start < e < end or start < s < end < e:
            return f"the span crosses the boundary of {name}: select within it or all of it"
        if s <= start and end <= e and (s, e) != (start, end) and node.tag in NO_NAMES_INSIDE:
            return f"the span lies inside {name}, which cannot hold a tag"
        if start <= s and e <= end and node.tag in NO_TAG_INSIDE:
            return (f"the span holds the tag {name}: change that tag instead"
                    if (s, e) == (start, end) else f"the span holds the tag {name}: a tag "
                    "cannot hold another")
        if start <= s and e <= end and node.tag == TEI_LB and s < end:
            return f"the span holds a line break {name}"
    return None


def _wrap_span(element: etree._Element, start: int, end: int, tag: etree._Element,
               where: str) -> None:
    if not wrap(element, start, end, tag):
        reason = obstacle(element, start, end) or "the span cannot be tagged here"
        raise ArchiveError(f"cannot tag characters {start}-{end} of {where}: {reason}")


def add_tag(settings: Settings, doc_id: str, *, editor: str, seen: str | None, passage: str,
            kind: str, start: int | None = None, end: int | None = None,
            text: str | None = None, occurrence: int = 1, entity: str | None = None,
            new_name: str | None = None, when: str | None = None) -> Edit:
    """Tag a span of a passage as ``kind``, pointing to ``entity`` (or a new entry named
    ``new_name``); a date gets ``@when``/``@from``/``@to`` from the date normaliser, or
    ``when`` as given.

    :param seen: the document's ETag the editor saw (None: not checked).
    :raise ConflictError: the document changed since ``seen``.
    :raise ArchiveError: no such passage or span, the span crosses an element (where is said),
        an entity of another type; the document would be invalid (ValidationFailed).
    """
    _check_type(kind)

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        element = _passage(root, passage, doc_id)
        where = f"passage {passage} of {doc_id}"
        s, e = _span(text_of(element), start, end, text, occurrence, where)
        ref, added = _target(registry, kind, entity, new_name)
        tag = etree.Element(ELEMENT_FOR_TYPE[kind])
        _wrap_span(element, s, e, tag, where)
        _point(tag, kind, ref, root, editor_id(editor), when)
        return (f"Tagged {_quote(text_of(tag))} as {kind}"
                f"{f' (#{ref})' if ref else ''} in passage {passage}.", added)

    return _edit(settings, doc_id, editor, seen, mutate)


def retype_tag(settings: Settings, doc_id: str, *, editor: str, seen: str | None,
               passage: str, number: int, kind: str, entity: str | None = None,
               new_name: str | None = None) -> Edit:
    """Change tag ``number`` of a passage to type ``kind`` (its pointer to ``entity``, or none:
    a pointer to an entry of another type is dropped)."""
    _check_type(kind)

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        tag = _tag(_passage(root, passage, doc_id), number, f"passage {passage} of {doc_id}")
        old = TYPE_FOR_ELEMENT[str(tag.tag)]
        ref, added = _target(registry, kind, entity, new_name)
        if ref is None and kind != "date":
            kept = (tag.get("ref") or "").removeprefix("#")
            entry = registry.get(kept)
            ref = kept if entry is not None and entry.type == kind else None
        _point(tag, kind, ref, root, editor_id(editor))
        return (f"Changed the tag {_quote(text_of(tag))} in passage {passage} from {old} to "
                f"{kind}{f' (#{ref})' if ref else ''}.", added)

    return _edit(settings, doc_id, editor, seen, mutate)


def relink_tag(settings: Settings, doc_id: str, *, editor: str, seen: str | None,
               passage: str, number: int, entity: str | None = None,
               new_name: str | None = None) -> Edit:
    """Point name tag ``number`` of a passage to ``entity`` (or a new entry; neither: unlink)."""

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        tag = _tag(_passage(root, passage, doc_id), number, f"passage {passage} of {doc_id}")
        kind = TYPE_FOR_ELEMENT[str(tag.tag)]
        ref, added = _target(registry, kind, entity, new_name)
        if kind == "date":
            raise ArchiveError("a date points to no registry entry: retype it first")
        old = tag.get("ref") or "no entry"
        _point(tag, kind, ref, root, editor_id(editor))
        return (f"Linked {_quote(text_of(tag))} in passage {passage} to "
                f"{f'#{ref}' if ref else 'no entry'} (was {old}).", added)

    return _edit(settings, doc_id, editor, seen, mutate)


def _unwrap(tag: etree._Element) -> None:
    """Remove ``tag`` and keep what it held, text and elements, where it stood."""
    parent = tag.getparent()
    assert parent is not None
    position, previous = parent.index(tag), tag.getprevious()
    head, tail, children = tag.text or "", tag.tail or "", list(tag)
    tag.tail = None
    parent.remove(tag)
    for offset, child in enumerate(children):
        parent.insert(position + offset, child)

    def after(node: etree._Element | None, text: str) -> None:
        if node is None:
            parent.text = (parent.text or "") + text or None
        else:
            node.tail = (node.tail or "") + text or None

    after(previous, head)
    after(children[-1] if children else previous, tail)


def remove_tag(settings: Settings, doc_id: str, *, editor: str, seen: str | None,
               passage: str, number: int) -> Edit:
    """Remove tag ``number`` of a passage, keeping its text."""

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        tag = _tag(_passage(root, passage, doc_id), number, f"passage {passage} of {doc_id}")
        what = (f"Removed the {TYPE_FOR_ELEMENT[str(tag.tag)]} tag of {_quote(text_of(tag))} "
                f"in passage {passage}.")
        _unwrap(tag)
        return what, False

    return _edit(settings, doc_id, editor, seen, mutate)


def split_tag(settings: Settings, doc_id: str, *, editor: str, seen: str | None,
              passage: str, number: int, at: int) -> Edit:
    """Split tag ``number`` of a passage in two at character ``at`` of its text; both keep its
    type and pointer (spaces at the cut stay between them)."""

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        tag = _tag(_passage(root, passage, doc_id), number, f"passage {passage} of {doc_id}")
        text = tag.text or ""
        if len(tag):
            raise ArchiveError(f"tag {number} of passage {passage} holds other elements: it "
                               "cannot be split")
        left, right = text[:at].rstrip(), text[at:].lstrip()
        if not 0 < at < len(text) or not left or not right:
            raise ArchiveError(f"cannot split {_quote(text)} at {at}: both parts need text")
        second = copy.deepcopy(tag)
        second.text, second.tail = right, tag.tail
        tag.text, tag.tail = left, text[len(left):len(text) - len(right)]
        tag.addnext(second)
        kind = TYPE_FOR_ELEMENT[str(tag.tag)]
        ref = (tag.get("ref") or "").removeprefix("#") or None
        who = editor_id(editor)
        _point(tag, kind, ref, root, who)
        _point(second, kind, ref, root, who)
        return f"Split {_quote(text)} in passage {passage} into {_quote(left)} and " \
               f"{_quote(right)}.", False

    return _edit(settings, doc_id, editor, seen, mutate)


def join_tags(settings: Settings, doc_id: str, *, editor: str, seen: str | None,
              passage: str, number: int) -> Edit:
    """Join tag ``number`` of a passage and the next one, which must follow it with at most
    spaces between; the joined tag keeps the first one's type and pointer."""

    def mutate(root: etree._Element, registry: Registry) -> tuple[str, bool]:
        element = _passage(root, passage, doc_id)
        where = f"passage {passage} of {doc_id}"
        first, second = _tag(element, number, where), _tag(element, number + 1, where)
        if first.getnext() is not second or (first.tail or "").strip():
            raise ArchiveError(f"tags {number} and {number + 1} of {where} are not adjacent "
                               "(only spaces may stand between them)")
        joined = f"{text_of(first)}{first.tail or ''}{text_of(second)}"
        between = (first.tail or "") + (second.text or "")
        if len(first):
            first[-1].tail = (first[-1].tail or "") + between or None
        else:
            first.text = (first.text or "") + between or None
        for child in list(second):
            first.append(child)
        first.tail = second.tail
        second.tail = None
        element_of = second.getparent()
        assert element_of is not None
        element_of.remove(second)
        kind = TYPE_FOR_ELEMENT[str(first.tag)]
        ref = (first.get("ref") or "").removeprefix("#") or None
        _point(first, kind, ref, root, editor_id(editor))
        return f"Joined tags {number} and {number + 1} of passage {passage} into " \
               f"{_quote(joined)}.", False

    return _edit(settings, doc_id, editor, seen, mutate)


# --- every occurrence of a form -------------------------------------------------------------------

def _documents(settings: Settings, scope: str) -> list[Path]:
    if scope == "archive":
        return list(iter_tei_files(settings.tei_dir))
    doc_id = scope.removeprefix("document:")
    path = tei_path(settings.tei_dir, doc_id)
    if not path.is_file():
        raise ArchiveError(f"no document {doc_id}", str(settings.tei_dir))
    return [path]


def _occurrences(root: etree._Element, form: str) -> Iterator[tuple[str, etree._Element,
                                                                    str, int, int]]:
    pattern = re.compile(rf"(?<!\w){re.escape(form)}(?!\w)")
    for passage in passages(root):
        if passage.leaf:
            text = text_of(passage.element)
            for match in pattern.finditer(text):
                yield passage.address, passage.element, text, match.start(), match.end()


def _exact_tag(element: etree._Element, start: int, end: int) -> etree._Element | None:
    return next((tag for tag, span in _positions(element).items()
                 if span == (start, end) and tag.tag in _TAGS), None)


def _action(element: etree._Element, start: int, end: int, kind: str,
            ref: str | None) -> str | None:
    """"tag", "retag", or None (already so, or it cannot be tagged) for one occurrence."""
    tag = _exact_tag(element, start, end)
    if tag is not None:
        wanted = ELEMENT_FOR_TYPE[kind]
        same = tag.tag == wanted and (tag.get("ref") or None) == (f"#{ref}" if ref else None)
        return None if same else "retag"
    if obstacle(element, start, end) is not None:
        return None
    return "tag" if wrap(copy.deepcopy(element), start, end, etree.Element("x")) else None


def preview_apply_all(settings: Settings, form: str, kind: str, entity: str | None = None,
                      scope: str = "archive", width: int = 40) -> list[Place]:
    """The places :func:`apply_all` would tag (whole-word occurrences of ``form`` in the
    document ``document:ID`` or the whole archive) and the tags it would change.

    Occurrences already tagged so, inside another tag, or crossing an element are left out.
    """
    _check_type(kind)
    if not form.strip():
        raise ArchiveError("the form to tag is empty")
    _target(current_registry(settings), kind, entity, None)
    places: list[Place] = []
    for path in _documents(settings, scope):
        data = path.read_bytes()
        root = parse_tei(path).getroot()
        for address, element, text, start, end in _occurrences(root, form):
            action = _action(element, start, end, kind, entity)
            if action is not None:
                places.append(Place(path.stem, address, start, end,
                                    text[max(0, start - width):start], text[start:end],
                                    text[end:end + width], action, etag(data) or ""))
    return places


def apply_all(settings: Settings, places: Sequence[Place], *, editor: str, kind: str,
              entity: str | None = None, new_name: str | None = None) -> Edit:
    """Tag (or retag) exactly ``places`` (from :func:`preview_apply_all`) as ``kind`` pointing
    to ``entity``: one change, all documents or none.

    :raise ConflictError: a document changed since the preview (its ETag).
    """
    _check_type(kind)
    if not places:
        raise ArchiveError("no places to tag")
    who = editor_id(editor)
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        ref, added = _target(registry, kind, entity, new_name)
        trees: dict[Path, etree._ElementTree] = {}
        form = places[0].text
        for place in places:
            path = tei_path(settings.tei_dir, place.doc)
            if path not in trees:
                check_etag(settings, path, place.etag)
                trees[path] = parse_tei(path)
            root = trees[path].getroot()
            element = _passage(root, place.passage, place.doc)
            where = f"passage {place.passage} of {place.doc}"
            if text_of(element)[place.start:place.end] != place.text:
                raise ConflictError(f"{where} no longer holds {_quote(place.text)} at "
                                    f"{place.start}", str(path))
            tag = _exact_tag(element, place.start, place.end)
            if tag is None:
                tag = etree.Element(ELEMENT_FOR_TYPE[kind])
                _wrap_span(element, place.start, place.end, tag, where)
            _point(tag, kind, ref, root, who)
        what = (f"Tagged {len(places)} occurrence(s) of {_quote(form)} as {kind}"
                f"{f' (#{ref})' if ref else ''} in {len(trees)} document(s).")
        return _write(settings, editor, who, what, trees, registry, added)


def vouched_documents(settings: Settings, entry_id: str, editor: str,
                      what: str) -> dict[Path, bytes]:
    """The documents whose recogniser-made tags point to ``entry_id``, with those tags now
    vouched for by ``editor`` (``@resp`` the editor's, ``@cert`` dropped, the header stamped):
    what accepting a proposal in review makes of its mentions, so that ``archive train``
    learns them as vetted. Nothing is written; each new version has passed the schema gate.
    """
    who = editor_id(editor)
    gate = document_gate(settings, current_registry(settings).typed_ids())
    pointer = f"#{entry_id}"
    updates: dict[Path, bytes] = {}
    for path in iter_tei_files(settings.tei_dir):
        tree = parse_tei(path)
        vouched = [tag for tag in tree.getroot().iter(*_TAGS)
                   if pointer in (tag.get("ref") or "").split()
                   and tag.get("resp") == f"#{MACHINE_PROPOSER}"]
        if not vouched:
            continue
        for tag in vouched:
            tag.set("resp", f"#{who}")
            tag.attrib.pop("cert", None)
        stamp(tree.getroot(), editor, who, what)
        data = serialize(tree, reindent=False)
        gate(path, data)
        updates[path] = data
    return updates
