"""Which travel model a run uses: straight-line by default, a road network or matrix on request."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sendplan.errors import InputError
from sendplan.geo.external_matrix import ExternalMatrixModel, scenario_points
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.straight_line import StraightLineModel
from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Scenario


@dataclass(frozen=True)
class TravelModels:
    """The drive model every plan uses, and the walk model for walking-distance checks (None:
    walking distance is judged on the drive model)."""

    drive: TravelModel
    walk: TravelModel | None = None


def matrix_cache_dir() -> Path:
    """Where road-network matrices are cached: $SENDPLAN_CACHE_DIR, else ~/.cache/sendplan."""
    root = os.environ.get("SENDPLAN_CACHE_DIR") or Path.home() / ".cache" / "sendplan"
    return Path(root) / "matrices"


def straight_line_model(scenario: Scenario) -> StraightLineModel:
    """The straight-line model with the scenario's circuity factor."""
    return StraightLineModel(circuity_factor=scenario.policy.circuity_factor)


def travel_models(
    scenario: Scenario, *, network: Path | None = None, matrix: Path | None = None
) -> TravelModels:
    """The models for ``scenario``: a road network file, another router's matrix, or neither.

    Every point is snapped to the network up front, so one too far from the roads is an
    InputError naming its child, school or depot.
    """
    if network is not None and matrix is not None:
        raise InputError("command line", "give --network or --matrix, not both")
    if matrix is not None:
        points = scenario_points(
            [(c.child_id, c.lon, c.lat) for c in scenario.children],
            [(s.school_id, s.lon, s.lat) for s in scenario.schools],
            [(v.name, v.depot_lon, v.depot_lat) for v in scenario.fleet],
        )
        return TravelModels(ExternalMatrixModel.from_file(matrix, points))
    if network is None:
        return TravelModels(straight_line_model(scenario))
    drive = NetworkTravelModel.from_file(
        network,
        max_snap_m=scenario.policy.max_snap_m,
        congestion_factor=scenario.policy.am_peak_congestion_factor,
        cache_dir=matrix_cache_dir(),
    )
    groups: list[tuple[str, list[str], list[tuple[float, float]]]] = [
        ("child", [c.child_id for c in scenario.children],
         [(c.lon, c.lat) for c in scenario.children]),
        ("school", [s.school_id for s in scenario.schools],
         [(s.lon, s.lat) for s in scenario.schools]),
        ("depot of", [v.name for v in scenario.fleet],
         [(v.depot_lon, v.depot_lat) for v in scenario.fleet]),
    ]  # fmt: skip
    for kind, ids, lonlat in groups:
        if ids:
            drive.snap(np.asarray(lonlat, dtype=float), ids=[f"{kind} {i}" for i in ids])
    try:
        walk: TravelModel | None = drive.walking()
    except Exception:  # a drive-only network: walking distance falls back to driving
        walk = None
    return TravelModels(drive, walk)
