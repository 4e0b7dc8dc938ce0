"""What the expansion tests share: a home point, two years with growth, and a small school."""

from __future__ import annotations

from sendplan.routing.model import School

HOME = (-1.13, 52.63)
YEARS = (2026, 2027)
GROWTH = {2026: 1.0, 2027: 1.5}


def make_school(school_id: str, lon: float, lat: float, **kw: object) -> School:
    """An ASD school for ages 4-19 of two places at GBP 25,000 (``kw`` overrides)."""
    values: dict[str, object] = dict(
        school_id=school_id, name=school_id, lon=lon, lat=lat, la_code="856",
        type="la_maintained", age_low=4, age_high=19, designations=frozenset({"ASD"}),
        capacity=2, annual_cost_gbp=25_000.0,
    )  # fmt: skip
    values.update(kw)
    return School(**values)
