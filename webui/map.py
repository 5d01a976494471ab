"""A map of places as inline SVG, drawn on the server from a vendored world outline and the
registry's coordinates: no tile server, no script, nothing fetched.

The outline (``static/world-110m.svg``, Natural Earth 1:110m land, public domain; see
``tools/world_outline.py``) is equirectangular in tenths of a degree, and so are the dots
(:func:`project`). A map shows its places' extent (never less than :data:`MIN_SPAN` degrees
wide), one dot per place sized by its count on a log scale, each dot a link named by the place
and its count. Only presentation attributes and classes are used (no ``style``), so the page's
CSP needs no exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from archive.registry import Registry

OUTLINE = Path(__file__).parent / "static" / "world-110m.svg"
#: The whole world's size in map units (tenths of a degree), and the part a world map shows
#: (latitudes 84 N to 60 S: the Antarctic coast names few places).
WORLD_WIDTH, WORLD_HEIGHT = 3600, 1800
WORLD_VIEW = (0.0, 60.0, 3600.0, 1440.0)
#: Width : height of every map.
ASPECT = WORLD_VIEW[2] / WORLD_VIEW[3]
#: The narrowest map, in degrees of longitude (a single town is shown in its region), and the
#: width of a place's own map (wide enough to see where on a continent it lies).
MIN_SPAN = 24.0
PLACE_SPAN = 60.0
#: Dots drawn at most (the most counted; the caption says when some are left out).
MAX_DOTS = 2000
#: Neighbours shown faint around a place on its own page.
NEIGHBOURS = 200
#: Dot radius as a share of the map's width: the least and the most counted place.
RADIUS = (0.0045, 0.013)


@dataclass(frozen=True)
class Place:
    """A place to draw: registry id, name, coordinates and its count (mentions, documents)."""

    id: str
    name: str
    lat: float
    lon: float
    count: int = 0


def project(lat: float, lon: float) -> tuple[float, float]:
    """Latitude and longitude → map units (equirectangular, tenths of a degree from 180° W and
    90° N): ``project(0, 0)`` → ``(1800.0, 900.0)``, ``project(90, -180)`` → ``(0.0, 0.0)``."""
    return (lon + 180.0) * 10.0, (90.0 - lat) * 10.0


@cache
def outline() -> str:
    """The path data of the world's land (read once from the vendored SVG)."""
    found = re.search(r'<path id="land" d="([^"]+)"', OUTLINE.read_text(encoding="utf-8"))
    if found is None:  # the committed file is broken: a packaging error, not a user's
        raise RuntimeError(f"{OUTLINE}: no land path")
    return found.group(1)


def extent(points: Sequence[tuple[float, float]], span: float = MIN_SPAN
           ) -> tuple[float, float, float, float]:
    """The view (x, y, width, height) showing ``points`` (map units) with a margin, at least
    ``span`` degrees wide, of the maps' :data:`ASPECT`, within the world; the world view when
    the points spread over most of it (or there are none)."""
    if not points:
        return WORLD_VIEW
    xs, ys = [x for x, _ in points], [y for _, y in points]
    width = max((max(xs) - min(xs)) * 1.2, (max(ys) - min(ys)) * 1.2 * ASPECT, span * 10)
    if width >= WORLD_VIEW[2] * 0.6:
        return WORLD_VIEW
    height = width / ASPECT
    x = min(max((max(xs) + min(xs) - width) / 2, 0.0), WORLD_WIDTH - width)
    y = min(max((max(ys) + min(ys) - height) / 2, 0.0), WORLD_HEIGHT - height)
    return x, y, width, height


