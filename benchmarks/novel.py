"""A long novel-like TEI document, generated (nothing fetched): chapters of paragraphs with
dialogue, names, notes and page breaks, the shape of a 19th-century novel in an ELTeC-like
edition. ``python benchmarks/novel.py OUT.xml [--chapters 30] [--size 2000000]``.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

WORDS = ("the morning came grey and cold over the moor where she had walked so often with "
         "her brother before the letter arrived from London and all was changed for them "
         "nothing remained of the old house but the garden wall and the yew that their father "
         "planted in the year of the great frost when the river froze from bank to bank and "
         "the village children skated under the bridge while the vicar read aloud to the "
         "few who gathered in the cold church").split()
NAMES = ("Eleanor Vane", "Mr. Hartley", "Mrs. Ashdown", "Thomas", "Lady Greville")
PLACES = ("London", "Whitby", "the Grange", "York")


def paragraph(rng: random.Random, words: int) -> str:
    """One paragraph's inner XML: words with a name, a place, and now and then dialogue."""
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen[0] = chosen[0].capitalize()
    chosen.insert(words // 3, f'<persName>{rng.choice(NAMES)}</persName>')
    chosen.insert(2 * words // 3, f'<placeName>{rng.choice(PLACES)}</placeName>')
    text = " ".join(chosen) + "."
    if rng.random() < 0.3:
        text += f' <q>“{" ".join(rng.choice(WORDS) for _ in range(12)).capitalize()},” said '\
                f'{rng.choice(NAMES)}.</q>'
    return text


def novel_tei(chapters: int = 30, size: int = 2_000_000, seed: int = 19,
              title: str = "The House on the Moor") -> str:
    """A TEI novel of ``chapters`` chapters (``xml:id`` ``chapter1``…, their paragraphs
    ``chapter1.p1``…, a head each) of about ``size`` bytes, with a note every few pages and a
    page break every ten paragraphs."""
    rng = random.Random(seed)
    per_chapter = max(1, size // chapters)
    body = []
    page = 1
    for number in range(1, chapters + 1):
        parts = [f'<div type="chapter" n="{number}" xml:id="chapter{number}">',
                 f"<head>Chapter {number}. {' '.join(rng.choice(WORDS) for _ in range(4)).title()}"
                 "</head>"]
        written, p = 0, 0
        while written < per_chapter:
            p += 1
            inner = paragraph(rng, rng.randint(60, 160))
            if p % 7 == 0:
                inner += (f'<note place="foot">An editor’s note on chapter {number}, '
                          f"paragraph {p}.</note>")
            if p % 10 == 0:
                page += 1
                inner = f'<pb n="{page}"/>' + inner
            xml = f'<p xml:id="chapter{number}.p{p}">{inner}</p>'
            parts.append(xml)
            written += len(xml)
        parts.append("</div>")
        body.append("\n".join(parts))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">
  <teiHeader><fileDesc>
    <titleStmt><title>{title}</title><author>A. N. Author</author></titleStmt>
    <publicationStmt><publisher>Generated for the benchmark</publisher>
      <idno type="archive">{title.lower().replace(" ", "-")}</idno></publicationStmt>
    <sourceDesc><p>Generated text.</p></sourceDesc>
  </fileDesc><profileDesc><creation><date when="1871">1871</date></creation></profileDesc>
  </teiHeader>
  <text><front><titlePage><docTitle><titlePart>{title}</titlePart></docTitle></titlePage>
  </front><body>
{chr(10).join(body)}
  </body></text>
</TEI>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--chapters", type=int, default=30)
    parser.add_argument("--size", type=int, default=2_000_000)
    args = parser.parse_args()
    args.out.write_text(novel_tei(args.chapters, args.size), encoding="utf-8")


if __name__ == "__main__":
    main()
