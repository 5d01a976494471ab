"""One document's hits as a query worker sends them: by field, not by hit (the packing itself
is :mod:`archive.xpath.packed`, which the tree cache and a query's result use too)."""

from ..xpath import FEW, SEPARATOR, Field, Packed, pack, unpack

__all__ = ["FEW", "SEPARATOR", "Field", "Packed", "pack", "unpack"]