def map_svg(places: Sequence[Place], *, label: str, unit: str,
            current: Place | None = None) -> Markup:
    """The map: the outline, then one dot per place (a link to its page named by the place and
    its count in ``unit``), the largest drawn first so that small dots stay clickable.

    :param places: at most :data:`MAX_DOTS` are drawn, the most counted.
    :param label: the map's accessible name.
    :param current: the place a page is about: marked, centred, and not a link; ``places`` are
        then its neighbours, drawn faint and named without a count.
    :return: safe markup (every text escaped).
    """
    shown = most_counted(places)
    if current:
        x0, y0, width, height = extent([project(current.lat, current.lon)], PLACE_SPAN)
    else:
        x0, y0, width, height = extent([project(p.lat, p.lon) for p in shown])
    low, high = RADIUS
    peak = math.log1p(max((p.count for p in shown), default=0)) or 1.0
    parts = [
        f'<svg class="map" viewBox="{x0:.1f} {y0:.1f} {width:.1f} {height:.1f}" role="group"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>",
        f'<rect class="sea" x="{x0:.1f}" y="{y0:.1f}" width="{width:.1f}" height="{height:.1f}"'
        ' aria-hidden="true"/>',
        f'<path class="land" d="{outline()}" aria-hidden="true"/>',
        f'<g class="{"places faint" if current else "places"}">',
    ]
    for place in sorted(shown, key=lambda p: (-p.count, p.name)):
        x, y = project(place.lat, place.lon)
        radius = width * (low * 1.5 if current else
                          low + (high - low) * math.log1p(place.count) / peak)
        name = (place.name if current else
                f"{place.name} ({place.count} {unit if place.count != 1 else unit.rstrip('s')})")
        parts.append(
            f'<a href="{escape(url_for("entities.show", entity_id=place.id))}"'
            f' aria-label="{escape(name)}"><title>{escape(name)}</title>'
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"/></a>')
    parts.append("</g>")
    if current:
        x, y = project(current.lat, current.lon)
        parts.append(
            f'<g class="current" role="img" aria-label="{escape(current.name)}">'
            f"<title>{escape(current.name)}</title>"
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="{width * high:.1f}"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def most_counted(places: Iterable[Place]) -> list[Place]:
    """The :data:`MAX_DOTS` most counted places (ties by name)."""
    return sorted(places, key=lambda p: (-p.count, p.name.casefold(), p.id))[:MAX_DOTS]


def places_map(counts: Iterable[tuple[str, int]], registry: Registry, *, label: str,
               unit: str) -> dict[str, Any] | None:
    """The map of registry places with their counts: ``{"svg", "caption"}``, or None when no
    place has coordinates.

    :param counts: (registry id, count) pairs; ids not in the registry or not places are
        counted as places without coordinates.
    """
    places, missing = [], 0
    for entity_id, count in counts:
        entry = registry.get(entity_id)
        if entry is None or entry.type != "place" or entry.geo is None:
            missing += 1
            continue
        places.append(Place(entry.id, entry.name, entry.geo[0], entry.geo[1], count))
    if not places:
        return None
    shown = min(len(places), MAX_DOTS)
    caption = (f"{_places(shown)} shown, sized by {unit}" if shown == len(places) else
               f"The {shown} most {'mentioned' if unit == 'mentions' else 'named'} of"
               f" {_places(len(places))} with coordinates shown, sized by {unit}")
    caption += f"; {_places(missing)} without coordinates not shown." if missing else "."
    return {"svg": map_svg(places, label=label, unit=unit), "caption": caption}


def place_map(entry_id: str, registry: Registry) -> dict[str, Any] | None:
    """The map of one place among its neighbours in the registry (drawn faint, the nearest
    :data:`NEIGHBOURS` within the view): ``{"svg", "caption"}``, or None without coordinates."""
    entry = registry.get(entry_id)
    if entry is None or entry.geo is None:
        return None
    current = Place(entry.id, entry.name, entry.geo[0], entry.geo[1])
    here = project(current.lat, current.lon)
    x0, y0, width, height = extent([here], PLACE_SPAN)
    nearby = []
    for other in registry.entries.values():
        if other.type != "place" or other.geo is None or other.id == entry.id:
            continue
        x, y = project(*other.geo)
        if x0 <= x <= x0 + width and y0 <= y <= y0 + height:
            nearby.append((math.dist(here, (x, y)), other))
    nearby.sort(key=lambda pair: (pair[0], pair[1].id))
    neighbours = [Place(other.id, other.name, other.geo[0], other.geo[1])
                  for _, other in nearby[:NEIGHBOURS] if other.geo is not None]
    caption = (f"{entry.name} ({entry.geo[0]:.2f}, {entry.geo[1]:.2f})"
               + (f" and {_places(len(neighbours))} of the registry nearby." if neighbours
                  else "; no other place of the registry nearby."))
    return {"svg": map_svg(neighbours, label=f"Map: {entry.name} and places nearby",
                           unit="mentions", current=current), "caption": caption}


def _places(number: int) -> str:
    return f"{number} place{'' if number == 1 else 's'}"
