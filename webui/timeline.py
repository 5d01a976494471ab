"""A histogram of years as inline SVG, drawn on the server (no script, no external service).

Only presentation attributes are used (no ``style``), so the page's CSP needs no exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 120
AXIS = 18  # room under the bars for the year labels
#: Above this many years, bars stand for decades.
MAX_BARS = 150


def step_of(counts: Sequence[tuple[int, int]]) -> int:
    """The years one bar stands for: 1, or 10 when the years span :data:`MAX_BARS` or more."""
    return 1 if not counts or counts[-1][0] - counts[0][0] < MAX_BARS else 10


def per(counts: Sequence[tuple[int, int]]) -> str:
    """``"per year"`` or ``"per decade"``: what one bar of these counts stands for (captions)."""
    return "per year" if step_of(counts) == 1 else "per decade"


def bins(counts: Sequence[tuple[int, int]], decades: Mapping[int, int] | None = None
         ) -> tuple[int, list[tuple[int, int]]]:
    """Years → contiguous bins: ``(step, [(first year of bin, count), ...])``, gaps as zero.

    :param decades: the count of each decade (first year → count) when a decade's count is not
        the sum of its years' counts, as for documents (a document naming 1921 and 1925 counts
        once in the 1920s); without it the years' counts are summed (right for mentions).
    """
    if not counts:
        return 1, []
    first, last = counts[0][0], counts[-1][0]
    step = step_of(counts)
    start = first - first % step
    totals: dict[int, int] = {}
    for year, count in counts:
        key = year - year % step
        totals[key] = totals.get(key, 0) + count
    if step == 10 and decades is not None:
        totals = {key: decades.get(key, 0) for key in totals}
    return step, [(key, totals.get(key, 0)) for key in range(start, last + 1, step)]


def histogram_svg(counts: Sequence[tuple[int, int]], *, label: str, unit: str,
                  link: Callable[[int, int], str | None] | None = None,
                  decades: Mapping[int, int] | None = None) -> Markup:
    """An SVG bar chart of ``(year, count)`` pairs.

    With ``link`` the chart is a group of links (each bar a link named by its span and count, in
    the tab order), else one image.

    :param label: the chart's accessible name.
    :param unit: what a count counts, for the tooltips (``"documents"``).
    :param link: ``link(first_year, step)`` → URL a bar leads to, or None.
    :param decades: decade counts for decade bars (see :func:`bins`).
    :return: safe markup (every text escaped).
    """
    step, data = bins(counts, decades)
    if not data:
        return Markup("")
    peak = max(count for _, count in data) or 1
    slot = WIDTH / len(data)
    bar = max(slot * 0.8, 1.0)
    role = "group" if link else "img"
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT + AXIS}" role="{role}"'
        f' aria-label="{escape(label)}" preserveAspectRatio="none"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>',
        f'<line class="axis" x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}"/>',
    ]
    for position, (year, count) in enumerate(data):
        if not count:
            continue
        height = max(HEIGHT * count / peak, 2)
        x = position * slot + (slot - bar) / 2
        span = f"{year}s" if step > 1 else str(year)
        rect = (f'<rect class="bar" x="{x:.1f}" y="{HEIGHT - height:.1f}" width="{bar:.1f}"'
                f' height="{height:.1f}"><title>{escape(span)}: {count} {escape(unit)}</title>'
                "</rect>")
        target = link(year, step) if link else None
        parts.append(f'<a href="{escape(target)}" rel="nofollow"'
                     f' aria-label="{escape(span)}: {count} {escape(unit)}">{rect}</a>'
                     if target else rect)
    for year, anchor in _ticks(data, step):
        x = (year - data[0][0]) / step * slot + slot / 2
        parts.append(f'<text class="tick" aria-hidden="true" x="{x:.1f}" y="{HEIGHT + AXIS - 4}"'
                     f' text-anchor="{anchor}">{year}{"s" if step > 1 else ""}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _ticks(data: list[tuple[int, int]], step: int) -> list[tuple[int, str]]:
    first, last = data[0][0], data[-1][0]
    if first == last:
        return [(first, "middle")]
    ticks = [(first, "start"), (last, "end")]
    every = step * max(1, round(len(data) / 6))
    every = next((nice for nice in (1, 5, 10, 25, 50, 100, 250, 500) if nice >= every), every)
    inner = [year for year in range(first - first % every + every, last, every)
             if (year - first) / (last - first) > 0.1 and (last - year) / (last - first) > 0.1]
    return ticks[:1] + [(year, "middle") for year in inner] + ticks[1:]
