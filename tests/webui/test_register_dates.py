"""The persons register's "date" order: by life dates (birth, else death), else by the earliest
document naming the person; undated last."""

from __future__ import annotations

import re

from webui.entities import date_key


def year(date: str) -> int:
    found = re.match(r"-?\d+", date)
    assert found, date
    return int(found.group())


def test_persons_sort_by_life_dates_then_first_mention(app, client):
    app.config["PAGE_SIZE"] = 1000
    rows = client.get("/api/entities/persons?sort=date").get_json()["entries"]
    born = [row for row in rows if row["birth"]]
    assert born
    keys = [row["birth"] or row["death"] or row["first_date"] for row in rows]
    dated = [key for key in keys if key]
    assert [year(key) for key in dated] == sorted(year(key) for key in dated)
    assert all(key is None for key in keys[len(dated):])  # undated last
    # a life date wins over a document's date: someone born early comes before people first
    # named in earlier documents (the order of the first mentions alone is another one)
    assert [row["id"] for row in rows] != [row["id"] for row in sorted(
        rows, key=lambda row: (row["first_date"] is None, row["first_date"] or ""))]
    # the page lists the same order and says what it sorts by
    page = client.get("/entities/persons?sort=date").get_data(as_text=True)
    assert "life dates, else first dated document" in page


def test_date_key_orders_years_as_numbers():
    dates = ["1879-11-07", "-0044-03-15", "0800", None, "1850", "-0500"]
    assert sorted(dates, key=date_key) == ["-0500", "-0044-03-15", "0800", "1850", "1879-11-07",
                                            None]
