"""Crawling and registers: robots.txt, ``nofollow`` facet links, facets expandable to all values."""

from __future__ import annotations

import re
from pathlib import Path

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
    for url in ("/", "/?page=2", "/entities", "/entities/persons", "/entities/places?page=2",
                "/documents/letters__1851-06-14-marsh",
                "/documents/letters__1851-06-14-marsh.xml", "/entities/evil-person",
                "/robots.txt"):
        assert allowed(robots, url), url
    for url in ("/?kind=letter", "/?kind=letter&year=1851", "/?q=river", "/search?q=river",
                "/query", "/query?xpath=//p", "/api/documents", "/api/facets?kind=letter",
                "/export.zip?kind=letter", "/export.teicorpus", "/export.csv",
                "/documents/b00042/export.tei", "/entities/evil-person/mentions.csv",
                "/documents/b00042?hl=x", "/entities/persons?sort=mentions",
                "/api/entities/persons"):
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


def entries(client, url):
    page = html.fromstring(client.get(url).get_data(as_text=True))
    return [(row.xpath("string(th/a)"), row.xpath("string(th/a/@href)"))
            for row in page.xpath('//table[@class="register"]/tbody/tr[th]')]


def test_entities_index_links_the_three_registers_with_counts(app, client):
    from archive.config import Settings
    from archive.registry import load_registry

    registry = load_registry(Settings(data_dir=Path(app.config["DATA_DIR"])))
    response = client.get("/entities")
    assert response.status_code == 200
    page = html.fromstring(response.get_data(as_text=True))
    listed = {a.get("href"): a.getparent().xpath("string(.)")
              for a in page.xpath("//ul[@class='registers']/li/a")}
    assert set(listed) == {"/entities/persons", "/entities/places", "/entities/orgs"}
    api = client.get("/api/entities").get_json()["registers"]
    for register, entry_type in zip(api, ("person", "place", "org"), strict=True):
        count = sum(1 for e in registry.entries.values() if e.type == entry_type)
        assert register["entries"] == count > 0
        assert f"{count} entries" in listed[register["url"]]
        assert 0 < register["named"] <= count and register["mentions"] >= register["named"]
    assert "Registers" in page.xpath("string(//nav[@aria-label='Main'])")


def test_register_sorts_filters_and_pages(app, client):
    app.config["PAGE_SIZE"] = 7
    data = client.get("/api/entities/persons?sort=name").get_json()
    assert data["total"] > 14 and len(data["entries"]) == 7
    # name order, paged: page 2 continues page 1, the HTML lists what the JSON does
    names = [e["name"].casefold() for e in data["entries"]]
    assert names == sorted(names)
    second = client.get("/api/entities/persons?page=2").get_json()["entries"]
    assert second[0]["name"].casefold() >= names[-1]
    assert [name for name, _ in entries(client, "/entities/persons?page=2")] == [
        e["name"] for e in second]
    everyone = []
    for page in range(1, (data["total"] + 6) // 7 + 1):
        everyone += client.get(f"/api/entities/persons?page={page}").get_json()["entries"]
    assert len({e["id"] for e in everyone}) == data["total"]
    # mentions: most first, the counts the entity page gives
    top = client.get("/api/entities/persons?sort=mentions").get_json()["entries"]
    counts = [e["mentions"] for e in top]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert client.get(f"/api/entities/{top[0]['id']}").get_json()["mentions"] == counts[0]
    # date: the earliest dated document first, the never-dated last
    dated = client.get("/api/entities/places?sort=date").get_json()["entries"]
    firsts = [e["first_date"] for e in dated if e["first_date"]]
    assert firsts and firsts == sorted(firsts)
    seen_none = False
    for e in dated:
        seen_none = seen_none or e["first_date"] is None
        assert not (seen_none and e["first_date"])
    # filter: any part of the name or a variant, any case
    trotsky = client.get("/api/entities/persons?q=TROTSK").get_json()
    assert "leon-trotsky" in {e["id"] for e in trotsky["entries"]}
    assert all("trotsk" in " ".join([e["name"], *e["variants"]]).casefold()
               for e in trotsky["entries"])
    old_man = client.get("/api/entities/persons?q=old%20man").get_json()["entries"]
    assert [e["id"] for e in old_man] == ["leon-trotsky"]
    assert entries(client, "/entities/persons?q=old+man") == [("Leon Trotsky",
                                                               "/entities/leon-trotsky")]
    assert client.get("/api/entities/persons?q=zzzzqqq").get_json()["total"] == 0


def test_register_refuses_an_unknown_sort_and_keeps_entity_pages(client):
    response = client.get("/api/entities/orgs?sort=size")
    assert response.status_code == 400 and "sort" in response.get_json()["error"]
    assert client.get("/entities/orgs?sort=size").status_code == 400
    assert client.get("/entities/evil-person").status_code == 200
    assert client.get("/entities/nobody-at-all").status_code == 404
