"""Scaled corpora for benchmarks, in two shapes.

``assembled``: N TEI documents assembled from real ones. Each document takes the header of one
source document and a body of passages drawn from all of them, with fresh ids, shifted dates
and refs spread over a larger pool of entities, so that facets have realistic numbers of
values: many short documents (~18 KB), densely tagged.

``eebo``: documents shaped as EEBO-TCP's early printed books (generated text, no EEBO file):
fewer, longer documents (lengths log-normal, ~25 KB on average with a tail up to megabytes),
a title page in ``front``, books and chapters of ``div`` with heads, long paragraphs and verse
(``lg``/``l``), page breaks, ``hi`` everywhere, few names (``persName``/``placeName``) and dates
tagged, no ``xml:id`` on passages. Usage::

    python benchmarks/corpus.py OUT_DIR N [SOURCE_TEI_DIR | --shape eebo]
"""

from __future__ import annotations

import atexit
import copy
import math
import random
import re
import shutil
import sys
import tempfile
from itertools import accumulate
from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP, TEI_BODY, TEI_DATE, TEI_DIV, TEI_TEXT, XML_ID
from tei.parse import parse_tei

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
#: Entities per type in the scaled corpus (refs of the sources are spread over them).
ENTITY_POOL = 400
KINDS = ("essay", "encyclopedia article", "editorial", "review", "interview", "letter")
_DATE_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")
_YEAR = re.compile(r"^(-?)(\d{4})")
_ID_PREFIX = re.compile(r"^([a-z]+)\d+$")


def source_files(data_dir: Path | None = None) -> list[Path]:
    """The data directory's TEI files when it has some, else the bundled samples, built (and
    tagged) into a scratch archive for the purpose."""
    if data_dir is not None:
        files = sorted((data_dir / "tei").glob("*.xml"))
        if files:
            return files
    from archive.build import build, sample_sources
    from archive.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-samples-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # scratch: gone at exit
    scratch = Settings(data_dir=folder / "data")
    print(f"building the sample archive in {scratch.data_dir} ...", flush=True)
    build(scratch, sample_sources())
    return sorted(scratch.tei_dir.glob("*.xml"))


def build_corpus(out_dir: Path, count: int, sources: list[Path], seed: int = 7) -> list[Path]:
    """Write ``count`` documents ``bench-00001.xml`` ... into ``out_dir``.

    :return: the files written.
    """
    rng = random.Random(seed)
    trees = [parse_tei(path) for path in sources]
    pool = [passage for tree in trees for passage in _passages(tree)]
    if not pool:
        raise SystemExit("the source documents have no passages to assemble from")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(1, count + 1):
        tree = _document(rng, trees, pool, number)
        path = out_dir / f"bench-{number:05d}.xml"
        path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
        written.append(path)
    return written


def _passages(tree: etree._ElementTree) -> list[etree._Element]:
    # Children of the body's divisions that are not divisions: heads, paragraphs, lists, ...
    return [element for div in tree.iter(TEI_DIV) for element in div
            if isinstance(element.tag, str) and element.tag != TEI_DIV]


def _document(rng: random.Random, trees: list[etree._ElementTree],
              pool: list[etree._Element], number: int) -> etree._ElementTree:
    root = copy.deepcopy(rng.choice(trees).getroot())
    doc_id = f"bench-{number:05d}"
    year = rng.randint(1850, 2020)
    _set(root, "//tei:publicationStmt/tei:idno[@type='archive']", doc_id)
    for title in root.xpath("//tei:titleStmt/tei:title[1]", namespaces=NSMAP):
        title.text = f"{title.text or 'Untitled'} ({number})"
    for date in root.xpath("//tei:sourceDesc//tei:date", namespaces=NSMAP):
        date.attrib.clear()
        date.set("when", f"{year}-{rng.randint(1, 12):02d}")
        date.text = str(year)
    for term in root.xpath("//tei:term[@type='kind']", namespaces=NSMAP):
        term.text = rng.choice(KINDS)
    text = root.find(TEI_TEXT)
    if text is not None:
        root.remove(text)
    body = etree.SubElement(etree.SubElement(root, TEI_TEXT), TEI_BODY)
    div = etree.SubElement(body, TEI_DIV)
    shift = rng.randint(-60, 60)
    for passage in rng.sample(pool, k=min(len(pool), rng.randint(12, 30))):
        div.append(_varied(copy.deepcopy(passage), rng, shift))
    _renumber(div)
    return etree.ElementTree(root)


