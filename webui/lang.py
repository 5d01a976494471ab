"""A document's ``xml:lang`` as an HTML ``lang`` value: a valid BCP 47 tag, else nothing.

Editions write ISO 639-2/3 codes (``lat``, ``deu``, ``fre``), regions (``de-AT``), ``und`` and
``mul``, and now and then garbage. Browsers, screen readers and axe-core want BCP 47, where a
language with a two-letter ISO 639-1 code must use it: ``lat`` → ``la``, ``deu``/``ger`` → ``de``;
a code without one (``grc``, ``ang``) stays. A value that is not of BCP 47's shape is dropped
(None), so the element inherits its parent's language rather than claiming a wrong one.
"""

from __future__ import annotations

import re

#: ISO 639-2 (bibliographic and terminological) and 639-3 codes → ISO 639-1, for the languages
#: TEI editions are written in. A three-letter code not listed is kept as it is (valid BCP 47
#: whenever no two-letter code exists).
ISO_639_1 = {
    "ara": "ar", "arm": "hy", "hye": "hy", "bel": "be", "ben": "bn", "bos": "bs", "bre": "br",
    "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "chi": "zh", "zho": "zh", "cym": "cy",
    "wel": "cy", "dan": "da", "deu": "de", "ger": "de", "dut": "nl", "nld": "nl", "ell": "el",
    "gre": "el", "eng": "en", "epo": "eo", "est": "et", "eus": "eu", "baq": "eu", "fas": "fa",
    "per": "fa", "fin": "fi", "fra": "fr", "fre": "fr", "fry": "fy", "gla": "gd", "gle": "ga",
    "glg": "gl", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "ice": "is", "isl": "is",
    "ita": "it", "jpn": "ja", "kat": "ka", "geo": "ka", "kor": "ko", "lat": "la", "lav": "lv",
    "lit": "lt", "ltz": "lb", "mac": "mk", "mkd": "mk", "mlt": "mt", "nno": "nn", "nob": "nb",
    "nor": "no", "oci": "oc", "pol": "pl", "por": "pt", "roh": "rm", "ron": "ro", "rum": "ro",
    "rus": "ru", "san": "sa", "slk": "sk", "slo": "sk", "slv": "sl", "spa": "es", "sqi": "sq",
    "alb": "sq", "srp": "sr", "swe": "sv", "tur": "tr", "ukr": "uk", "urd": "ur", "yid": "yi",
}
# BCP 47's shape (RFC 5646): language, then script, region, variants, extensions, private use;
# or a private-use tag alone (x-…).
_TAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"  # language (extlang)
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+",
    re.IGNORECASE)


def html_lang(value: str | None) -> str | None:
    """``value`` (an ``xml:lang``) as a valid BCP 47 tag, or None to leave ``lang`` out."""
    tag = (value or "").strip().replace("_", "-")
    if not _TAG.fullmatch(tag):
        return None
    language, _, rest = tag.partition("-")
    language = ISO_639_1.get(language.lower(), language)
    return f"{language}-{rest}" if rest else language
