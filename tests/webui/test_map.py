"""The map of places: drawn offline from the vendored outline and the registry's coordinates, on
the places register, a place's page and the browse page (the selection's places)."""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import pytest
from lxml import html

from archive.config import Settings
from archive.registry import Registry
from archive.registry.authority import Entry, load_registry
from webui.map import MAX_DOTS, MIN_SPAN, WORLD_VIEW, outline, places_map, project

SVG = "{http://www.w3.org/2000/svg}"


def rings(path: str) -> list[list[tuple[float, float]]]:
    """The outline's rings (``M x y`` then relative ``l`` moves, ``z``) as absolute points."""
    found = []
    for ring in re.findall(r"M([^z]+)z", path):
        start, _, moves = ring.partition("l")
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", moves)]
        x, y = (float(n) for n in start.split())
        points = [(x, y)]
        for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append((x, y))
        found.append(points)
    return found


def on_land(lat: float, lon: float) -> bool:
    """Even-odd test of a point against the outline's rings."""
    x, y = project(lat, lon)
    inside = False
    for ring in rings(outline()):
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def test_projection_puts_known_places_on_the_outline():
    assert project(0, 0) == (1800.0, 900.0)
    assert project(90, -180) == (0.0, 0.0)
    assert project(-90, 180) == (3600.0, 1800.0)
    assert project(48.8566, 2.3522) == pytest.approx((1823.522, 411.434))
    # the outline and the projection agree: cities on land, oceans not
    for name, lat, lon in (("Paris", 48.86, 2.35), ("Sahara", 23.0, 10.0),
                           ("Moscow", 55.75, 37.62), ("Denver", 39.74, -104.99),
                           ("Brasília", -15.79, -47.88), ("Alice Springs", -23.7, 133.88),
                           ("Beijing", 39.9, 116.4), ("Chukotka east of 180°", 66.0, -172.0)):
        assert on_land(lat, lon), name
    for name, lat, lon in (("Gulf of Guinea", 0.0, 0.0), ("mid-Atlantic", 30.0, -40.0),
                           ("Pacific", 0.0, -140.0), ("Indian Ocean", -20.0, 75.0)):
        assert not on_land(lat, lon), name
    assert len(outline()) < 60_000


def svg_of(page: html.HtmlElement) -> html.HtmlElement:
    (svg,) = page.xpath('//figure[@class="map"]/*[local-name()="svg"]')
    return svg


def dots(page: html.HtmlElement) -> dict[str, str]:
    """The linked dots of a page's map: entity URL → accessible name (title and aria-label)."""
    found = {}
    for link in svg_of(page).xpath('.//*[local-name()="a"]'):
        (title,) = link.xpath('*[local-name()="title"]')
        assert link.xpath('*[local-name()="circle"]'), link.get("href")
        assert link.get("aria-label") == title.text_content()
        found[link.get("href")] = title.text_content()
    return found


def caption(page: html.HtmlElement) -> str:
    return " ".join(page.xpath('//figure[@class="map"]/figcaption')[0].text_content().split())


def no_external_url(svg: html.HtmlElement) -> None:
    text = html.tostring(svg, encoding="unicode")
    for value in re.findall(r'(?:href|src|xlink:href)="([^"]*)"', text):
        assert value.startswith("/") and not value.startswith("//"), value
        assert not urlsplit(value).netloc
    assert "url(" not in text and "@import" not in text
    assert re.findall(r"https?://[^\s\"']+", text) == ["http://www.w3.org/2000/svg"]


def test_places_register_maps_every_place_with_coordinates(app, client, data_dir):
    registry = load_registry(Settings(data_dir=data_dir))
    places = [e for e in registry.entries.values() if e.type == "place"]
    located = {f"/entities/{e.id}": e for e in places if e.geo}
    assert located and len(located) < len(places)  # the corpus has both kinds
    mentions = {f"/entities/{e['id']}": e["mentions"] for e in
                client.get("/api/entities/places?page=1").get_json()["entries"]}
    app.config["PAGE_SIZE"] = 5  # the map shows every place of the filter, not one page
    page = html.fromstring(client.get("/entities/places").get_data(as_text=True))
    shown = dots(page)
    assert set(shown) == set(located)
    for url, name in shown.items():
        if url in mentions:
            count = mentions[url]
            assert name == f"{located[url].name} ({count} mention{'' if count == 1 else 's'})"
        # each dot reaches its place's page
        assert client.get(url).status_code == 200
    assert caption(page) == (f"{len(located)} places shown, sized by mentions;"
                             f" {len(places) - len(located)} places without coordinates not"
                             " shown.")
    svg = svg_of(page)
    assert svg.get("role") == "group" and svg.get("aria-label")
    assert svg.xpath('*[local-name()="path"][@class="land"]/@aria-hidden') == ["true"]
    no_external_url(svg)
    # a filter maps its places only; a filter without a located place draws no map
    berlin = html.fromstring(client.get("/entities/places?q=berl").get_data(as_text=True))
    assert [located[url].name for url in dots(berlin)] == ["Berlin"]
    assert caption(berlin).startswith("1 place shown")
    x, y, width, height = (float(n) for n in svg_of(berlin).get("viewbox").split())
    bx, by = project(*located["/entities/berlin"].geo)
    assert width == pytest.approx(MIN_SPAN * 10) and width / height == pytest.approx(2.5)
    assert x < bx < x + width and y < by < y + height
    nothing = html.fromstring(client.get("/entities/places?q=zzzqqq").get_data(as_text=True))
    assert not nothing.xpath('//figure[@class="map"]')


