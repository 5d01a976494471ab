"""The server-drawn SVG histogram."""

from __future__ import annotations

import pytest

from webui.timeline import bins, histogram_svg


@pytest.mark.parametrize(("counts", "expected"), [
    ([], (1, [])),
    ([(1923, 2)], (1, [(1923, 2)])),
    ([(1923, 2), (1925, 1)], (1, [(1923, 2), (1924, 0), (1925, 1)])),
    # over 150 years: decades
    ([(1871, 1), (1878, 2), (2023, 4)], (10, [(year, {1870: 3, 2020: 4}.get(year, 0))
                                              for year in range(1870, 2030, 10)])),
])
def test_bins(counts, expected) -> None:
    assert bins(counts) == expected


def test_histogram_bars_links_and_escaping() -> None:
    svg = str(histogram_svg([(1923, 4), (1925, 2)], label='Years <"x">', unit="documents",
                            link=lambda year, step: f"/?year={year}&a=<b>"))
    assert svg.startswith('<svg class="timeline" viewBox="0 0 720 138" role="group"'
                          ' aria-label="Years &lt;&#34;x&#34;&gt;"')
    assert svg.count("<rect") == 2  # 1924 has no bar
    assert ('<a href="/?year=1923&amp;a=&lt;b&gt;" rel="nofollow" aria-label="1923: 4 documents">'
            '<rect class="bar" x="24.0" y="0.0"') in svg
    assert "<title>1925: 2 documents</title>" in svg
    assert " style=" not in svg  # the CSP allows no inline style


def test_empty_histogram_is_nothing() -> None:
    assert histogram_svg([], label="x", unit="y") == ""


def test_decade_bars_take_the_decade_counts_not_the_sum_of_years() -> None:
    # one document names 1921, 1923 and 1925: three year counts, one document in the 1920s
    counts = [(1729, 1), (1921, 1), (1923, 1), (1925, 1)]
    assert bins(counts)[1][-1] == (1920, 3)  # mentions: summed
    step, data = bins(counts, {1720: 1, 1920: 1})
    assert step == 10 and data[0] == (1720, 1) and data[-1] == (1920, 1)


def test_linked_bars_are_named_links_not_inside_an_image() -> None:
    svg = str(histogram_svg([(1923, 4)], label="x", unit="documents", link=lambda y, s: "/?y"))
    assert 'role="group"' in svg and 'role="img"' not in svg
    assert '<a href="/?y" rel="nofollow" aria-label="1923: 4 documents">' in svg
    assert 'role="img"' in str(histogram_svg([(1923, 4)], label="x", unit="dates"))
