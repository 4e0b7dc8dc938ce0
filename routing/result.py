"""What :func:`sendplan.routing.solve.solve` returns: the plans, their summary, tables on demand."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario
from sendplan.routing.placement.explain import Explanation
from sendplan.routing.placement.plan import PlacementPlan
from sendplan.routing.summary import Summary
from sendplan.routing.transport.check import TransportCheck
from sendplan.routing.transport.eligibility import TransportReview
from sendplan.routing.transport.lines import lines_of
from sendplan.routing.transport.plan import TransportPlan

if TYPE_CHECKING:
    import geopandas as gpd

WRITER = "sendplan.api.outputs"
"""The module whose ``write_result`` writes a Result's files. Files are the api layer's job, so
the library names it instead of importing it (as pandas names its plotting backend)."""

PLACEMENT_COLUMNS = (
    "child_id", "status", "school_id", "school_name", "travel_min", "distance_km",
    "annual_cost_gbp", "preference_rank", "in_area", "residential", "cross_border", "reasons",
    "unplaced_reason", "detail",
)  # fmt: skip


@dataclass(frozen=True)
class Result:
    """A solved scenario. ``placement`` is None when children kept their current schools;
    ``transport`` holds one plan per planned session; ``evaluation`` the existing routes'
    check when they were given. ``scenario`` is the one placed: children who are not movers
    this year are locked at their current school in it."""

    scenario: Scenario
    summary: Summary
    placement: PlacementPlan | None
    explanations: tuple[Explanation, ...]
    transport: tuple[TransportPlan, ...]
    review: TransportReview | None
    evaluation: dict[str, dict[str, object]] | None
    # The independent route checker's report on each session's plan, in session order.
    checks: tuple[TransportCheck, ...] = ()
    # When every child has a current school: the status quo as a plan (every child at their
    # current school) and its routes for the same sessions, measured beside the optimised plan
    # in ``summary.comparison``.
    status_quo: PlacementPlan | None = None
    status_quo_transport: tuple[TransportPlan, ...] = ()
    # The drive model the plan was solved with, so outputs can draw routes along its roads
    # when it can rebuild its paths; a tool, not part of the result's value.
    travel: TravelModel | None = field(default=None, compare=False, repr=False)

    @cached_property
    def placements(self) -> pd.DataFrame:
        """One row per child, by child_id: school, unrounded travel, cost, reasons or the reason
        the child is unplaced (empty when no placement was solved)."""
        if self.placement is None:
            return pd.DataFrame(columns=list(PLACEMENT_COLUMNS))
        schools = {s.school_id: s for s in self.scenario.schools}
        rows: list[dict[str, Any]] = [
            {
                "child_id": a.child_id,
                "status": "placed",
                "school_id": a.school_id,
                "school_name": schools[a.school_id].name,
                "travel_min": a.travel_s / 60.0,
                "distance_km": a.distance_m / 1000.0,
                "annual_cost_gbp": a.annual_cost_gbp,
                "preference_rank": a.preference_rank,
                "in_area": a.in_area,
                "residential": a.residential,
                "cross_border": a.cross_border,
                "reasons": ";".join(a.reasons),
                "unplaced_reason": None,
                "detail": None,
            }
            for a in self.placement.assignments
        ]
        rows += [
            {
                **dict.fromkeys(PLACEMENT_COLUMNS),
                "child_id": u.child_id,
                "status": "unplaced",
                "unplaced_reason": str(u.reason),
                "detail": u.detail,
            }
            for u in self.placement.unplaced
        ]
        frame = pd.DataFrame(rows, columns=list(PLACEMENT_COLUMNS))
        frame["preference_rank"] = frame["preference_rank"].astype("Int64")
        return frame.sort_values("child_id", ignore_index=True)

    def placements_gdf(self) -> gpd.GeoDataFrame:
        """:attr:`placements` with a home-to-school line per placed child (WGS84; unplaced
        children have no geometry)."""
        import geopandas as gpd  # heavy (about a second to import); only tables on demand need it
        from shapely.geometry import LineString

        homes = {c.child_id: (c.lon, c.lat) for c in self.scenario.children}
        schools = {s.school_id: (s.lon, s.lat) for s in self.scenario.schools}
        frame = self.placements
        lines = [
            LineString([homes[c], schools[s]]) if isinstance(s, str) else None
            for c, s in zip(frame["child_id"], frame["school_id"], strict=True)
        ]
        return gpd.GeoDataFrame(frame, geometry=lines, crs="EPSG:4326")

    def routes_gdf(self) -> gpd.GeoDataFrame:
        """One row per route of every planned session, its path through its stops (WGS84):
        along the roads when solved on a road network (``along_roads``), else straight."""
        import geopandas as gpd  # heavy (about a second to import); only tables on demand need it
        from shapely.geometry import LineString

        rows, lines = [], []
        drawn = lines_of(self.scenario, self.transport, self.travel)
        for plan in self.transport:
            for r in plan.routes:
                rows.append(
                    {
                        "route_id": r.route_id,
                        "session": r.session,
                        "vehicle_type": r.vehicle_type,
                        "school_ids": "+".join(dict.fromkeys(c.school_id for c in r.school_calls)),
                        "riders": len(r.stops),
                        "start_min": r.start_min,
                        "school_time_min": r.school_time_min,
                        "end_min": r.end_min,
                        "longest_ride_min": r.longest_ride_min,
                        "distance_km": r.distance_m / 1e3,
                        "cost_gbp": r.cost_gbp,
                        "assistant": r.assistant,
                        "solo": r.solo,
                        "mixed": r.mixed,
                        "flags": ";".join(r.flags),
                        "along_roads": drawn[r.route_id].along_roads,
                    }
                )
                lines.append(LineString(drawn[r.route_id].coords))
        return gpd.GeoDataFrame(rows, geometry=lines, crs="EPSG:4326")

    def write(self, out_dir: str | Path) -> Path:
        """Write every output file of ``sendplan place``/``routes`` into ``out_dir``."""
        writer = importlib.import_module(WRITER)
        path: Path = writer.write_result(self, Path(out_dir))
        return path