def test_a_place_page_marks_the_place_among_its_neighbours(client, data_dir):
    registry = load_registry(Settings(data_dir=data_dir))
    page = html.fromstring(client.get("/entities/berlin").get_data(as_text=True))
    svg = svg_of(page)
    (current,) = svg.xpath('.//*[@class="current"]')
    assert current.get("aria-label") == "Berlin" and not current.xpath('.//*[local-name()="a"]')
    x, y, width, height = (float(n) for n in svg.get("viewbox").split())
    cx, cy = (float(current.xpath('*[local-name()="circle"]')[0].get(a)) for a in ("cx", "cy"))
    assert (cx, cy) == pytest.approx(project(*registry.get("berlin").geo), abs=0.1)
    assert cx == pytest.approx(x + width / 2) and cy == pytest.approx(y + height / 2)
    # the neighbours: every other located place within the view, faint links named plainly
    expected = {f"/entities/{e.id}": e.name for e in registry.entries.values()
                if e.type == "place" and e.geo and e.id != "berlin"
                and x <= project(*e.geo)[0] <= x + width and y <= project(*e.geo)[1] <= y + height}
    assert expected  # Stuttgart is near Berlin in the samples
    assert dots(page) == expected
    assert svg.xpath('.//*[@class="places faint"]')
    no_external_url(svg)
    # a place without coordinates, and a person, have no map
    bare = next(e for e in registry.entries.values() if e.type == "place" and not e.geo)
    for url in (f"/entities/{bare.id}", "/entities/leon-trotsky"):
        assert not html.fromstring(client.get(url).get_data(as_text=True)).xpath(
            '//figure[@class="map"]'), url


def test_browse_maps_the_places_of_the_selection(app, client, data_dir):
    app.config["PAGE_SIZE"] = 1000  # every matching document on one page of the JSON
    registry = load_registry(Settings(data_dir=data_dir))

    def located(counts):
        return {f"/entities/{value}": f"{registry.get(value).name} ({count} document"
                f"{'' if count == 1 else 's'})" for value, count in counts
                if registry.get(value) and registry.get(value).geo and count}

    def facet(url):
        (place,) = [f for f in client.get(url).get_json()["facets"] if f["name"] == "place"]
        return [(item["value"], item["count"]) for item in place["results"]]

    everything = html.fromstring(client.get("/").get_data(as_text=True))
    assert dots(everything) == located(facet("/api/facets?_facet_size=max"))
    no_external_url(svg_of(everything))
    # a selection on another facet: its places, counted in its documents
    kind = next(f for f in client.get("/api/facets").get_json()["facets"] if f["name"] == "kind")
    value = kind["results"][0]["value"]
    chosen = html.fromstring(client.get(f"/?kind={value}").get_data(as_text=True))
    assert dots(chosen) == located(facet(f"/api/facets?kind={value}&_facet_size=max"))
    assert dots(chosen) != dots(everything)
    # a selected place: the places its documents name (the place facet's own counts would
    # show the whole corpus's places as OR alternatives)
    berlin_docs = {d["id"] for d in
                   client.get("/api/documents?place=berlin").get_json()["documents"]}
    assert berlin_docs
    named = html.fromstring(client.get("/?place=berlin").get_data(as_text=True))
    shown = dots(named)
    assert "/entities/berlin" in shown and set(shown) < set(dots(everything))
    assert shown["/entities/berlin"] == (
        f"Berlin ({len(berlin_docs)} document{'' if len(berlin_docs) == 1 else 's'})")
    for url in shown:
        place = url.rsplit("/", 1)[1]
        docs = {d["id"] for d in client.get(f"/api/documents?place={place}")
                .get_json()["documents"]}
        assert docs & berlin_docs, url
    assert "without coordinates" in caption(named) or "shown, sized by documents." in caption(
        named)
    # words too narrow the documents, and so the places
    worded = html.fromstring(client.get("/?q=zzzqqqnothing").get_data(as_text=True))
    assert not worded.xpath('//figure[@class="map"]')


def test_the_map_is_bounded_and_says_so(app):
    registry = Registry()
    for number in range(MAX_DOTS + 300):
        registry.add(Entry(f"pl{number:05d}", "place", f"Place {number:05d}",
                           geo=(math.sin(number) * 60, math.cos(number * 7) * 170)))
    registry.add(Entry("nowhere", "place", "Nowhere"))
    counts = [(f"pl{number:05d}", number + 1) for number in range(MAX_DOTS + 300)]
    counts.append(("nowhere", 5))
    counts.append(("not-in-the-registry", 2))
    with app.test_request_context("/entities/places"):
        drawn = places_map(counts, registry, label="Map", unit="mentions")
    assert drawn is not None
    assert drawn["caption"] == (f"The {MAX_DOTS} most mentioned of {MAX_DOTS + 300} places with"
                                " coordinates shown, sized by mentions; 2 places without"
                                " coordinates not shown.")
    svg = html.fromstring(str(drawn["svg"]))
    links = svg.xpath('.//*[local-name()="a"]')
    assert len(links) == MAX_DOTS
    hrefs = {link.get("href") for link in links}
    assert "/entities/pl02299" in hrefs and "/entities/pl00299" not in hrefs  # the most counted
    assert tuple(float(n) for n in svg.get("viewbox").split()) == WORLD_VIEW
    radii = [float(c.get("r")) for c in svg.xpath('.//*[local-name()="circle"]')]
    assert radii == sorted(radii, reverse=True) and radii[0] > radii[-1]  # largest first
    with app.test_request_context("/entities/places"):
        assert places_map([("nowhere", 3)], registry, label="Map", unit="mentions") is None
