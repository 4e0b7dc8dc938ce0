"""The report's measures table shows occupancy from the counts (riders over places), rounded
once: 1280 of 2030 is 63.054%, shown 63.1% (the stored ratio, rounded to 4 places, would show
63.0%); a ratio just below a tenth's half rounds down."""

from __future__ import annotations

from typing import Any

import pytest

from sendplan.api.report_costs import measures_table


def measures(riders: int, places: int) -> dict[str, Any]:
    return {
        "vehicles_by_session": {"am": 10},
        "riders": riders,
        "places": places,
        "occupancy": round(riders / places, 4) if places else None,
        "share_riding_over_min": {"45": 0.1},
        "solo_runs": 1,
        "route_cost_per_child_gbp_per_year": 1000.0,
    }


@pytest.mark.parametrize(
    ("riders", "places", "shown"),
    [
        (1280, 2030, "63.1% (1280 of 2030)"),  # 63.0542%: stored 0.6305
        (1279, 2030, "63.0% (1279 of 2030)"),  # 63.0049%
        (1, 8, "12.5% (1 of 8)"),
        (0, 0, "n/a (0 of 0)"),
    ],
)
def test_occupancy_is_rounded_once_from_the_counts(riders: int, places: int, shown: str) -> None:
    html = measures_table([("This plan", measures(riders, places))])
    assert shown in html
