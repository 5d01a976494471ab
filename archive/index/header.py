"""A document's metadata, read from its ``teiHeader`` as a cataloguer would read it.

Other projects' headers say the same things in many ways; :func:`read_header` takes each field
from where it is most specific:

- **title**: the document's own title: ``titleStmt/title[@type='main']``, else an analytic
  title (``@level='a'``: a letter or article within a collection), else the first title that is
  neither the series' or journal's (``@level='s'``/``'j'``) nor a subtitle, short or
  alternative form, else the first title.
- **publication**: the periodical or publisher of the source (``sourceDesc/bibl``), else the
  title of the edition or series the document belongs to (``titleStmt/title[@level='s']``, a
  collection's ``@level='m'``/``'j'`` title beside an analytic one, ``seriesStmt/title``).
- **author**: each ``titleStmt/author``'s name without authority numbers: its ``persName``
  (or ``name``), else its own text without ``idno``/``ptr``/``note`` children; name parts
  joined in order (``Schnitzler, Arthur`` when the surname comes first).
- **date**: the creation date (``profileDesc/creation``, DraCor's ``standOff`` event of
  type ``written``), else the date a letter was sent (``correspDesc``), else the source's date
  (``sourceDesc``: a bibliographic description's date, a manuscript's ``origDate``, a date
  typed as written before the others; DraCor's print or premiere event), else the
  publication date. ``@when`` → ``"1892-05-06"``; a range (``@from``/``@to``,
  ``@notBefore``/``@notAfter``) is kept as an ISO interval ``"1892-05-06/1892-05-08"`` (an
  open end ``..``); without attributes the date's text is read (``"February, 2017"``).
  ``start_day``/``end_day`` are the first and last day the date may mean.
- **kind**: the header's classification (``textClass``: a term typed as the kind or genre, a
  ``catRef``'s category), else the structure: letter, drama, critical edition, inscription,
  manuscript description, genetic transcript, verse or prose.
- **language**: ``langUsage``, else the root's (or the text's) ``@xml:lang``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from tei.namespaces import NSMAP, TEI_AB, TEI_P, XML_ID, XML_LANG, tei

from ..annotate import find_dates
from ..registry import name_text
from .days import day_range

_H = "/tei:TEI/tei:teiHeader"
_FIELDS = {
    name: etree.XPath(f"string({expression})", namespaces=NSMAP)
    for name, expression in {
        "publication": f"({_H}/tei:fileDesc/tei:sourceDesc/tei:bibl/tei:title[@level='j'])[1]",
        "publisher": f"({_H}/tei:fileDesc/tei:sourceDesc/tei:bibl/tei:publisher)[1]",
        "language": f"({_H}/tei:profileDesc/tei:langUsage/tei:language/@ident)[1]",
        "licence": f"({_H}/tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence)[1]",
    }.items()
}


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=NSMAP)


_TITLES = _xpath(f"{_H}/tei:fileDesc/tei:titleStmt/tei:title")
_SERIES_TITLES = _xpath(f"{_H}/tei:fileDesc/tei:seriesStmt/tei:title")
_AUTHORS = _xpath(f"{_H}/tei:fileDesc/tei:titleStmt/tei:author")
_KIND_TERMS = _xpath(f"{_H}/tei:profileDesc/tei:textClass//tei:term")
_CAT_REFS = _xpath(f"{_H}/tei:profileDesc/tei:textClass//tei:catRef/@target")
_CATEGORIES = _xpath(f"{_H}/tei:encodingDesc/tei:classDecl//tei:category[@xml:id]")
#: Where the date is looked for, in order (see the module docstring).
_DATE_PLACES = [_xpath(expression) for expression in (
    f"{_H}/tei:profileDesc/tei:creation//tei:date"
    f" | {_H}/tei:profileDesc/tei:creation//tei:origDate"
    " | /tei:TEI/tei:standOff/tei:listEvent/tei:event[@type='written']",  # (DraCor's)
    f"{_H}/tei:profileDesc/tei:correspDesc/tei:correspAction[@type='sent']/tei:date",
    # a description of the source: its own date, an imprint's, a manuscript's origin
    f"{_H}/tei:fileDesc/tei:sourceDesc//*[self::tei:bibl or self::tei:biblFull"
    " or self::tei:monogr or self::tei:imprint or self::tei:publicationStmt]/tei:date"
    f" | {_H}/tei:fileDesc/tei:sourceDesc//tei:msDesc//tei:origDate"
    f" | {_H}/tei:fileDesc/tei:sourceDesc/tei:date"
    " | /tei:TEI/tei:standOff/tei:listEvent/tei:event[@type='print' or @type='premiere']",
    f"{_H}/tei:fileDesc/tei:publicationStmt/tei:date",
)]
#: ``title/@type`` values that are not the title itself.
_SECONDARY_TITLES = frozenset({"sub", "subtitle", "short", "abbreviated", "alt", "alternative",
                               "desc", "parallel", "iso-date", "uniform", "filing"})
#: ``term/@type`` values that classify the kind of text (``kind`` is the archive's own).
_KIND_TYPES = ("kind", "genre", "form", "textType", "text-type", "textKind")
_NAME_ELEMENTS = ("persName", "name", "orgName")
#: A date's type saying when the text was made: preferred over print or premiere dates.
_WRITTEN = frozenset({"written", "creation", "composition"})
_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)")


def read_header(tree: etree._ElementTree) -> dict[str, str | int | None]:
    """The header's metadata fields (see the module docstring); None where it says nothing.

    :return: ``title``, ``author``, ``publication``, ``publisher``, ``date``, ``start_day``,
        ``end_day``, ``kind``, ``language``, ``licence``.
    """
    root = tree.getroot()
    header: dict[str, str | int | None] = {
        name: _normal(str(xpath(tree))) or None for name, xpath in _FIELDS.items()}
    titles = [title for title in _TITLES(tree) if _normal(_text(title))]
    header["title"] = _title(titles)
    header["author"] = "; ".join(filter(None, (_author(a) for a in _AUTHORS(tree)))) or None
    header["publication"] = (header["publication"] or header["publisher"]
                             or _edition_title(tree, titles))
    header["date"], header["start_day"], header["end_day"] = _date(tree)
    header["kind"] = _declared_kind(tree) or structural_kind(root)
    text = root.find("tei:text", NSMAP)
    header["language"] = (header["language"] or root.get(XML_LANG)
                          or (text.get(XML_LANG) if text is not None else None))
    return header


def _normal(value: str) -> str:
    return " ".join(value.split())


def _text(element: etree._Element) -> str:
    return _normal("".join(element.itertext()))


# --- title ------------------------------------------------------------------------------------

def _title(titles: list[etree._Element]) -> str | None:
    if not titles:
        return None
    main = [t for t in titles if t.get("type") == "main"]
    analytic = [t for t in titles if t.get("level") == "a"]
    own = [t for t in titles if t.get("level") not in ("s", "j")
           and t.get("type") not in _SECONDARY_TITLES]
    return _text((main or analytic or own or titles)[0])


def _edition_title(tree: etree._ElementTree, titles: list[etree._Element]) -> str | None:
    """The title of the edition or series the document belongs to, where the header names one
    beside the document's own title."""
    series = [t for t in titles if t.get("level") == "s"]
    if not series and any(t.get("level") == "a" for t in titles):
        series = [t for t in titles if t.get("level") in ("m", "j")]
    series += [t for t in _SERIES_TITLES(tree) if _text(t)]
    return _text(series[0]) if series else None


