"""``/api/facets`` and the browse sidebar: the counts of the index's lookup, cut to the values
shown (the lookup is asked for those, and for every value of the timeline's facets only)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from lxml import html

from archive.config import Settings
from archive.index import lookup
from archive.index.update import update_index


def _selections(settings: Settings) -> list[tuple[dict[str, list[str]], str | None]]:
    whole = {f["name"]: f["results"] for f in lookup(settings, {}, facet_size=10_000)["facets"]}
    person = [r["value"] for r in whole["person"]]
    return [({}, None), ({"kind": [whole["kind"][0]["value"]]}, None), ({}, "the"),
            ({"person": [person[0], person[-1]]}, None),
            ({"year": [whole["year"][0]["value"]], "person": [person[-1], "nobody"]}, None)]


@pytest.mark.parametrize("expanded", [False, True])
def test_facets_are_the_lookups_counts_cut_to_the_size_shown(app, client, data_dir: Path,
                                                            expanded: bool) -> None:
    settings = Settings(data_dir=data_dir)
    size = app.config["FACET_MAX" if expanded else "FACET_SIZE"]
    for chosen, text in _selections(settings):
        pairs = [(name, value) for name, values in chosen.items() for value in values]
        url = "/api/facets?" + urlencode(pairs + ([("q", text)] if text else [])
                                         + ([("_facet_size", "max")] if expanded else []))
        data = client.get(url).get_json()
        every = lookup(settings, chosen, text, facet_size=10_000)
        assert data["total"] == every["count"], url
        for answer, whole in zip(data["facets"], every["facets"], strict=True):
            counted = [(r["value"], r["count"], r["selected"]) for r in whole["results"]]
            # the most frequent, then the selected ones beyond them (as they rank), at 0 last
            shown = counted[:size] + [item for item in counted[size:] if item[2]]
            assert [(r["value"], r["count"], r["selected"]) for r in answer["results"]] == \
                shown, (url, answer["name"])
            assert answer["value_count"] == len(counted), (url, answer["name"])
            assert answer["truncated"] == (len(counted) > size), (url, answer["name"])
            if answer["name"] == "year":  # the timeline: every year counted
                assert data["years"] == sorted([int(value), n] for value, n, _ in counted
                                               if n and value.lstrip("-").isdigit()), url


def test_a_facet_of_thousands_of_values_says_how_many(tmp_path: Path) -> None:
    """"Show all N values" counts every value, however many (it said 5000 at most)."""
    from webui import create_app

    names = "".join(f'<persName ref="#someone-{n}">Someone {n}</persName> '
                    for n in range(6_001))
    (tmp_path / "tei").mkdir()
    (tmp_path / "tei" / "crowd.xml").write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>A'
        " crowd</title></titleStmt><publicationStmt><idno type='archive'>crowd</idno>"
        "</publicationStmt><sourceDesc><p>Made for a test.</p></sourceDesc></fileDesc>"
        f'</teiHeader><text><body><div><p xml:id="p1">{names}</p></div></body></text></TEI>',
        encoding="utf-8")
    update_index(Settings(data_dir=tmp_path))
    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    (person,) = [f for f in client.get("/api/facets").get_json()["facets"]
                 if f["name"] == "person"]
    assert (person["value_count"], person["truncated"]) == (6_001, True)
    page = html.fromstring(client.get("/").get_data(as_text=True))
    more = page.get_element_by_id("facet-person").xpath('string(.//p[@class="more"]/a)')
    assert more == "Show all 6001 values"


@pytest.mark.parametrize("root", ["/", "/archive/"])  # (a site mounted below its host's root)
@pytest.mark.parametrize("endpoint", ["browse.index", "search.results"])
def test_toggle_links_are_those_url_for_writes(app, endpoint: str, root: str) -> None:
    from flask import url_for

    from webui.browse import known_args, toggle_url

    odd = ["a b", "x&y=z", "#frag", "50%", "ü/é?", "+plus", "semi;colon", "'quote'", "", "a,b"]
    query = urlencode([("person", odd[0]), ("q", "the words"), ("person", odd[1]),
                       ("place", odd[2]), ("page", "3"), ("unknown", "dropped")])
    with app.test_request_context(f"/?{query}", base_url=f"http://localhost{root}"):
        for name in ("person", "place", "year"):
            for value in odd:
                for selected in (True, False):
                    args = known_args()
                    values = [v for v in args.getlist(name) if v != value]
                    args.setlist(name, values if selected else [*values, value])
                    assert toggle_url(endpoint, name, value, selected) == url_for(
                        endpoint, **args.to_dict(flat=False)), (name, value, selected)
    with app.test_request_context("/", base_url=f"http://localhost{root}"):
        assert url_for(endpoint).startswith(root)
        assert toggle_url(endpoint, "person", "x", True) == url_for(endpoint)
