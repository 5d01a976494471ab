"""Generate ``webui/static/world-110m.svg``, the world outline the viewer's map of places draws.

Source: Natural Earth 1:110m land (public domain, https://www.naturalearthdata.com), as the
TopoJSON ``land-110m.json`` of the npm package ``world-atlas`` 2.0.2 (Natural Earth 4.1.0,
converted by Mike Bostock; ISC licence for the conversion). Get it with ``npm pack
world-atlas@2.0.2`` and unpack it, then::

    python tools/world_outline.py package/land-110m.json webui/static/world-110m.svg

How: the TopoJSON arcs are decoded (quantised, delta-encoded), each ring projected
equirectangularly to tenths of a degree (x = (lon + 180) * 10, y = (90 - lat) * 10, the same
projection as :func:`webui.map.project`), simplified by Douglas–Peucker with a tolerance of
``TOLERANCE`` tenths of a degree, rings smaller than ``MIN_AREA`` square tenths dropped, and
written as one SVG path of integer relative moves. Nothing else is changed; the output is
committed and served as it is, never fetched at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: Douglas–Peucker tolerance and the smallest ring kept, in tenths of a degree.
TOLERANCE = 0.8
MIN_AREA = 40.0


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs as (lon, lat) lists."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    """One ring from its arc indices (a negative index ``~i`` is arc ``i`` reversed)."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def unwrapped(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring crossing the antimeridian made continuous (longitudes past ±180), then also
    shifted by 360° so that both halves show; a ring around a pole (Antarctica) stays as is."""
    out = [points[0]]
    for lon, lat in points[1:]:
        previous = out[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        out.append((lon, lat))
    if out == points or abs(out[-1][0] - out[0][0]) > 180:
        return [points]
    shift = 360 if min(lon for lon, _ in out) < -180 else -360
    return [out, [(lon + shift, lat) for lon, lat in out]]


def project(lon: float, lat: float) -> tuple[float, float]:
    return (lon + 180) * 10, (90 - lat) * 10


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        best, where = 0.0, -1
        for i in range(first + 1, last):
            x, y = points[i]
            if length:
                distance = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            else:
                distance = ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if distance > best:
                best, where = distance, i
        if best > tolerance:
            keep[where] = True
            stack += [(first, where), (where, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def area(points: list[tuple[int, int]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2)
                   in zip(points, points[1:] + points[:1], strict=True))) / 2


def path_data(topology: dict) -> str:
    arcs = decode_arcs(topology)
    parts = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = (geometry["arcs"] if geometry["type"] == "MultiPolygon"
                    else [geometry["arcs"]])
        for polygon in polygons:
            for part in (part for indices in polygon for part in unwrapped(ring(arcs, indices))):
                points = simplify([project(*p) for p in part], TOLERANCE)
                rounded: list[tuple[int, int]] = []
                for x, y in points:
                    point = (round(x), round(y))
                    if not rounded or point != rounded[-1]:
                        rounded.append(point)
                if len(rounded) < 3 or area(rounded) < MIN_AREA:
                    continue
                (x0, y0), moves = rounded[0], []
                for (xa, ya), (xb, yb) in zip(rounded, rounded[1:], strict=False):
                    moves.append(f"{xb - xa} {yb - ya}".replace(" -", "-"))
                parts.append(f"M{x0} {y0}l" + " ".join(moves).replace(" -", "-") + "z")
    return "".join(parts)


HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!-- World land outline for the map of places. Generated by tools/world_outline.py from
     Natural Earth 1:110m land (public domain, naturalearthdata.com), via the TopoJSON of the
     npm package world-atlas 2.0.2 (Natural Earth 4.1.0). Equirectangular, in tenths of a
     degree: x = (lon + 180) * 10, y = (90 - lat) * 10. Douglas-Peucker simplified
     (tolerance {tolerance} tenths of a degree; rings under {area} square tenths dropped). -->
"""


def main(source: str, target: str) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    svg = (HEADER.format(tolerance=TOLERANCE, area=MIN_AREA)
           + '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 3600 1800">'
           + f'<path id="land" d="{path_data(topology)}"/></svg>\n')
    Path(target).write_text(svg, encoding="utf-8")
    print(f"{target}: {len(svg.encode())} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: world_outline.py LAND_110M_TOPOJSON OUTPUT_SVG")
    main(sys.argv[1], sys.argv[2])
