"""TEI → HTML through one table of behaviours keyed by TEI element name (CETEIcean's idea).

Every element found in ``<text>`` (and in a ``<sourceDoc>`` or a manuscript description, see
:func:`tei.passages.text_roots`) becomes HTML carrying ``data-tei="<name>"``; every passage
carries its citation address as its ``id`` (:mod:`tei.passages`: the ``xml:id``, else a path
such as ``body.div2.p3``), so that ``/documents/<id>#<address>`` survives a re-import; an element
the table does not know still renders its text, as ``<span class="tei-unknown"
data-tei="foo">``, so documents from other projects read too. All text and attribute values
are escaped (:func:`esc`, markupsafe's replacements) before they join the Markup; links keep
only http(s), mailto and ``#`` targets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree
from markupsafe import Markup, escape

from tei.namespaces import TEI_NS, TEI_TEXT, TYPE_FOR_ELEMENT, XML_ID, XML_LANG
from tei.passages import passages, text_roots
from tei.read import text_positions

from .lang import html_lang

#: HTML elements whose content must be phrasing: a block behaviour inside them becomes a span.
PHRASING = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "span", "a", "em", "strong", "i",
                      "b", "u", "q", "cite", "sup", "sub", "small", "del", "ins", "abbr",
                      "dt", "figcaption", "time", "s"})
#: TEI elements of running text: a :attr:`Tag.inline` behaviour inside them stays a phrase.
RUNNING = frozenset({"p", "l", "ab", "seg", "s", "hi", "q", "said"})
#: TEI elements that get a visible citation anchor (with an xml:id, or as a leaf passage).
CITABLE = frozenset({"p", "ab", "item", "quote", "bibl", "head", "sp", "lg", "note", "label"})
MENTION_TYPES = ("person", "place", "org", "date")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass
class Context:
    """State while rendering one document.

    :param doc_id: the document, for citation links.
    :param entities: registry ids a name may link to (others render unlinked).
    :param resolve: a ``@ref`` token → its registry key (``#p1`` → ``<doc>.p1`` in an
        imported document); None to drop the ``#`` only.
    :param addresses: each passage element's citation address; ``leaves``: the leaf passages.
    """

    doc_id: str
    entities: Container[str]
    resolve: Callable[[str], str | None] | None = None
    addresses: dict[etree._Element, str] = field(default_factory=dict)
    leaves: set[etree._Element] = field(default_factory=set)
    out: list[str] = field(default_factory=list)
    depth: int = 0  # div nesting, for heading levels
    phrasing: bool = False  # inside an HTML element that only takes phrasing content
    in_link: bool = False  # inside <a>: no nested links
    mentions: Counter[str] = field(default_factory=Counter)
    uncertain: int = 0
    choices: int = 0  # choice pairs (editor's and source's reading)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (number, HTML) below the text
    apparatus: list[str] = field(default_factory=list)  # entries of the apparatus, HTML
    facsimiles: dict[str, str] = field(default_factory=dict)  # xml:id in <facsimile> → image URL
    images: bool = False  # the reader asked for remote facsimile images
    image_origins: set[str] = field(default_factory=set)  # where the images shown come from
    facsimile_links: int = 0
    lines: int = 0  # lines of the current surface of a genetic transcript
    surfaces: int = 0
    #: each element of a leaf passage → where it starts and ends in the passage's text
    #: (``data-o``/``data-e``: what the tagging script maps a selection with), when ``marks``
    marks: bool = False
    offsets: dict[etree._Element, tuple[int, int]] = field(default_factory=dict)


Behaviour = Callable[[etree._Element, "Context"], None]


@dataclass(frozen=True)
class Tag:
    """A plain behaviour: wrap the children in ``html`` (a span when only phrasing may stand)."""

    html: str
    css: str = ""
    void: bool = False
    #: a block in a block, but a phrase in running text (an inline ``stage`` direction of a
    #: speech, a ``salute`` inside a letter's paragraph): no line break of its own there
    inline: bool = False

    def __call__(self, element: etree._Element, ctx: Context) -> None:
        running = self.inline and (ctx.phrasing or _parent_name(element) in RUNNING)
        tag = "span" if running or (ctx.phrasing and self.html not in PHRASING) else self.html
        css = self.css + (" blk" if tag == "span" and self.html != "span" and not running
                          else "")
        wrap(element, ctx, tag, css.strip())


@dataclass(frozen=True)
class Joined(Tag):
    """A tag whose parts are separated by ``sep`` where the source has only white space
    between them (``<author/> <title/>`` reads "author, title")."""

    sep: str = ", "

    def __call__(self, element: etree._Element, ctx: Context) -> None:
        tag = "span" if ctx.phrasing and self.html not in PHRASING else self.html
        css = self.css + (" blk" if tag == "span" and self.html != "span" else "")
        wrap(element, ctx, tag, css.strip(), body=lambda e, c: joined(e, c, self.sep))


@dataclass(frozen=True)
class Field:
    """A labelled field of a record (a manuscript description's "Support", "Incipit"):
    the label, then the content (its parts joined by ``sep`` when set, see :class:`Joined`)."""

    label: str
    sep: str = ""

    def __call__(self, element: etree._Element, ctx: Context) -> None:
        tag = "span" if ctx.phrasing else "div"

        def body(element: etree._Element, ctx: Context) -> None:
            ctx.out.append(f'<span class="field-label">{esc(self.label)}</span> '
                           f'<{tag} class="field-value">')
            joined(element, ctx, self.sep)
            ctx.out.append(f"</{tag}>")

        wrap(element, ctx, tag, "field blk" if tag == "span" else "field", body=body)


#: Elements that mark a place and never take a separator of their own (:func:`joined`).
SILENT = frozenset({"note", "pb", "lb", "cb", "anchor", "milestone", "gap"})


def joined(element: etree._Element, ctx: Context, sep: str) -> None:
    """The children, those with words separated by ``sep`` when only white space stands
    between them in the source (else as they are, punctuation and all)."""
    if not sep or (element.text or "").strip() or any(
            (child.tail or "").strip() for child in element):
        children(element, ctx)
        return
    seen = False
    for child in element:
        if not isinstance(child.tag, str):
            continue
        words = local_name(child) not in SILENT and bool("".join(child.itertext()).strip())
        if words and seen:
            ctx.out.append(esc(sep))
        render_element(child, ctx)
        seen = seen or words


# --- writing ----------------------------------------------------------------------------

def attributes(element: etree._Element, ctx: Context, css: str = "",
               **extra: str | None) -> str:
    """``data-tei``, ``id`` (a passage's address, else the xml:id), ``lang`` and ``class``,
    escaped."""
    parts = [f' data-tei="{local_name(element)}"']  # (an XML name: nothing to escape)
    xml_id = ctx.addresses.get(element) or element.get(XML_ID)
    if xml_id:
        parts.append(f' id="{esc(xml_id)}"')
    lang = element.get(XML_LANG)
    if lang:
        lang = html_lang(lang)  # a valid BCP 47 tag, else none
        if lang:
            parts.append(f' lang="{lang}"')  # (letters, digits and hyphens only)
    if css:
        parts.append(f' class="{esc(css)}"')
    parts.append(offsets(element, ctx))
    for key, value in extra.items():
        if value is not None:
            parts.append(f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"')
    return "".join(parts)


def offsets(element: etree._Element, ctx: Context) -> str:
    """`` data-o="S" data-e="E"``: where an element of a leaf passage starts and ends in the
    passage's text (:func:`tei.read.text_positions`, the offsets of tag edits); a leaf passage
    itself also says ``data-passage``. Text that the page adds (citation labels, note marks,
    date values, line numbers) stands in elements without them."""
    span = ctx.offsets.get(element)
    if span is None:
        return ""
    leaf = " data-passage" if element in ctx.leaves else ""
    return f' data-o="{span[0]}" data-e="{span[1]}"{leaf}'


def wrap(element: etree._Element, ctx: Context, tag: str, css: str = "",
         body: Behaviour | None = None, **extra: str | None) -> None:
    """Write ``<tag …>``, the citation anchor, the children (or what ``body`` writes),
    ``</tag>``."""
    ctx.out.append(f"<{tag}{attributes(element, ctx, css, **extra)}>")
    outer = ctx.phrasing
    ctx.phrasing = outer or tag in PHRASING
    cite(element, ctx)
    (body or children)(element, ctx)
    ctx.phrasing = outer
    ctx.out.append(f"</{tag}>")


def cite(element: etree._Element, ctx: Context) -> None:
    """A visible, copyable anchor ``/documents/<id>#p12`` for a citable passage: an element
    of a :data:`CITABLE` kind with an xml:id, or such a leaf passage without one (labelled
    with its address's last step: ``p3`` of ``body.div2.p3``)."""
    xml_id = element.get(XML_ID)
    address = ctx.addresses.get(element) or xml_id
    if address and local_name(element) in CITABLE and not ctx.in_link and (
            xml_id or element in ctx.leaves):
        href = f"/documents/{ctx.doc_id}#{address}"
        label = xml_id or address.rpartition(".")[2]
        shown = str(escape(label)).replace(".", ".<wbr>").replace("_", "_<wbr>")
        ctx.out.append(f'<a class="cite" href="{escape(href)}" aria-label="Link to '
                       f'{escape(address)}">{shown}</a>')  # a long id wraps at its steps


def children(element: etree._Element, ctx: Context) -> None:
    """The element's text, its children rendered, and their tails."""
    if element.text:
        ctx.out.append(esc(element.text))
    for child in element:
        if isinstance(child.tag, str):
            render_element(child, ctx)
        if child.tail:
            ctx.out.append(esc(child.tail))


def render_element(element: etree._Element, ctx: Context) -> None:
    """Render one element through its behaviour, or the fallback."""
    behaviour = BEHAVIOURS.get(local_name(element)) if _is_tei(element) else None
    if ctx.marks and element in ctx.leaves:
        ctx.offsets.update(text_positions(element))
    (behaviour or unknown)(element, ctx)


def local_name(element: etree._Element) -> str:
    return str(element.tag).rpartition("}")[2]  # (elements only: their tag is a str)


def esc(text: str) -> str:
    """``markupsafe.escape(text)`` as a plain str (the same five replacements, and faster:
    no Markup object per text node, which counts in a 400 KB document)."""
    return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


def _is_tei(element: etree._Element) -> bool:
    return str(element.tag).startswith(f"{{{TEI_NS}}}")


# --- behaviours that need more than a tag -------------------------------------------------

def unknown(element: etree._Element, ctx: Context) -> None:
    """The fallback: keep the text, say which element it was."""
    wrap(element, ctx, "span", "tei-unknown")


def skip(element: etree._Element, ctx: Context) -> None:
    """Say that something stands here that is not shown (an image is never fetched)."""
    wrap(element, ctx, "span", "tei-omitted")


def head(element: etree._Element, ctx: Context) -> None:
    parent = element.getparent()
    if parent is not None and local_name(parent) in MS_KINDS and not ctx.phrasing:
        wrap(element, ctx, "p", "ms-head")  # a record's title line, under its identifier
        return
    if not ctx.phrasing and parent is not None and (
            local_name(parent) in ("castList", "listWit") or local_name(parent) == "list"
            and (parent.get("type") or parent.get("rend") or "").lower() != "gloss"):
        ctx.out.append('<li class="list-head">')  # a list (ul, ol) holds only items
        _head(element, parent, ctx)
        ctx.out.append("</li>")
        return
    _head(element, parent, ctx)


def _head(element: etree._Element, parent: etree._Element | None, ctx: Context) -> None:
    if ctx.phrasing or parent is None or local_name(parent) not in ("div", "body", "front",
                                                                     "back", "lg", "listBibl",
                                                                     "list", "figure", "table"):
        wrap(element, ctx, "span", "head")
        return
    level = min(1 + max(ctx.depth, 1), 6)
    wrap(element, ctx, f"h{level}")


def div(element: etree._Element, ctx: Context) -> None:
    ctx.depth += 1
    kind = element.get("type")
    Tag("section", f"div {_token(kind)}" if kind else "div")(element, ctx)
    ctx.depth -= 1


def hi(element: etree._Element, ctx: Context) -> None:
    rend = (element.get("rend") or "").lower()
    for keys, tag in (({"italic", "italics", "i", "it"}, "em"), ({"bold", "b"}, "strong"),
                      ({"sup", "superscript"}, "sup"), ({"sub", "subscript"}, "sub"),
                      ({"underline", "u"}, "u")):
        if rend in keys:
            wrap(element, ctx, tag)
            return
    wrap(element, ctx, "span", f"hi {_token(rend)}".strip())


def ref(element: etree._Element, ctx: Context) -> None:
    """A link to an http(s)/mailto URL or a fragment; no link at all when it has no words
    (an empty link names nothing) or its target is unsafe."""
    href = safe_href(element.get("target") or "")
    if href is None or ctx.in_link or not "".join(element.itertext()).strip():
        wrap(element, ctx, "span", "ref", title=element.get("target"))
        return
    external = not href.startswith("#")
    ctx.in_link = True
    wrap(element, ctx, "a", "external" if external else "",
         href=href, rel="noopener noreferrer nofollow" if external else None)
    ctx.in_link = False


def pointer(element: etree._Element, ctx: Context) -> None:
    """A ``ptr``: its (safe) target as a link named by the URL itself."""
    href = safe_href(element.get("target") or "")
    if href is None or ctx.in_link:
        wrap(element, ctx, "span", "ref", title=element.get("target"))
        return
    ctx.out.append(f'<a{attributes(element, ctx, "external", href=href)} '
                   f'rel="noopener noreferrer nofollow">{esc(href)}</a>')


def idno(element: etree._Element, ctx: Context) -> None:
    """An identifier; one that is an http(s) URL links to itself (an empty one links nowhere)."""
    value = "".join(element.itertext()).strip()
    href = safe_href(value) if value.startswith(("http://", "https://")) else None
    if href is None or ctx.in_link or len(element):
        wrap(element, ctx, "span", "idno", data_type=element.get("type"))
        return
    ctx.out.append(f'<a{attributes(element, ctx, "idno external", href=href)} '
                   f'rel="noopener noreferrer nofollow">{esc(value)}</a>')


def safe_href(target: str) -> str | None:
    """``target`` when it is an http(s)/mailto URL or a fragment, else None (``javascript:``)."""
    target = target.strip()
    if not target or any(ch in target for ch in "\n\r\t "):
        return None
    if target.startswith("#"):
        return target
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        return None
    return target if scheme in SAFE_SCHEMES else None


def mention(element: etree._Element, ctx: Context) -> None:
    """A tagged name or date: typed, underlined by type, linked to its registry entry."""
    kind = TYPE_FOR_ELEMENT.get(str(element.tag)) or _name_type(element)
    ctx.mentions[kind] += 1
    cert = element.get("cert")
    css = f"m m-{kind}"
    notes = []
    if cert in ("medium", "low"):
        css += f" uncertain cert-{cert}"
        ctx.uncertain += 1
        notes.append(f"machine-tagged, certainty {cert}")
    if kind == "date":
        date(element, ctx, css, "; ".join(notes) or None)
        return
    entity = _entity(element, ctx)
    title = "; ".join(notes) or None
    if entity is None or ctx.in_link:
        wrap(element, ctx, "span", css, title=title)
        return
    ctx.in_link = True
    wrap(element, ctx, "a", css, href=f"/entities/{entity}", data_entity=entity, title=title)
    ctx.in_link = False


def _name_type(element: etree._Element) -> str:
    kind = (element.get("type") or "").lower()
    return kind if kind in ("person", "place", "org") else "name"


def _entity(element: etree._Element, ctx: Context) -> str | None:
    for token in (element.get("ref") or "").split():
        key = _entity_key(token, ctx)
        if key is not None:
            return key
    return None


def _entity_key(token: str, ctx: Context) -> str | None:
    """The registry entry a pointer (``#Byron``) names, when the registry has it."""
    if ctx.resolve is not None:
        key = ctx.resolve(token)
    else:
        key = token[1:] if token.startswith("#") else None
    return key if key and key in ctx.entities else None


def date(element: etree._Element, ctx: Context, css: str, title: str | None) -> None:
    """A date whose normalised value keyboard and touch users can read: focusable (unless it
    sits in a link, which is), it shows the value in a ``<small>`` on focus or tap (CSS), and
    names it as its description for screen readers (``aria-describedby``)."""
    normal = date_value(element)
    if normal is None or normal == "".join(element.itertext()).strip():  # nothing to add
        wrap(element, ctx, "span", css, title=title, data_when=element.get("when"))
        return
    shown = f"ui-date-{ctx.mentions['date']}"
    wrap(element, ctx, "span", css, title=title, data_when=element.get("when"),
         tabindex=None if ctx.in_link else "0", aria_describedby=shown)
    value = f'<small class="date-value" id="{shown}">{esc(normal)}</small>'
    ctx.out.insert(len(ctx.out) - 1, value)  # before the closing </span>


def date_value(element: etree._Element) -> str | None:
    """A date's normalised value: ``1923-10-15``, ``1923 – 1927``, ``not before 1924-09``."""
    when = element.get("when")
    if when:
        return when
    low = element.get("from") or element.get("notBefore")
    high = element.get("to") or element.get("notAfter")
    if low and high:
        return f"{low} – {high}"
    if low:
        return f"from {low}" if element.get("from") else f"not before {low}"
    if high:
        return f"to {high}" if element.get("to") else f"not after {high}"
    return None


def tei_list(element: etree._Element, ctx: Context) -> None:
    kind = (element.get("type") or element.get("rend") or "").lower()
    if kind == "gloss":
        Tag("dl", "gloss")(element, ctx)
    elif kind in ("numbered", "ordered", "decimal"):
        Tag("ol")(element, ctx)
    else:
        Tag("ul")(element, ctx)


def item(element: etree._Element, ctx: Context) -> None:
    parent = element.getparent()
    gloss = parent is not None and (parent.get("type") or "").lower() == "gloss"
    Tag("dd" if gloss else "li")(element, ctx)


def label(element: etree._Element, ctx: Context) -> None:
    parent = element.getparent()
    gloss = parent is not None and (parent.get("type") or "").lower() == "gloss"
    Tag("dt" if gloss else "span", "" if gloss else "label")(element, ctx)


def quote(element: etree._Element, ctx: Context) -> None:
    parent = element.getparent()
    block = parent is not None and local_name(parent) in ("div", "body", "back", "front", "cit",
                                                          "note", "item", "epigraph")
    Tag("blockquote" if block and not ctx.phrasing else "q")(element, ctx)


def bibl(element: etree._Element, ctx: Context) -> None:
    """A bibliographic reference; an entry of a ``listBibl`` is a list item. Its parts
    (author, title, imprint, date, identifiers) are separated by commas when the source
    leaves only white space between them, so they never run together."""
    parent = element.getparent()
    in_list = parent is not None and local_name(parent) == "listBibl"
    css = "bibl" if local_name(element) == "bibl" else "bibl bibl-struct"
    Joined("li" if in_list else "cite", css,
           sep=". " if local_name(element) == "biblStruct" else ", ")(element, ctx)


def bibliography(element: etree._Element, ctx: Context) -> None:
    """A ``listBibl``: a register of references, its heads as the heading, then one numbered
    entry per ``bibl``/``biblStruct`` (other children, a nested list included, are entries
    of their own)."""
    if ctx.phrasing:
        Tag("span", "bibls")(element, ctx)
        return
    ctx.out.append(f"<section{attributes(element, ctx, 'bibls')}>")
    ctx.depth += 1
    rest = [child for child in element if isinstance(child.tag, str)]
    for child in rest:
        if local_name(child) == "head":
            head(child, ctx)
    ctx.out.append('<ol class="bibls">')
    for child in rest:
        name = local_name(child)
        if name in ("bibl", "biblStruct"):
            render_element(child, ctx)
        elif name != "head":
            ctx.out.append('<li class="bibl-other">')
            render_element(child, ctx)
            ctx.out.append("</li>")
    ctx.out.append("</ol></section>")
    ctx.depth -= 1


def title(element: etree._Element, ctx: Context) -> None:
    """A title: a field of a manuscript item, quoted when it is an article's (``@level="a"``),
    else in italics."""
    if _parent_name(element) in MS_ITEMS:
        Field("Title")(element, ctx)
    elif element.get("level") == "a":
        Tag("q", "title-a")(element, ctx)
    else:
        Tag("cite")(element, ctx)


def author(element: etree._Element, ctx: Context) -> None:
    """An author or editor: a field of a manuscript item, else a name in a reference."""
    if _parent_name(element) in MS_ITEMS:
        Field("Author" if local_name(element) == "author" else "Editor")(element, ctx)
    else:
        Tag("span", local_name(element))(element, ctx)


def _parent_name(element: etree._Element) -> str:
    parent = element.getparent()
    return "" if parent is None else local_name(parent)


def line_break(element: etree._Element, ctx: Context) -> None:
    """A line break; none at the very start of its parent (a line that begins a paragraph
    is no empty line); ``@n`` a multiple of five shows as a number in the margin (CSS, from
    ``data-line``, as verse lines)."""
    parent = element.getparent()
    first = (parent is not None and element.getprevious() is None
             and not (parent.text or "").strip())
    ctx.out.append(f'<span{attributes(element, ctx, "lb")}></span>' if first
                   else f"<br{attributes(element, ctx)}>")
    number = fifth_line(element.get("n"))
    if number:
        ctx.out.append(f'<span class="lb-n" data-line="{esc(number)}"></span>')
    if element.text:
        ctx.out.append(str(escape(element.text)))


def fifth_line(n: str | None) -> str | None:
    """The line number shown for ``@n``: its last number (``5`` of ``1.2.5``) when a
    multiple of five, else None."""
    found = re.search(r"(\d+)\s*$", n or "")
    return str(int(found[1])) if found and int(found[1]) % 5 == 0 else None


def page_break(element: etree._Element, ctx: Context) -> None:
    """A page break: a marker showing ``@n`` (from ``data-n`` by CSS, so the page number does
    not join the words a reader copies or searches); a plain rule mark without ``@n``. A
    ``@facs`` naming an image links to it (:func:`facsimile_link`)."""
    n = element.get("n")
    title = f"page {n}" if n else "page break"
    ctx.out.append(f'<span{attributes(element, ctx, "pb", title=title, data_n=n)}>')
    facsimile_link(element.get("facs"), title, ctx, element.base)
    ctx.out.append("</span>")


def facsimile_url(facs: str | None, ctx: Context, base: str | None = None) -> str | None:
    """The http(s) URL of the image ``@facs`` names: itself (against an ``xml:base``), or for
    ``#f1`` the ``@url`` of that ``graphic`` (or of the first graphic of that ``surface``/
    ``zone``) in the document's ``<facsimile>``. A relative path names an image the archive
    does not hold: None."""
    for token in (facs or "").split():
        url = (ctx.facsimiles.get(token[1:]) if token.startswith("#")
               else urljoin(base or "", token))
        href = safe_href(url or "")
        if href is not None and href.lower().startswith(("http://", "https://")):
            return href
    return None


def facsimile_link(facs: str | None, name: str, ctx: Context, base: str | None = None
                   ) -> None:
    """A link to the facsimile image, opening in a new tab; the image itself too when the
    reader asked for remote images (the page's CSP then allows its origin, see
    :attr:`Rendered.image_origins`). The archive keeps no images of its own."""
    href = facsimile_url(facs, ctx, base)
    if href is None or ctx.in_link:
        return
    ctx.facsimile_links += 1
    origin = image_origin(href) if ctx.images else None
    image = ""
    if origin is not None:
        ctx.image_origins.add(origin)
        image = f'<img src="{esc(href)}" alt="Facsimile of {esc(name)}" loading="lazy">'
    ctx.out.append(f'<a class="facs" href="{esc(href)}" target="_blank" rel="noopener '
                   f'noreferrer nofollow" aria-label="Facsimile of {esc(name)} (opens in a '
                   f'new tab)">{image}</a>')


_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def image_origin(url: str) -> str | None:
    """``https://host[:port]`` of an http(s) URL as a CSP source, None when its host is not a
    plain name or address (no image is shown from it then, only linked)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


def space(element: etree._Element, ctx: Context) -> None:
    """A space left in the source: a space, so the words either side stay apart."""
    ctx.out.append(f'<span{attributes(element, ctx, "space")}> </span>')


def graphic(element: etree._Element, ctx: Context) -> None:
    """A figure's image (never fetched): a framed place for it, named by the figure's
    ``figDesc`` (else the image's file name) for every reader. The image of a genetic
    transcript's surface is its facsimile (:func:`facsimile_link`)."""
    parent = element.getparent()
    if parent is not None and local_name(parent) == "surface":
        return  # linked from the surface's heading
    if parent is not None and local_name(parent) in ("zone", "surfaceGrp"):
        facsimile_link(element.get("url"), "this zone", ctx, element.base)
        return
    desc = None if parent is None else parent.find(f"{{{TEI_NS}}}figDesc")
    name = (element.get("url") or "").rstrip("/").rpartition("/")[2]
    text = " ".join("".join(desc.itertext()).split()) if desc is not None else name
    ctx.out.append(f'<span{attributes(element, ctx, "graphic", role="img")} aria-label="'
                   f'{esc("Figure: " + text if text else "Figure (image not shown)")}">')
    children(element, ctx)
    ctx.out.append("</span>")


def verse_line(element: etree._Element, ctx: Context) -> None:
    """A line of verse (in a stanza or a speech); ``@n`` a multiple of five shows as its line
    number (by CSS, from ``data-line``, so the number does not join the text); an act.scene.line
    ``@n`` (``1.2.5``) counts by its last number."""
    tag = "span" if ctx.phrasing else "div"
    wrap(element, ctx, tag, "l blk" if ctx.phrasing else "l",
         data_line=fifth_line(element.get("n")))


def gap(element: etree._Element, ctx: Context) -> None:
    # "[…]" where the text is missing; a <desc> inside stays in the markup, hidden
    ctx.out.append(f'<span{attributes(element, ctx, "gap", title=element.get("reason"))}>[…]')
    children(element, ctx)
    ctx.out.append("</span>")


#: In a ``choice``, the editor's reading (shown by default) and the source's (diplomatic).
NORMALISED = frozenset({"corr", "reg", "expan"})
DIPLOMATIC = frozenset({"sic", "orig", "abbr"})


def choice(element: etree._Element, ctx: Context) -> None:
    """Both readings in the page: the editor's (``corr``, ``reg``, ``expan``: class ``norm``)
    shown, the source's (``sic``, ``orig``, ``abbr``: class ``dipl``) a click or a key away
    (the choice is a focusable button; viewer.js flips it) or for the whole text at once with
    the reader's "diplomatic" switch. A control holds no other: names in a pair are not links,
    dates not tab stops. A choice without such a pair shows all its children."""
    kinds = {local_name(child) for child in element if isinstance(child.tag, str)}
    pair = bool(kinds & NORMALISED) and bool(kinds & DIPLOMATIC)
    ctx.choices += pair
    extra = ({"tabindex": "0", "role": "button", "title": "Select to see the other reading"}
             if pair else {})
    css = "choice pair" if pair else "choice"
    ctx.out.append(f"<span{attributes(element, ctx, css, **extra)}>")
    in_link, ctx.in_link = ctx.in_link, ctx.in_link or pair
    for child in element:
        if isinstance(child.tag, str):
            name = local_name(child)
            side = ("norm" if name in NORMALISED else "dipl" if name in DIPLOMATIC
                    else "reading") if pair else "reading"
            ctx.out.append(f'<span class="{side}">')
            render_element(child, ctx)
            ctx.out.append("</span>")
    ctx.in_link = in_link
    ctx.out.append("</span>")


def note(element: etree._Element, ctx: Context) -> None:
    """A numbered reference mark in the text; the note itself (its words, its passage ``id``)
    goes to the numbered list below the text (:func:`below_text`), with links both ways.
    A note placed ``inline`` by its editor stays in the text."""
    if (element.get("place") or "").lower() == "inline":
        Tag("span", "note")(element, ctx)
        return
    if _parent_name(element) in MS_RECORD:  # a catalogue's note is part of its record
        Field("Note")(element, ctx)
        return
    number = len(ctx.notes) + 1
    ctx.notes.append((number, ""))  # reserve the number: a nested note takes the next one
    label = element.get("n") or str(number)
    at = offsets(element, ctx)  # the note's words count in the passage's text, not shown here
    mark(ctx, "note", number, label, at + " data-atom" if at else "")
    ctx.notes[number - 1] = (number, aside(ctx, "note", number, label,
                                           lambda: wrap(element, ctx, "div", "note")))


#: What a reader's screen reader calls the entries below the text.
ENTRY_NAMES = {"note": "note", "app": "apparatus entry"}


def mark(ctx: Context, kind: str, number: int, label: str, at: str = "") -> None:
    """The reference mark in the text, linking to entry ``number`` below (no link in a link);
    ``at``: the offsets of what it stands for (:func:`offsets`)."""
    if ctx.in_link:
        ctx.out.append(f'<sup class="{kind}ref" id="ui-{kind}ref-{number}"{at}>'
                       f'{esc(label)}</sup>')
    else:
        ctx.out.append(f'<sup class="{kind}ref"{at}><a id="ui-{kind}ref-{number}" '
                       f'href="#ui-{kind}-{number}" role="doc-noteref" aria-label="'
                       f'{ENTRY_NAMES[kind].capitalize()} {esc(label)}">{esc(label)}</a></sup>')


def aside(ctx: Context, kind: str, number: int, label: str, body: Callable[[], None]) -> str:
    """An entry below the text, ``<li>`` with its back-link to the mark and what ``body``
    writes (rendered apart from the running text, then put back)."""
    outer, phrasing, in_link = ctx.out, ctx.phrasing, ctx.in_link
    ctx.out, ctx.phrasing, ctx.in_link = [], False, False
    ctx.out.append(f'<li id="ui-{kind}-{number}" value="{number}"><a class="{kind}back" '
                   f'href="#ui-{kind}ref-{number}" role="doc-backlink" '
                   f'aria-label="Back to the text of {ENTRY_NAMES[kind]} {esc(label)}">'
                   f"{esc(label)}</a> ")
    body()
    ctx.out.append("</li>")
    html = "".join(ctx.out)
    ctx.out, ctx.phrasing, ctx.in_link = outer, phrasing, in_link
    return html


#: Where the readings of a critical apparatus stand (``rdgGrp`` groups them).
READINGS = frozenset({"lem", "rdg"})


def app(element: etree._Element, ctx: Context) -> None:
    """A critical apparatus entry: the lemma (else the first reading) stays in the text, clean;
    the other readings, with their witnesses, and the entry's notes go to the numbered
    apparatus under the text (:func:`below_text`), linked both ways."""
    shown = shown_reading(element)
    ctx.out.append(f"<span{attributes(element, ctx, 'app')}>")
    if shown is not None:
        render_element(shown, ctx)
    ctx.out.append("</span>")
    number = len(ctx.apparatus) + 1
    ctx.apparatus.append("")
    mark(ctx, "app", number, str(number))

    def entry() -> None:
        if shown is not None:  # (a reading without words, a proposed lacuna: no "]")
            lemma = lemma_words(shown)
            ctx.out.append((f'<span class="lemma">{esc(lemma)}]</span>' if lemma else "")
                           + f"{witnesses(shown)} ")
        apparatus_children(element, shown, ctx)

    ctx.apparatus[number - 1] = aside(ctx, "app", number, str(number), entry)


def shown_reading(element: etree._Element) -> etree._Element | None:
    """The reading of ``app`` that stands in the text: its lemma, else its first reading."""
    readings = [child for child in element.iter() if isinstance(child.tag, str)
                and local_name(child) in READINGS and _app_of(child) is element]
    return next((r for r in readings if local_name(r) == "lem"), readings[0] if readings
                else None)


#: A lemma of more words than this is cited by its first and last word (``ut … capillis``).
LEMMA_WORDS = 6


def lemma_words(reading: etree._Element) -> str:
    """The words of a lemma as the text shows them (an apparatus inside it by its own lemma,
    without its readings and notes), a long one shortened to its first and last word."""
    parts: list[str] = []

    def read(element: etree._Element) -> None:
        parts.append(element.text or "")
        for child in element:
            if isinstance(child.tag, str) and local_name(child) != "note":
                inner = shown_reading(child) if local_name(child) == "app" else child
                if inner is not None:
                    read(inner)
            parts.append(child.tail or "")

    read(reading)
    words = "".join(parts).split()
    return f"{words[0]} … {words[-1]}" if len(words) > LEMMA_WORDS else " ".join(words)


def _app_of(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and local_name(parent) != "app":
        parent = parent.getparent()
    return parent


def apparatus_children(element: etree._Element, shown: etree._Element | None,
                       ctx: Context) -> None:
    """An apparatus entry's readings (but the one in the text) with their witnesses
    (``om.`` for an empty one), groups kept as ``rdgGrp`` spans, notes in place."""
    for child in element:
        if not isinstance(child.tag, str) or child is shown:
            continue
        name = local_name(child)
        if name in READINGS:
            ctx.out.append(f"<span{attributes(child, ctx, 'rdg', data_type=child.get('type'))}>")
            cite(child, ctx)
            children(child, ctx)
            if not "".join(child.itertext()).strip():
                ctx.out.append('<i class="om">om.</i>')
            ctx.out.append(f"</span>{witnesses(child)} ")
        elif name == "rdgGrp":
            ctx.out.append(f"<span{attributes(child, ctx, 'rdg-grp')}>")
            apparatus_children(child, shown, ctx)
            ctx.out.append("</span>")
        elif name == "note":
            Tag("span", "app-note")(child, ctx)
            ctx.out.append(" ")  # the next reading does not join its last word
        else:
            render_element(child, ctx)


def witnesses(element: etree._Element) -> str:
    """``@wit`` (``#A #B``) and ``@source`` (an editor's conjecture, ``#Markland``) as the
    sigla ``A B Markland``, in a span; empty without witnesses or sources."""
    sigla = " ".join(token.lstrip("#") for attribute in ("wit", "source")
                     for token in (element.get(attribute) or "").split())
    return f' <span class="wit">{esc(sigla)}</span>' if sigla else ""


def below_text(ctx: Context) -> str:
    """The document's apparatus and notes, numbered, below the text (nothing when none)."""
    html = ""
    if ctx.apparatus:
        html += ('<section class="apparatus" aria-labelledby="ui-app-title"><h2 id='
                 '"ui-app-title">Apparatus</h2><ol class="apparatus">' + "".join(ctx.apparatus)
                 + "</ol></section>")
    if ctx.notes:
        html += ('<section class="notes" aria-labelledby="ui-notes-title"><h2 id='
                 '"ui-notes-title">Notes</h2><ol class="notes">'
                 + "".join(html for _, html in ctx.notes) + "</ol></section>")
    return html


#: The entries of a register (``listPerson``, ``listPlace``, ``listOrg``), and their names.
REGISTER_ENTRIES = frozenset({"person", "personGrp", "place", "org"})
REGISTER_NAMES = frozenset({"persName", "placeName", "orgName", "name", "geogName"})


def register(element: etree._Element, ctx: Context) -> None:
    """A list of persons, places or organisations in the text: a table, one row per entry,
    its names (linked to the registry when known) in the first column, the rest (dates,
    identifiers, notes) in the second; a list nested in it spans both columns."""
    if ctx.phrasing:
        Tag("span", "register")(element, ctx)
        return
    ctx.out.append(f"<table{attributes(element, ctx, 'register')}>")
    rest = [child for child in element if isinstance(child.tag, str)]
    heads = [child for child in rest if local_name(child) == "head"]
    if heads:
        ctx.out.append("<caption>")
        for head_element in heads:
            wrap(head_element, ctx, "span", "head")
        ctx.out.append("</caption>")
    ctx.out.append("<tbody>")
    for child in rest:
        if child in heads:
            continue
        if local_name(child) in REGISTER_ENTRIES:
            register_row(child, ctx)
        else:
            ctx.out.append('<tr><td colspan="2">')
            render_element(child, ctx)
            ctx.out.append("</td></tr>")
    ctx.out.append("</tbody></table>")


def register_row(entry: etree._Element, ctx: Context) -> None:
    """One entry of a register: ``<tr>`` with the names in a row header."""
    ctx.out.append(f'<tr{attributes(entry, ctx, "entry")}><th scope="row">')
    elements = [child for child in entry if isinstance(child.tag, str)]
    names = [child for child in elements if local_name(child) in REGISTER_NAMES]
    xml_id = entry.get(XML_ID)
    key = _entity_key(f"#{xml_id}", ctx) if xml_id and not ctx.in_link else None
    if key is not None:  # the entry's names link to its registry page
        ctx.in_link = True
        ctx.out.append(f'<a href="/entities/{esc(key)}" data-entity="{esc(key)}">')
    for number, name in enumerate(names):
        ctx.out.append("<br>" if number else "")
        render_element(name, ctx)
    if key is not None:
        ctx.out.append("</a>")
        ctx.in_link = False
    ctx.out.append("</th><td>")
    if entry.text and entry.text.strip():
        ctx.out.append(esc(entry.text))
    for child in elements:
        if child in names:
            continue
        if local_name(child) == "note":  # a register's note stays in its row
            Tag("div", "entry-note")(child, ctx)
        else:
            render_element(child, ctx)
        ctx.out.append(" ")
    ctx.out.append("</td></tr>")


#: The sign before a life event, and the words that already say it (``geb.``, ``born``).
LIFE_SIGNS = {"birth": "*", "death": "†"}


def life_event(element: etree._Element, ctx: Context) -> None:
    """``birth``/``death``: ``*``/``†``, then its words (a date and a place, as a register
    gives them), or the normalised date of itself or its ``date`` when it has none."""
    sign = LIFE_SIGNS[local_name(element)]
    ctx.out.append(f"<span{attributes(element, ctx, local_name(element))}>")
    words = "".join(element.itertext()).strip()
    dated = element.find(f"{{{TEI_NS}}}date")
    value = date_value(element) or (None if dated is None else date_value(dated))
    if not words:
        ctx.out.append(esc(f"{sign} {value}" if value else sign))
    elif not words.startswith(sign):
        ctx.out.append(esc(f"{sign} "))
    children(element, ctx)
    ctx.out.append("</span>")


def events(element: etree._Element, ctx: Context) -> None:
    """A list of events (a person's in a register: hundreds in some editions) folded, its
    count in view, each event on a line with its date."""
    if ctx.phrasing:
        Tag("span", "events")(element, ctx)
        return
    count = sum(1 for child in element if isinstance(child.tag, str)
                and local_name(child) == "event")
    ctx.out.append(f"<details{attributes(element, ctx, 'events')}><summary>"
                   f"{count} event{'s' if count != 1 else ''}</summary><ul>")
    children(element, ctx)
    ctx.out.append("</ul></details>")


def event(element: etree._Element, ctx: Context) -> None:
    """One event of a list: an item, its normalised date first."""
    value = date_value(element)
    ctx.out.append(f"<li{attributes(element, ctx, 'event')}>")
    if value:
        ctx.out.append(f'<span class="event-date">{esc(value)}</span> ')
    children(element, ctx)
    ctx.out.append("</li>")


def cast_item(element: etree._Element, ctx: Context) -> None:
    parent = element.getparent()
    in_group = parent is not None and local_name(parent) == "castGroup"
    Tag("div" if in_group else "li", "cast-item")(element, ctx)


# --- manuscript descriptions ------------------------------------------------------------

#: The sections of a manuscript description (and of its parts), with their headings.
MS_SECTIONS = {"msContents": "Contents", "physDesc": "Physical description",
               "history": "History", "additional": "Additional information"}
#: Labelled fields of a manuscript description (each one line or block of the record).
MS_FIELDS = {
    "summary": "Summary", "textLang": "Language", "rubric": "Rubric", "incipit": "Incipit",
    "explicit": "Explicit", "finalRubric": "Final rubric", "colophon": "Colophon",
    "filiation": "Filiation", "support": "Support", "extent": "Extent",
    "foliation": "Foliation", "collation": "Collation", "condition": "Condition",
    "layoutDesc": "Layout", "handDesc": "Hands", "scriptDesc": "Script", "typeDesc": "Type",
    "decoDesc": "Decoration", "musicNotation": "Music", "additions": "Additions",
    "bindingDesc": "Binding", "sealDesc": "Seals", "accMat": "Accompanying material",
    "provenance": "Provenance", "acquisition": "Acquisition", "recordHist": "Record",
    "availability": "Availability", "custodialHist": "Custodial history",
    "surrogates": "Surrogates", "secFol": "Second folio", "signatures": "Signatures",
    "catchwords": "Catchwords",
}
#: Where an ``author``/``title`` is a field of the record rather than part of a reference.
MS_ITEMS = frozenset({"msItem", "msItemStruct"})
#: Elements of a record whose notes stay in place, as a field.
MS_RECORD = frozenset({"msDesc", "msPart", "msFrag", "msContents", "msItem", "msItemStruct",
                       "physDesc", "objectDesc", "supportDesc", "history", "additional",
                       "adminInfo"})
#: The parts of an identifier that make the record's heading (the first idno only).
MS_HEADING = ("settlement", "repository", "collection", "idno")
MS_KINDS = {"msDesc": "Manuscript", "msPart": "Part", "msFrag": "Fragment"}


def ms_desc(element: etree._Element, ctx: Context) -> None:
    """A manuscript description (or one of its parts) as a catalogue record: a section
    whose identifier is its heading (:func:`ms_identifier`), then contents, physical
    description, history and bibliography as sections with headings, their fields labelled.
    One in the header stands above the text (see :func:`render_text`)."""
    ctx.depth += 1
    Tag("section", f"ms-desc {_token(local_name(element))}")(element, ctx)
    ctx.depth -= 1


def ms_section(element: etree._Element, ctx: Context) -> None:
    """A section of a record under its heading ("Contents", "History", …)."""
    if ctx.phrasing:
        Tag("span", "ms-section")(element, ctx)
        return
    ctx.depth += 1
    level = min(1 + max(ctx.depth, 1), 6)

    def body(element: etree._Element, ctx: Context) -> None:
        ctx.out.append(f'<h{level} class="ms-section-head">'
                       f'{esc(MS_SECTIONS[local_name(element)])}</h{level}>')
        children(element, ctx)

    wrap(element, ctx, "section", f"ms-section {_token(local_name(element))}", body=body)
    ctx.depth -= 1


def ms_identifier(element: etree._Element, ctx: Context) -> None:
    """The record's heading line: "Manuscript" (or "Part"), then settlement, repository,
    collection and shelfmark (the first ``idno``) joined by commas; the rest (country,
    institution, other identifiers, ``altIdentifier``) on a line below it."""
    parts = [child for child in element if isinstance(child.tag, str)
             and "".join(child.itertext()).strip()]
    heading: list[etree._Element] = []
    for child in parts:
        name = local_name(child)
        if name in MS_HEADING and not any(local_name(h) == name == "idno" for h in heading):
            heading.append(child)
    heading = heading or parts[:1]  # a part named only by an altIdentifier: that is its name
    level = min(1 + max(ctx.depth, 1), 6)
    tag = "span" if ctx.phrasing else f"h{level}"
    kind = MS_KINDS.get(_parent_name(element), "Manuscript")
    ctx.out.append(f'<{tag}{attributes(element, ctx, "ms-identifier")}><span class="ms-kind">'
                   f"{esc(kind)}</span> ")
    outer, ctx.phrasing = ctx.phrasing, True
    for number, child in enumerate(heading):
        ctx.out.append(", " if number else "")
        render_element(child, ctx)
    ctx.out.append(f"</{tag}>")
    rest = [child for child in parts if child not in heading]
    if rest:
        ctx.out.append('<span class="ms-more blk">' if outer else '<p class="ms-more">')
        for number, child in enumerate(rest):
            ctx.out.append(" · " if number else "")
            render_element(child, ctx)
        ctx.out.append("</span>" if outer else "</p>")
    ctx.phrasing = outer


def dimensions(element: etree._Element, ctx: Context) -> None:
    """``<dimensions unit="mm"><height>230</height><width>150</width>``: "230 × 150 mm"."""
    def body(element: etree._Element, ctx: Context) -> None:
        joined(element, ctx, " × ")
        unit, kind = element.get("unit"), element.get("type")
        ctx.out.append(f" {esc(unit)}" if unit else "")
        ctx.out.append(f' <span class="dim-type">({esc(kind)})</span>' if kind else "")

    wrap(element, ctx, "span", "dimensions", body=body)


def dated(element: etree._Element, ctx: Context) -> None:
    """A date that is no mention (``origDate``): its normalised value in the title."""
    wrap(element, ctx, "span", _token(local_name(element)), title=date_value(element))


# --- genetic transcripts ----------------------------------------------------------------

def surface(element: etree._Element, ctx: Context) -> None:
    """A written surface: a section headed "Surface" and its ``@n`` (else its number), with
    a link to its facsimile; its lines are numbered within it."""
    if ctx.phrasing:
        Tag("span", "surface")(element, ctx)
        return
    ctx.surfaces += 1
    ctx.lines = 0
    ctx.depth += 1
    level = min(1 + max(ctx.depth, 1), 6)
    name = f"surface {element.get('n') or ctx.surfaces}"

    def body(element: etree._Element, ctx: Context) -> None:
        ctx.out.append(f'<h{level} class="surface-label">{esc(name.capitalize())}')
        image = element.find(f"{{{TEI_NS}}}graphic")
        facsimile_link(element.get("facs") or (None if image is None else image.get("url")),
                       name, ctx, (element if image is None else image).base)
        ctx.out.append(f"</h{level}>")
        children(element, ctx)

    wrap(element, ctx, "section", "surface", body=body)
    ctx.depth -= 1


def zone(element: etree._Element, ctx: Context) -> None:
    """A zone of a surface, its ``@type`` ("main", "left_margin") as a label above it."""
    kind = element.get("type")

    def body(element: etree._Element, ctx: Context) -> None:
        if kind:
            ctx.out.append(f'<span class="zone-label">{esc(kind.replace("_", " "))}</span>')
        children(element, ctx)

    wrap(element, ctx, "span" if ctx.phrasing else "div",
         f"zone zone-{_token(kind)}" if kind else "zone", body=body)


def source_line(element: etree._Element, ctx: Context) -> None:
    """A written line: one line of the page, numbered by ``@n`` (else its place on the
    surface), every fifth number shown in the margin."""
    ctx.lines += 1
    wrap(element, ctx, "span" if ctx.phrasing else "div",
         "line blk" if ctx.phrasing else "line",
         data_line=fifth_line(element.get("n") or str(ctx.lines)))


def addition(element: etree._Element, ctx: Context) -> None:
    """An addition: inserted text, raised above the line (or lowered below it, or set in
    the margin) as ``@place`` says."""
    place = (element.get("place") or "").lower().split()
    where = next((w for w in place if w in PLACES), "")
    wrap(element, ctx, "ins", f"add {PLACES[where]}".strip() if where else "add",
         title=f"added {' '.join(place)}".strip() if place else "added")


#: ``add/@place`` values and the class that sets the addition there.
PLACES = {"above": "above", "supralinear": "above", "superlinear": "above", "over": "above",
          "top": "above", "below": "below", "infralinear": "below", "under": "below",
          "bottom": "below", "margin": "margin", "left": "margin", "right": "margin",
          "inline": "", "inspace": ""}


def metamark(element: etree._Element, ctx: Context) -> None:
    """A mark of the writer about the writing (a cross, a line, an arrow): shown, its
    ``@function`` as its title (an empty one as a sign, by CSS)."""
    wrap(element, ctx, "span", "metamark",
         title=f"metamark: {element.get('function') or element.get('rend') or 'sign'}")


def _token(value: str | None) -> str:
    # a class name from an attribute value: letters, digits and - only
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in (value or ""))[:40]


#: The behaviours table: TEI element name → how it becomes HTML.
BEHAVIOURS: dict[str, Behaviour] = {
    # structure
    "text": Tag("div", "text"), "front": Tag("section", "front"), "body": Tag("div", "body"),
    "back": Tag("section", "back"), "group": Tag("div", "group"), "div": div,
    "div1": div, "div2": div, "div3": div, "head": head,
    # blocks
    "p": Tag("p"), "ab": Tag("p", "ab"), "list": tei_list, "item": item, "label": label,
    "quote": quote, "q": Tag("q"), "cit": Tag("figure", "cit"), "listBibl": bibliography,
    "bibl": bibl, "biblStruct": bibl, "analytic": Joined("span", "analytic"),
    "monogr": Joined("span", "monogr"), "imprint": Joined("span", "imprint"),
    "series": Joined("span", "series"), "author": author, "editor": author,
    "pubPlace": Tag("span", "pub-place"), "publisher": Tag("span", "publisher"),
    "biblScope": Tag("span", "bibl-scope"), "edition": Tag("span", "edition"),
    "note": note, "lg": Tag("div", "lg"), "l": verse_line,
    "sp": Tag("div", "sp"), "speaker": Tag("div", "speaker"),
    "stage": Tag("div", "stage", inline=True),
    "figure": Tag("figure"), "figDesc": Tag("figcaption"), "graphic": graphic, "media": skip,
    "table": Tag("table"), "row": Tag("tr"), "cell": Tag("td"),
    "titlePage": Tag("div", "title-page"), "docTitle": Tag("div", "doc-title"),
    "titlePart": Tag("div", "title-part"), "docAuthor": Tag("div", "doc-author"),
    "docImprint": Tag("div", "doc-imprint"), "byline": Tag("div", "byline"),
    "dateline": Tag("div", "dateline"), "opener": Tag("div", "opener"),
    "closer": Tag("div", "closer"), "salute": Tag("div", "salute", inline=True),
    "signed": Tag("div", "signed"), "address": Tag("div", "address"),
    "addrLine": Tag("div", "addr-line"), "epigraph": Tag("div", "epigraph"),
    "argument": Tag("div", "argument"), "trailer": Tag("div", "trailer"),
    "castList": Tag("ul", "cast"), "castGroup": Tag("li", "cast-group"),
    "castItem": cast_item, "role": Tag("span", "role"),
    "listWit": Tag("ul", "list-wit"), "witness": Tag("li", "witness"),
    "roleDesc": Tag("span", "role-desc"),
    # phrases
    "hi": hi, "emph": Tag("em"), "foreign": Tag("i", "foreign"), "term": Tag("i", "term"),
    "mentioned": Tag("i", "mentioned"), "soCalled": Tag("q", "so-called"),
    "title": title, "ref": ref, "lb": line_break, "pb": page_break, "cb": skip,
    "milestone": skip, "space": space, "gap": gap, "desc": Tag("span", "desc"), "choice": choice,
    "sic": Tag("span", "sic"), "app": app, "lem": Tag("span", "lem"), "rdg": Tag("span", "rdg"),
    "corr": Tag("span", "corr"), "orig": Tag("span", "orig"), "reg": Tag("span", "reg"),
    "abbr": Tag("abbr"), "expan": Tag("span", "expan"), "del": Tag("del"), "add": addition,
    "unclear": Tag("span", "unclear"), "supplied": Tag("span", "supplied"),
    "seg": Tag("span", "seg"), "w": Tag("span"), "pc": Tag("span"), "c": Tag("span"),
    "s": Tag("span"), "num": Tag("span", "num"), "measure": Tag("span", "measure"),
    # names and dates: one behaviour, typed
    "persName": mention, "placeName": mention, "orgName": mention, "name": mention,
    "rs": mention, "date": mention,
    # letters, early print, speech
    "listPerson": register, "listPlace": register, "listOrg": register, "birth": life_event,
    "death": life_event, "idno": idno, "ptr": pointer, "listEvent": events, "event": event,
    "location": Tag("span", "location"), "geo": Tag("span", "geo"),
    "postscript": Tag("div", "postscript"), "fw": Tag("div", "fw"), "u": Tag("div", "u"),
    # genetic transcripts
    "sourceDoc": Tag("div", "source-doc"), "surfaceGrp": Tag("div", "surface-grp"),
    "surface": surface, "zone": zone, "line": source_line, "mod": Tag("span", "mod"),
    "retrace": Tag("span", "retrace"), "metamark": metamark, "subst": Tag("span", "subst"),
    "restore": Tag("span", "restore"), "damage": Tag("span", "damage"),
    "surplus": Tag("span", "surplus"), "handShift": Tag("span", "hand-shift"),
    "anchor": Tag("span", "anchor"), "addSpan": Tag("span", "add-span"),
    "delSpan": Tag("span", "del-span"), "locusGrp": Tag("span", "locus-grp"),
    # manuscript descriptions (shown with the text: their words are passages too)
    "msDesc": ms_desc, "msPart": ms_desc, "msFrag": ms_desc, "msIdentifier": ms_identifier,
    "altIdentifier": Joined("span", "alt-identifier"), "msName": Tag("span", "ms-name"),
    "country": Tag("span", "country"), "region": Tag("span", "region"),
    "settlement": Tag("span", "settlement"), "institution": Tag("span", "institution"),
    "repository": Tag("span", "repository"), "collection": Tag("span", "collection"),
    **{name: ms_section for name in MS_SECTIONS},
    **{name: Field(label) for name, label in MS_FIELDS.items()},
    "origin": Field("Origin", "; "), "origDate": dated, "origPlace": Tag("span", "orig-place"),
    "msItem": Tag("div", "ms-item"), "msItemStruct": Tag("div", "ms-item"),
    "locus": Tag("span", "locus"), "objectDesc": Tag("div", "object-desc"),
    "supportDesc": Tag("div", "support-desc"), "dimensions": dimensions,
    "height": Tag("span", "height"), "width": Tag("span", "width"),
    "depth": Tag("span", "depth"), "layout": Tag("div", "layout"),
    "handNote": Tag("div", "hand-note"), "decoNote": Tag("div", "deco-note"),
    "binding": Tag("div", "binding"), "seal": Tag("div", "seal"),
    "adminInfo": Tag("div", "admin-info"), "source": Tag("div", "source"),
    "objectType": Tag("span", "object-type"), "citedRange": Tag("span", "cited-range"),
    "ex": Tag("span", "ex"), "g": Tag("span", "g"), "join": Tag("span", "join"),
}


@dataclass(frozen=True)
class Rendered:
    """A document's text as safe HTML, with what the legend needs."""

    html: Markup
    mentions: dict[str, int]
    uncertain: int
    choices: int = 0  # choice pairs: the reader's diplomatic / normalised switch shows
    facsimiles: int = 0  # links to facsimile images (the reader's image switch shows)
    image_origins: tuple[str, ...] = ()  # where the images shown come from (for the CSP)


def render_text(tree: etree._ElementTree, doc_id: str, entities: Container[str],
                resolve: Callable[[str], str | None] | None = None, *,
                images: bool = False, offsets: bool = False) -> Rendered:
    """Render every text root of a TEI document (see :func:`tei.passages.text_roots`: each
    ``<text>``, ``<sourceDoc>`` and manuscript description; the rest of the header is shown
    from the index), every passage with its address as ``id``.

    :param doc_id: the document's id, for citation anchors.
    :param entities: registry ids that names may link to.
    :param resolve: how a ``@ref`` token becomes a registry id (the importer's
        ``DocumentRefs.key`` for the document); None: ``#id`` → ``id``.
    :param images: show facsimile images from other sites (``pb/@facs``), not only link them.
    :param offsets: mark each element of a leaf passage with its offsets in the passage's text
        (:func:`offsets`; an editor's view, for tagging).
    :return: the HTML and the count of mentions by type.
    """
    return render_pieces(tree, doc_id, entities, resolve, images=images,
                         offsets=offsets).rendered


def _blank(element: etree._Element) -> bool:
    """Whether ``element`` shows nothing: no words, no image, no facsimile."""
    return not any(text.strip() for text in element.itertext()) and not any(
        isinstance(e.tag, str) and (e.get("facs") or e.get("url")) for e in element.iter())


def facsimile_images(root: etree._Element) -> dict[str, str]:
    """The image URL of every identified ``graphic``, ``surface`` and ``zone`` (its first
    graphic) in the document's ``<facsimile>``, by xml:id: what ``@facs="#f1"`` names."""
    found: dict[str, str] = {}
    graphic_tag = f"{{{TEI_NS}}}graphic"
    for facsimile in root.iter(f"{{{TEI_NS}}}facsimile"):
        for element in facsimile.iter(graphic_tag, f"{{{TEI_NS}}}surface", f"{{{TEI_NS}}}zone"):
            xml_id = element.get(XML_ID)
            first = element if element.tag == graphic_tag else element.find(f".//{graphic_tag}")
            url = None if first is None else first.get("url")
            if xml_id and url and first is not None:  # against its xml:base, if any
                found.setdefault(xml_id, urljoin(first.base or "", url.strip()))
    return found


# --- long documents: the divisions, rendered one by one (webui.documents pages them) --------

#: Division elements (numbered ones too): the table of contents lists them, pages split them.
DIVISIONS = frozenset({"div", *(f"div{n}" for n in range(1, 8))})
BEHAVIOURS.update({f"div{n}": div for n in range(4, 8)})


@dataclass(frozen=True)
class Division:
    """An entry of the table of contents: a division, its nesting level (1 outermost), its
    label (the head, else ``@type @n``, else "Section N"), the citation anchor it links to
    (its ``xml:id``, else its head's or first passage's address) and the piece holding it
    (None: outside the pieces, shown on every page)."""

    level: int
    label: str
    target: str | None
    piece: int | None


@dataclass(frozen=True)
class Piece:
    """One division's HTML (and what follows it before the next one), its notes (numbered as
    in the whole document) and its apparatus entries."""

    html: str
    notes: list[tuple[int, str]]
    apparatus: list[str]


@dataclass(frozen=True)
class Pieces:
    """A document rendered in pieces, each one division of the level where the text divides
    (the body's divisions, or those of a body holding one division only): ``before`` + the
    pieces + ``after`` is the whole text; each piece's notes and apparatus entries are its own
    (numbered as in the whole document); ``below`` lists the others'. No pieces: a text that
    does not divide (see :func:`render_text`)."""

    rendered: Rendered  # the legend's counts; its html is before + pieces + after + notes
    before: str
    pieces: list[Piece]
    after: str
    below: str
    contents: list[Division]


def render_pieces(tree: etree._ElementTree, doc_id: str, entities: Container[str],
                  resolve: Callable[[str], str | None] | None = None, *,
                  images: bool = False, offsets: bool = False) -> Pieces:
    """Render like :func:`render_text` (the same HTML), cutting the text where it divides."""
    root = tree.getroot()
    found = passages(root)
    ctx = Context(doc_id, entities, resolve, {p.element: p.address for p in found},
                  {p.element for p in found if p.leaf}, facsimiles=facsimile_images(root),
                  images=images, marks=offsets)
    roots = [root] if root.tag == TEI_TEXT else text_roots(root)
    container = _dividing(roots)  # (only a lone text divides)
    cuts: list[tuple[etree._Element, int, int, int]] = []  # (division, out, notes, apparatus)
    path = {container, *container.iterancestors()} if container is not None else set()
    ends: list[tuple[int, int, int]] = []  # where the last division ends
    for text in roots:
        # a record stands alone, not above an empty text (kept, hidden: its passages' ids)
        hidden = len(roots) > 1 and _blank(text)
        ctx.out.append('<div class="blank" hidden>' if hidden else "")
        _render_cutting(text, ctx, path, container, cuts, ends)
        ctx.out.append("</div>" if hidden else "")
    whole_notes = below_text(ctx)
    html = "".join(ctx.out)
    whole = Rendered(Markup(html + whole_notes), dict(ctx.mentions), ctx.uncertain,
                     ctx.choices, ctx.facsimile_links, tuple(sorted(ctx.image_origins)))
    if not cuts:
        return Pieces(whole, html, [], "", whole_notes, contents(root, ctx, []))
    bounds = [cut[1:] for cut in cuts] + ends
    pieces = [Piece("".join(ctx.out[start[0]:stop[0]]), ctx.notes[start[1]:stop[1]],
                    ctx.apparatus[start[2]:stop[2]])
              for start, stop in zip(bounds, bounds[1:], strict=False)]
    first, last = bounds[0], bounds[-1]
    return Pieces(whole, "".join(ctx.out[:first[0]]), pieces,
                  "".join(ctx.out[last[0]:]),
                  entries_below(ctx.notes[:first[1]] + ctx.notes[last[1]:],
                                ctx.apparatus[:first[2]] + ctx.apparatus[last[2]:]),
                  contents(root, ctx, [cut[0] for cut in cuts]))


def entries_below(notes: list[tuple[int, str]], apparatus: list[str], key: str = "",
                  title: str = "") -> str:
    """Notes and apparatus entries as :func:`below_text` lists them; for a part, ``key``
    keeps its headings' ids apart and ``title`` (its chapters) follows "Notes", so that each
    part's lists have names of their own."""
    html = below_text(Context("", (), notes=notes, apparatus=apparatus))
    if key:
        html = html.replace('-title"', f'-title{key}"')
    if title:
        html = html.replace("</h2>", f" <small>({esc(title)})</small></h2>")
    return html


def _dividing(roots: list[etree._Element]) -> etree._Element | None:
    """Where a lone ``<text>`` divides: its body, or the one division a body holds (and so
    on down), when that holds two divisions or more; None for other texts."""
    if len(roots) != 1 or roots[0].tag != TEI_TEXT:
        return None
    element = roots[0].find(f"{{{TEI_NS}}}body")
    while element is not None:
        divisions = [child for child in element if _is_division(child)]
        if len(divisions) >= 2:
            return element
        element = divisions[0] if divisions else None
    return None


def _is_division(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and _is_tei(element) and local_name(element) in DIVISIONS


def _render_cutting(element: etree._Element, ctx: Context, path: set[etree._Element],
                    container: etree._Element | None,
                    cuts: list[tuple[etree._Element, int, int, int]],
                    ends: list[tuple[int, int, int]]) -> None:
    """Render ``element`` as its behaviour would, but by hand along ``path`` (the text root
    down to ``container``), noting where each of the container's divisions starts (``cuts``)
    and where the last one ends (``ends``)."""
    if element not in path:
        render_element(element, ctx)
        return
    behaviour = BEHAVIOURS.get(local_name(element))
    division = not isinstance(behaviour, Tag)
    kind = element.get("type")
    tag, css = (("section", f"div {_token(kind)}" if kind else "div") if division
                else (behaviour.html, behaviour.css))  # type: ignore[union-attr]
    ctx.depth += division
    ctx.out.append(f"<{tag}{attributes(element, ctx, css)}>")
    cite(element, ctx)
    if element.text:
        ctx.out.append(esc(element.text))
    for child in element:
        if isinstance(child.tag, str):
            cutting = element is container and _is_division(child)
            if cutting:
                cuts.append((child, len(ctx.out), len(ctx.notes), len(ctx.apparatus)))
            _render_cutting(child, ctx, path, container, cuts, ends)
            if cutting:
                ends[:] = [(len(ctx.out), len(ctx.notes), len(ctx.apparatus))]
        if child.tail:
            ctx.out.append(esc(child.tail))
    ctx.depth -= division
    ctx.out.append(f"</{tag}>")


def contents(root: etree._Element, ctx: Context, cut: list[etree._Element]
             ) -> list[Division]:
    """The table of contents: every division of the text, in document order."""
    piece_of = {element: number for number, element in enumerate(cut)}
    entries = []
    for element in root.iter(*(f"{{{TEI_NS}}}{name}" for name in DIVISIONS)):
        level, piece, siblings = 1, None, 0
        for ancestor in element.iterancestors():
            if _is_division(ancestor):
                level += 1
        for holder in (element, *element.iterancestors()):
            if holder in piece_of:
                piece = piece_of[holder]
                break
        for sibling in element.itersiblings(preceding=True):
            siblings += _is_division(sibling)
        entries.append(Division(level, division_label(element, siblings + 1),
                                _target(element, ctx), piece))
    return entries


def division_label(element: etree._Element, number: int) -> str:
    """The division's heads (their words, without notes; two heads — ``I`` and ``THE
    BEGINNING`` — as ``I. THE BEGINNING``), else ``Chapter 3`` from ``@type`` and ``@n``,
    else "Section ``number``"."""
    words = ""
    for head_element in element.iterchildren(f"{{{TEI_NS}}}head"):
        text = " ".join("".join(head_element.xpath(
            ".//text()[not(ancestor::t:note)]", namespaces={"t": TEI_NS})).split())
        if text:
            words += (" " if words[-1:] in ".:;!?" else ". ") + text if words else text
    if words:
        return words if len(words) <= 120 else words[:119] + "…"
    kind, n = (element.get("type") or "").replace("_", " "), element.get("n")
    if n:
        return f"{kind.capitalize()} {n}" if kind else n
    return f"{kind.capitalize() if kind else 'Section'} {number}"


def _target(element: etree._Element, ctx: Context) -> str | None:
    """The division's citation anchor: its own, else the first passage's inside it."""
    own = ctx.addresses.get(element) or element.get(XML_ID)
    if own:
        return own
    for inner in element.iter():
        address = ctx.addresses.get(inner)
        if address:
            return address
    return None
