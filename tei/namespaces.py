"""Namespace URIs, prefix maps and qualified (Clark) names, written once."""

from __future__ import annotations

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"

NSMAP = {"tei": TEI_NS, "xml": XML_NS}


def tei(local: str) -> str:
    """``tei("persName")`` → ``"{http://www.tei-c.org/ns/1.0}persName"``."""
    return f"{{{TEI_NS}}}{local}"


XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
XML_SPACE = f"{{{XML_NS}}}space"

TEI_ROOT = tei("TEI")
TEI_CORPUS = tei("teiCorpus")
TEI_HEADER = tei("teiHeader")
TEI_TEXT = tei("text")
TEI_BODY = tei("body")
TEI_DIV = tei("div")
TEI_HEAD = tei("head")
TEI_P = tei("p")
TEI_AB = tei("ab")
TEI_LIST = tei("list")
TEI_ITEM = tei("item")
TEI_LABEL = tei("label")
TEI_QUOTE = tei("quote")
TEI_LIST_BIBL = tei("listBibl")
TEI_BIBL = tei("bibl")
TEI_HI = tei("hi")
TEI_REF = tei("ref")
TEI_LB = tei("lb")
TEI_PERS_NAME = tei("persName")
TEI_PLACE_NAME = tei("placeName")
TEI_ORG_NAME = tei("orgName")
TEI_DATE = tei("date")
TEI_NAME = tei("name")
TEI_RS = tei("rs")
TEI_PERSON = tei("person")
TEI_PLACE = tei("place")
TEI_ORG = tei("org")
TEI_LIST_PERSON = tei("listPerson")
TEI_LIST_PLACE = tei("listPlace")
TEI_LIST_ORG = tei("listOrg")
TEI_STAND_OFF = tei("standOff")

#: mention type → the TEI element that tags it
ELEMENT_FOR_TYPE = {
    "person": TEI_PERS_NAME,
    "place": TEI_PLACE_NAME,
    "org": TEI_ORG_NAME,
    "date": TEI_DATE,
}
TYPE_FOR_ELEMENT = {element: kind for kind, element in ELEMENT_FOR_TYPE.items()}
