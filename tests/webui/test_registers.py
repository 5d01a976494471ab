"""Crawling and registers: robots.txt, ``nofollow`` facet links, facets expandable to all values."""

from __future__ import annotations

import re

from lxml import html


def allowed(robots: str, url: str) -> bool:
    """Whether ``url`` may be crawled under ``robots`` as Google reads it: the longest matching
    rule wins, ``*`` matches anything, ``$`` ends the pattern, ``Allow`` wins a tie."""
    best: tuple[int, bool] = (-1, True)
    for line in robots.splitlines():
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field not in ("allow", "disallow") or not value:
            continue
        pattern = "".join(".*" if ch == "*" else re.escape(ch) for ch in value.rstrip("$"))
        if re.match(pattern + ("$" if value.endswith("$") else ""), url):
            rule = (len(value), field == "allow")
            if rule[0] > best[0] or (rule[0] == best[0] and rule[1]):
                best = rule
    return best[1]


def test_robots_txt_keeps_crawlers_off_facets_queries_and_exports(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    robots = response.get_data(as_text=True)
    assert "User-agent: *" in robots
    for url in ("/", "/?page=2", "/documents/letters__1851-06-14-marsh",
                "/documents/letters__1851-06-14-marsh.xml", "/entities/evil-person",
                "/robots.txt"):
        assert allowed(robots, url), url
    for url in ("/?kind=letter", "/?kind=letter&year=1851", "/?q=river", "/search?q=river",
                "/query", "/query?xpath=//p", "/api/documents", "/api/facets?kind=letter",
                "/export.zip?kind=letter", "/export.teicorpus", "/export.csv",
                "/documents/b00042/export.tei", "/entities/evil-person/mentions.csv",
                "/documents/b00042?hl=x"):
        assert not allowed(robots, url), url


def test_facet_links_are_nofollow(client):
    for url in ("/", "/?kind=letter", "/search?q=the"):
        page = html.fromstring(client.get(url).get_data(as_text=True))
        links = page.xpath('//aside[contains(@class, "facets")]//a[@href]')
        assert links, url
        for link in links:
            assert "nofollow" in (link.get("rel") or "").split(), (url, link.get("href"))


def test_every_facet_expands_to_all_its_values(app, client):
    facets = client.get("/api/facets").get_json()["facets"]
    cut = [f for f in facets if f["truncated"]]
    assert cut, "the test corpus has a facet with more than FACET_SIZE values"
    size = app.config["FACET_SIZE"]
    page = html.fromstring(client.get("/").get_data(as_text=True))
    for facet in cut:
        assert len(facet["results"]) == size
        section = page.get_element_by_id(f"facet-{facet['name']}")
        (more,) = section.xpath('.//p[@class="more"]/a')
        assert "_facet_size=max" in more.get("href") and "nofollow" in more.get("rel")
        # the link shows every value the facet has, each with its count
        whole = html.fromstring(client.get(more.get("href")).get_data(as_text=True))
        shown = whole.get_element_by_id(f"facet-{facet['name']}").xpath(".//li")
        assert len(shown) == facet["value_count"] > size
        assert not whole.get_element_by_id(f"facet-{facet['name']}").xpath('.//p[@class="more"]/a')
    full = client.get("/api/facets?_facet_size=max").get_json()["facets"]
    for facet in full:
        assert len(facet["results"]) == facet["value_count"]
        assert not facet["truncated"]


def test_expanded_facets_stop_at_the_cap_with_a_note(app, client):
    app.config["FACET_MAX"] = 12
    facets = client.get("/api/facets?_facet_size=max").get_json()["facets"]
    big = [f for f in facets if f["value_count"] > 12]
    assert big, "the test corpus has a facet with more than 12 values"
    page = html.fromstring(client.get("/?_facet_size=max").get_data(as_text=True))
    for facet in big:
        assert len(facet["results"]) == 12 and facet["truncated"]
        section = page.get_element_by_id(f"facet-{facet['name']}")
        assert len(section.xpath(".//li")) == 12
        assert "12 most frequent" in section.xpath('string(.//p[@class="more"])')


def test_browse_timeline_counts_documents_per_decade(client):
    """The sample corpus spans 1729-2023, so bars are decades: each counts the documents naming
    one of its years (the decade facet), never more than the corpus holds."""
    data = client.get("/api/facets?_facet_size=max").get_json()
    total = data["total"]
    decade = {item["value"]: item["count"]
              for facet in data["facets"] if facet["name"] == "decade" for item in facet["results"]}
    page = html.fromstring(client.get("/").get_data(as_text=True))
    (figure,) = page.xpath('//figure[@class="chart"]')
    assert "documents per decade" in figure.xpath("string(figcaption)")
    (svg,) = figure.xpath("*[local-name()='svg']")
    assert svg.get("role") != "img" and "documents per decade" in svg.get("aria-label")
    bars = svg.xpath("*[local-name()='a']")
    assert bars
    for bar in bars:
        span, _, count = bar.get("aria-label").partition(": ")
        count = int(count.removesuffix(" documents"))
        assert count <= total and count == decade[span], bar.get("aria-label")
        assert "decade=" in bar.get("href") and bar.get("rel") == "nofollow"