def _set(root: etree._Element, xpath: str, value: str) -> None:
    for element in root.xpath(xpath, namespaces=NSMAP):
        element.text = value


def _varied(passage: etree._Element, rng: random.Random, shift: int) -> etree._Element:
    passage.tail = "\n"
    for element in passage.iter():
        ref = element.get("ref") if isinstance(element.tag, str) else None
        if ref and rng.random() < 0.7:
            element.set("ref", f"{ref}-{rng.randrange(ENTITY_POOL)}")
        if element.tag == TEI_DATE:
            for name in _DATE_ATTRIBUTES:
                value = element.get(name)
                match = _YEAR.match(value or "")
                if match:
                    year = int(match.group(1) + match.group(2)) + shift
                    element.set(name, f"{year:04d}{value[match.end():]}")
    return passage


def _renumber(div: etree._Element) -> None:
    counters: dict[str, int] = {}
    for element in div.iter():
        if not isinstance(element.tag, str):
            continue
        old = element.get(XML_ID)
        match = _ID_PREFIX.match(old or "")
        prefix = match.group(1) if match else ("d" if element is div else None)
        if prefix:
            counters[prefix] = counters.get(prefix, 0) + 1
            element.set(XML_ID, f"{prefix}{counters[prefix]}")


# --- the EEBO-TCP shape ------------------------------------------------------------------------

SHAPES = ("assembled", "eebo")
#: Median and spread of the log-normal document lengths (bytes): mean ~25 KB, a few of 10,000
#: over a megabyte; none below a broadside's or over the cap.
EEBO_MEDIAN, EEBO_SIGMA, EEBO_FLOOR, EEBO_CAP = 10_000, 1.35, 2_000, 5_000_000
EEBO_KINDS = ("sermon", "treatise", "verse", "history", "proclamation", "pamphlet")
_WORDS = """the and of to in that is it a his be for not with as which but he by they this are
all shall their them from was or so him we our you unto haue hath were vpon then there no
what when doth euery thee thou thy selfe more man men god lord great good owne loue heauen
king church body soule grace world law which know make doe life vertue honour minde power
diuine reason nature kingdome faith truth hope zeale sinne death day time people spirit
words heart warre peace wisdome learning owne yet though therefore whereof thereof wherein
likewise according england london parliament realme subiects iudgement prince holy booke
praier temperance knowledge bountie ioy meditation seruice dutie glorie mercy iustice
obedience councell citie countrey crowne commonwealth learned doctrine scripture reuerend
answer treatise discourse sermon verse historie chronicle reformation revolution""".split()
#: Word frequencies falling as in running text (Zipf): the first words the most frequent.
_WEIGHTS = list(accumulate(1 / rank for rank in range(1, len(_WORDS) + 1)))
_PERSONS = ("robert-aylett", "william-stansby", "george-montaigne", "john-donne",
            "thomas-hobbes", "james-stuart", "charles-stuart", "oliver-cromwell",
            "richard-hooker", "francis-bacon", "john-milton", "william-laud")
_PLACES = ("london", "oxford", "cambridge", "westminster", "yorke", "canterbury", "edinburgh",
           "dublin", "amsterdam", "paris")


