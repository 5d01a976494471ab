"""Citing a document or one of its passages the ordinary ways.

The reading view carries Highwire ``citation_*`` meta tags and schema.org JSON-LD in its head
(through base.html's ``head_meta`` block; a ``<script type="application/ld+json">`` is data, not
script, so the policy's ``script-src 'self'`` leaves it be) and a "Cite" box with a formatted
citation (Chicago-like: author, title, passage, site, publisher, date, permalink, access date)
and two downloads: ``/documents/<id>/cite.bib`` (BibTeX, ``@misc`` with ``url`` and ``urldate``)
and ``/documents/<id>/cite.json`` (CSL-JSON, the input of citeproc, Zotero and pandoc).
``?passage=ADDR`` (a citation address, as the reading view's anchors show it) cites the
passage: its own permalink ``/documents/<id>#ADDR`` and ``Passage ADDR``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from .data import document_or_404, site_url
from .downloads import attachment
from .dts import passage_addresses

bp = Blueprint("cite", __name__)

SITE_NAME = "TEI Archive"
BIBTEX_TYPE = "application/x-bibtex"
CSL_TYPE = "application/vnd.citationstyles.csl+json"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def date_parts(value: str | None) -> list[int] | None:
    """``1851-06-14`` → ``[1851, 6, 14]`` (a year or month alone: fewer parts); an interval
    gives its start; None when there is no ISO date at the start."""
    found = _DATE.match((value or "").partition("/")[0])
    if not found:
        return None
    return [int(part) for part in found.groups() if part]


def authors(value: str | None) -> list[dict[str, str]]:
    """The document's author field as CSL names: ``;`` between persons, ``Family, Given``
    split, any other name kept whole (``literal``: an institution, a name of one word)."""
    names = []
    for part in (value or "").split(";"):
        name = " ".join(part.split())
        if not name:
            continue
        family, comma, given = name.partition(",")
        if comma and family.strip() and given.strip():
            names.append({"family": family.strip(), "given": given.strip()})
        else:
            names.append({"literal": name})
    return names


def _name_text(name: dict[str, str]) -> str:
    return name.get("literal") or f"{name['family']}, {name['given']}"


def citation(doc_id: str, passage: str | None = None) -> dict[str, Any]:
    """Everything a citation of the document (or of its passage ``passage``) says.

    :raise werkzeug.exceptions.NotFound: no such document, or no such passage in it.
    """
    row = document_or_404(doc_id)
    doc_id = str(row["id"])
    document_url = f"{site_url()}/documents/{quote(doc_id)}"
    if passage is not None:
        if passage not in passage_addresses(doc_id):
            abort(404, f"No passage {passage!r} in document {doc_id!r}.")
    today = _today()
    return {
        "id": doc_id, "title": row["title"] or doc_id, "authors": authors(row["author"]),
        "date": row["date"], "issued": date_parts(row["date"]),
        "publisher": row["publisher"] or row["publication"], "language": row["language"],
        "licence": row["licence"], "passage": passage, "document_url": document_url,
        "url": document_url + (f"#{quote(passage, safe='')}" if passage else ""),
        "site": SITE_NAME, "accessed": today.isoformat(),
        "accessed_text": f"{MONTHS[today.month - 1]} {today.day}, {today.year}",
        "bib_url": f"/documents/{quote(doc_id)}/cite.bib" + _passage_query(passage),
        "csl_url": f"/documents/{quote(doc_id)}/cite.json" + _passage_query(passage),
    }


def _passage_query(passage: str | None) -> str:
    return f"?passage={quote(passage, safe='')}" if passage else ""


def formatted(data: dict[str, Any]) -> str:
    """A Chicago-like reference (plain text): Author. “Title.” Passage X. Site, publisher,
    date. URL. Accessed Month D, YYYY."""
    parts = []
    if data["authors"]:
        parts.append(" and ".join(_name_text(name) for name in data["authors"]).rstrip(".")
                     + ".")
    parts.append(f"“{str(data['title']).rstrip('.')}.”")
    if data["passage"]:
        parts.append(f"Passage {data['passage']}.")
    where = ", ".join(str(item) for item in (data["site"], data["publisher"], data["date"])
                      if item)
    parts.append(f"{where}.")
    parts.append(f"{data['url']}.")
    parts.append(f"Accessed {data['accessed_text']}.")
    return " ".join(parts)


# --- BibTeX -----------------------------------------------------------------------------------

_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
                   "%": r"\%", "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def bibtex_escape(value: str) -> str:
    """``value`` as BibTeX field text: TeX's special characters escaped (braces balanced),
    other characters as they are (UTF-8, which biber and bibtexparser read)."""
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in " ".join(value.split()))


def bibtex_key(data: dict[str, Any]) -> str:
    """A citation key of ASCII letters, digits and ``_.:-`` (the id, then the passage)."""
    raw = str(data["id"]) + (f":{data['passage']}" if data["passage"] else "")
    return re.sub(r"[^A-Za-z0-9_.:-]+", "-", raw).strip("-") or "document"


def bibtex(data: dict[str, Any]) -> str:
    """The citation as one BibTeX ``@misc`` entry (biblatex's ``url``/``urldate`` fields)."""
    fields: list[tuple[str, str]] = []
    if data["authors"]:
        fields.append(("author", " and ".join(
            "{" + bibtex_escape(name["literal"]) + "}" if "literal" in name
            else f"{bibtex_escape(name['family'])}, {bibtex_escape(name['given'])}"
            for name in data["authors"])))
    fields.append(("title", "{" + bibtex_escape(str(data["title"])) + "}"))
    if data["issued"]:
        fields.append(("year", str(data["issued"][0])))
        fields.append(("date", "-".join(f"{part:02d}" for part in data["issued"])))
    elif data["date"]:
        fields.append(("note", bibtex_escape(str(data["date"]))))
    if data["publisher"]:
        fields.append(("publisher", bibtex_escape(str(data["publisher"]))))
    fields.append(("howpublished", bibtex_escape(str(data["site"]))))
    if data["passage"]:
        fields.append(("pages", bibtex_escape(f"Passage {data['passage']}")))
    if data["language"]:
        fields.append(("language", bibtex_escape(str(data["language"]))))
    # a URL as biblatex reads it (verbatim): percent-encoded, so no brace nor space in it
    fields.append(("url", str(data["url"]).replace("{", "%7B").replace("}", "%7D")))
    fields.append(("urldate", str(data["accessed"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(data)},\n{body}\n}}\n"


# --- CSL-JSON and schema.org ------------------------------------------------------------------

def _csl_date(parts: list[int]) -> dict[str, Any]:
    return {"date-parts": [parts]}


def csl_json(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The citation as CSL-JSON (an array of one item, as citeproc takes it)."""
    item: dict[str, Any] = {"id": bibtex_key(data), "type": "document",
                            "title": str(data["title"])}
    if data["authors"]:
        item["author"] = data["authors"]
    if data["issued"]:
        item["issued"] = _csl_date(data["issued"])
    elif data["date"]:
        item["issued"] = {"literal": str(data["date"])}
    if data["publisher"]:
        item["publisher"] = str(data["publisher"])
    item["container-title"] = str(data["site"])
    if data["passage"]:
        item["section"] = f"Passage {data['passage']}"
    if data["language"]:
        item["language"] = str(data["language"])
    item["URL"] = str(data["url"])
    item["accessed"] = _csl_date([int(part) for part in str(data["accessed"]).split("-")])
    return [item]


def schema_org(data: dict[str, Any]) -> dict[str, Any]:
    """The citation as a schema.org ``CreativeWork`` (a passage: ``isPartOf`` its document)."""
    work: dict[str, Any] = {"@context": "https://schema.org", "@type": "CreativeWork",
                            "@id": data["url"], "url": data["url"], "name": str(data["title"])}
    if data["authors"]:
        work["author"] = [{"@type": "Person", "name": _name_text(name)} for name in
                          data["authors"]]
    if data["date"]:
        work["dateCreated"] = str(data["date"])
    if data["publisher"]:
        work["publisher"] = {"@type": "Organization", "name": str(data["publisher"])}
    if data["language"]:
        work["inLanguage"] = str(data["language"])
    if data["licence"]:
        work["license"] = str(data["licence"])
    site = {"@type": "WebSite", "name": data["site"]}
    if data["passage"]:
        work["name"] = f"{data['title']}, passage {data['passage']}"
        work["isPartOf"] = {"@type": "CreativeWork", "@id": data["document_url"],
                            "name": str(data["title"]), "isPartOf": site}
    else:
        work["isPartOf"] = site
    return work


def json_ld_script(data: dict[str, Any]) -> Markup:
    """The JSON-LD for a ``<script type="application/ld+json">``: ``<``, ``>`` and ``&``
    escaped as JSON escapes, so no text in it can close the element."""
    text = json.dumps(schema_org(data), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above


def meta_tags(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Highwire Press ``citation_*`` meta tags (name, content), as Google Scholar and Zotero
    read them."""
    title = str(data["title"]) + (f", passage {data['passage']}" if data["passage"] else "")
    tags = [("citation_title", title)]
    tags += [("citation_author", _name_text(name)) for name in data["authors"]]
    if data["issued"]:
        tags.append(("citation_publication_date",
                     "/".join(f"{part:02d}" for part in data["issued"])))
    elif data["date"]:
        tags.append(("citation_publication_date", str(data["date"])))
    if data["publisher"]:
        tags.append(("citation_publisher", str(data["publisher"])))
    tags.append(("citation_public_url", str(data["url"])))
    if data["language"]:
        tags.append(("citation_language", str(data["language"])))
    return tags


# --- the reading view's part ------------------------------------------------------------------

@bp.app_context_processor
def reading_citation() -> dict[str, Any]:
    """For the reading view's templates: ``cite`` (the citation of the document, or of the
    passage ``?passage=`` names when it has one), its meta tags, JSON-LD and text."""
    if request.endpoint != "documents.read" or not request.view_args:
        return {}
    doc_id = str(request.view_args.get("doc_id", ""))
    passage = request.args.get("passage") or None
    try:
        try:
            data = citation(doc_id, passage)
        except HTTPException:  # an unknown passage: the document's citation
            data = citation(doc_id)
    except HTTPException:  # the page itself is an error page
        return {}
    return {"cite": {**data, "text": formatted(data), "meta": meta_tags(data),
                     "json_ld": json_ld_script(data)}}


# --- the downloads ----------------------------------------------------------------------------

def _requested(doc_id: str) -> dict[str, Any]:
    return citation(doc_id, request.args.get("passage") or None)


@bp.get("/documents/<doc_id>/cite.bib")
def cite_bib(doc_id: str) -> Response:
    data = _requested(doc_id)
    return attachment(bibtex(data), BIBTEX_TYPE, f"{bibtex_key(data).replace(':', '_')}.bib")


@bp.get("/documents/<doc_id>/cite.json")
def cite_json(doc_id: str) -> Response:
    data = _requested(doc_id)
    return attachment(json.dumps(csl_json(data), ensure_ascii=False, indent=2), CSL_TYPE,
                      f"{bibtex_key(data).replace(':', '_')}.json")
