"""A document's xml:lang as a valid HTML lang value (BCP 47), or none."""

from __future__ import annotations

import pytest

from webui.lang import html_lang


@pytest.mark.parametrize(("value", "lang"), [
    ("lat", "la"), ("deu", "de"), ("ger", "de"), ("fre", "fr"), ("eng", "en"),
    ("grc", "grc"),  # no ISO 639-1 code: the three letters are the BCP 47 tag
    ("de-AT", "de-AT"), ("deu-AT", "de-AT"), ("en_GB", "en-GB"), ("la-Latn", "la-Latn"),
    ("und", "und"), ("mul", "mul"), ("x-private", "x-private"),
    ("x!", None), ("", None), (None, None), ("english language", None), ("e", None),
    ("toolongvalue1", None),
])
def test_html_lang(value: str | None, lang: str | None) -> None:
    assert html_lang(value) == lang