def build_eebo_corpus(out_dir: Path, count: int, seed: int = 7) -> list[Path]:
    """Write ``count`` documents ``eebo-00001.xml`` ... of the EEBO-TCP shape into ``out_dir``.

    :return: the files written.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(1, count + 1):
        path = out_dir / f"eebo-{number:05d}.xml"
        path.write_text(_eebo_document(rng, number), encoding="utf-8")
        written.append(path)
    return written


def _eebo_document(rng: random.Random, number: int) -> str:
    size = min(max(int(rng.lognormvariate(math.log(EEBO_MEDIAN), EEBO_SIGMA)), EEBO_FLOOR),
               EEBO_CAP)
    year = rng.randint(1473, 1700)
    title = _words(rng, rng.randint(6, 24)).capitalize()
    author = rng.choice(_PERSONS).replace("-", " ").title()
    kind = rng.choice(EEBO_KINDS)
    parts = [f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">
<teiHeader><fileDesc><titleStmt><title>{title}</title><author>{author}</author></titleStmt>
<publicationStmt><publisher>TEI Archive</publisher><idno type="archive">eebo-{number:05d}</idno>
<availability><p>Generated for a benchmark in the manner of EEBO-TCP.</p></availability>
</publicationStmt><sourceDesc><bibl><title>{title}</title><author>{author}</author>
<publisher>Printed by {rng.choice(_PERSONS).replace("-", " ").title()}</publisher>
<pubPlace>London</pubPlace><date when="{year}">{year}.</date></bibl></sourceDesc></fileDesc>
<profileDesc><langUsage><language ident="en">English</language></langUsage><textClass>
<keywords><term type="kind">{kind}</term></keywords></textClass></profileDesc></teiHeader>
<text xml:lang="en"><front><div type="title_page"><pb facs="tcp:{number}:1"/>
<p>{title.upper()}</p><p>LONDON, Printed in the yeare {year}.</p></div></front><body>
"""]
    written, page, book = len(parts[0]), 1, 0
    while written < size:
        book += 1
        parts.append(f'<div type="book" n="{book}"><head>The {_ordinal(book)} Booke.</head>\n')
        for chapter in range(1, rng.randint(2, 8) + 1):
            parts.append(f'<div type="chapter" n="{chapter}"><head>{_words(rng, 8).title()}'
                         "</head>\n")
            for _ in range(rng.randint(3, 12)):
                if rng.random() < 0.3:
                    page += 1
                    parts.append(f'<pb facs="tcp:{number}:{page}" n="{page}"/>\n')
                parts.append(_verse(rng, year) if kind == "verse" or rng.random() < 0.15
                             else f"<p>{_passage(rng, rng.randint(40, 220), year)}</p>\n")
                written += len(parts[-1])
                if written >= size:
                    break
            parts.append("</div>\n")
            if written >= size:
                break
        parts.append("</div>\n")
    parts.append("</body><back><div type=\"errata\"><head>Errata.</head><p>"
                 f"{_passage(rng, 20, year)}</p></div></back></text></TEI>\n")
    return "".join(parts)


def _ordinal(number: int) -> str:
    return ("first", "second", "third", "fourth", "fifth")[number - 1] if number <= 5 \
        else f"{number}th"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(_WORDS, cum_weights=_WEIGHTS, k=count))


def _passage(rng: random.Random, count: int, year: int) -> str:
    """Words with EEBO's markup: much ``hi``, a rare name, place, date or note."""
    words = rng.choices(_WORDS, cum_weights=_WEIGHTS, k=count)
    for _ in range(count // 12):  # italics, as the printers set names and quotations
        at = rng.randrange(count)
        words[at] = f"<hi>{words[at]}</hi>"
    rare = count / 2000  # per word: a name in one paragraph of about 15 (and as rare in verse)
    if rng.random() < rare:
        person = rng.choice(_PERSONS)
        words[rng.randrange(count)] = (f'<persName ref="#{person}-{rng.randrange(ENTITY_POOL)}">'
                                       f'{person.split("-")[0].title()}</persName>')
    if rng.random() < rare:
        place = rng.choice(_PLACES)
        words[rng.randrange(count)] = f'<placeName ref="#{place}">{place.title()}</placeName>'
    if rng.random() < rare:
        when = max(1000, year - rng.randint(0, 120))
        words[rng.randrange(count)] = f'<date when="{when}">{when}</date>'
    if rng.random() < rare / 2:
        words.append(f'<note place="margin">{_words(rng, rng.randint(3, 12))}</note>')
    text = " ".join(words)
    return text[:1].upper() + text[1:] + "."


def _verse(rng: random.Random, year: int) -> str:
    lines = "".join(f"<l>{_passage(rng, rng.randint(6, 10), year)}</l>\n"
                    for _ in range(rng.randint(4, 14)))
    return f"<lg>\n{lines}</lg>\n"


def main() -> None:  # pragma: no cover - command line
    out, count = Path(sys.argv[1]), int(sys.argv[2])
    if sys.argv[3:] == ["--shape", "eebo"]:
        build_eebo_corpus(out, count)
        print(f"wrote {count} documents of the EEBO-TCP shape to {out}")
        return
    sources = source_files(Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    build_corpus(out, count, sources)
    print(f"wrote {count} documents to {out} from {len(sources)} sources")


if __name__ == "__main__":
    main()