# --- authors ----------------------------------------------------------------------------------

def _author(author: etree._Element) -> str:
    """An author's name as a catalogue gives it: no authority numbers, no notes."""
    for local in _NAME_ELEMENTS:
        named = author.find(f"tei:{local}", NSMAP)
        if named is not None and name_text(named):
            return name_text(named)
    return name_text(author)


# --- date -------------------------------------------------------------------------------------

def _date(tree: etree._ElementTree) -> tuple[str | None, int | None, int | None]:
    for place in _DATE_PLACES:
        found: list[etree._Element] = place(tree)
        found.sort(key=lambda element: element.get("type") not in _WRITTEN)  # (stable)
        for element in found:
            value = date_value(element)
            if value[0] is not None:
                return value
    return None, None, None


def date_value(element: etree._Element) -> tuple[str | None, int | None, int | None]:
    """A date element's value: ``(ISO date or interval, first day, last day)``.

    Attributes first (``@when``, then ``@from``/``@to``, then ``@notBefore``/``@notAfter``,
    each also as ``-iso`` or, in another calendar's years, ``-custom``), else the element's
    text; ``(None, None, None)`` when neither
    says a date.
    """
    def attribute(name: str) -> str | None:
        for candidate in (name, f"{name}-iso", f"{name}-custom"):
            value = (element.get(candidate) or "").strip()
            if value and day_range(value)[0] is not None:
                return value
        return None

    when = attribute("when")
    if when:
        first, last = day_range(when)
        return when, first, last
    for start_name, end_name in (("from", "to"), ("notBefore", "notAfter")):
        start, end = attribute(start_name), attribute(end_name)
        if start or end:
            return _interval(start, end)
    return text_date(_text(element))


