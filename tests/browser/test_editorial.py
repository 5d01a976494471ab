"""The editorial layer in a real browser: choice pairs flip one at a time and all at once."""

from __future__ import annotations


def test_choice_pairs_flip_by_click_key_and_the_diplomatic_switch(page) -> None:
    page.goto("/documents/b00042")
    pair = page.locator(".choice.pair").first
    assert pair.inner_text() == "river"  # the regularised reading shows
    pair.click()
    assert pair.inner_text() == "riuer"  # the source's spelling, one click away
    pair.focus()
    page.keyboard.press("Enter")
    assert pair.inner_text() == "river"
    page.check("#ui-diplomatic")  # the whole text in the source's spelling
    texts = page.locator(".choice.pair").all_inner_texts()
    assert "riuer" in texts and "wch" in texts and "river" not in texts
    page.uncheck("#ui-diplomatic")
    assert "river" in page.locator(".choice.pair").all_inner_texts()