def _interval(start: str | None, end: str | None) -> tuple[str | None, int | None, int | None]:
    if start and end and start == end:
        first, last = day_range(start)
        return start, first, last
    return (f"{start or '..'}/{end or '..'}", day_range(start)[0] if start else None,
            day_range(end)[1] if end else None)


def text_date(text: str) -> tuple[str | None, int | None, int | None]:
    """A date written out (``"February, 2017"``, ``"1625."``, ``"2003-07 (phase 1)"``): the
    date recogniser's reading of it, else the one year it names."""
    if not text:
        return None, None, None
    for match in find_dates([text])[0]:
        if match.when:
            first, last = day_range(match.when)
            if first is not None:
                return match.when, first, last
        if match.not_before or match.not_after:
            return _interval(match.not_before, match.not_after)
    years = list(dict.fromkeys(_YEAR.findall(text)))
    if len(years) == 1:
        first, last = day_range(years[0])
        return years[0], first, last
    return None, None, None


# --- kind -------------------------------------------------------------------------------------

def _declared_kind(tree: etree._ElementTree) -> str | None:
    terms: list[etree._Element] = _KIND_TERMS(tree)
    for wanted in _KIND_TYPES:
        for term in terms:
            if term.get("type") == wanted and _text(term):
                return _text(term)
    categories = {category.get(XML_ID): category for category in _CATEGORIES(tree)}
    for target in _tokens(_CAT_REFS(tree)):
        category = categories.get(target.lstrip("#"))
        if category is not None:
            described = category.find("tei:catDesc", NSMAP)
            if described is None:
                described = category.find("tei:gloss", NSMAP)
            if described is not None and _text(described):
                return _text(described)
    return None


def _tokens(values: Iterable[str]) -> Iterable[str]:
    for value in values:
        yield from str(value).split()


def _has(root: etree._Element, path: str) -> bool:
    return root.find(path, NSMAP) is not None


def structural_kind(root: etree._Element) -> str | None:
    """What kind of text the document is, by its structure (when its header does not say)."""
    text = root.find("tei:text", NSMAP)
    if text is None:
        return "genetic transcript" if _has(root, "tei:sourceDoc") else None
    body_text = _normal("".join(text.itertext()))
    if _has(root, "tei:teiHeader//tei:sourceDesc//tei:msDesc") and not body_text:
        return "manuscript description"
    if _has(text, ".//tei:div[@type='edition']") and (
            _has(root, "tei:teiHeader//tei:msDesc")
            or _has(text, ".//tei:div[@type='edition']//tei:ab/tei:lb")):
        return "inscription"  # EpiDoc: an edition of an object, its lines as on the stone
    if (_has(root, "tei:teiHeader/tei:profileDesc/tei:correspDesc")
            or _has(text, "tei:body/tei:div[@type='letter']")
            or _has(text, "tei:body/tei:opener") or _has(text, "tei:body/tei:div/tei:opener")):
        return "letter"
    if _has(text, ".//tei:sp") or _has(text, ".//tei:castList"):
        return "drama"
    if _has(text, ".//tei:app"):
        return "critical edition"  # a text with its apparatus (Perseus, DigitalLatin, …)
    if not body_text:
        return "genetic transcript" if _has(root, "tei:sourceDoc") else None
    lines = sum(1 for _ in text.iter(tei("l")))
    paragraphs = sum(1 for _ in text.iter(TEI_P, TEI_AB))
    return "verse" if lines > paragraphs else "prose"
