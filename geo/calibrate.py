"""How far the straight-line model is from the road network: the calibration report.

Pairs of random points on the drive network (seeded) are timed by both models. The report gives
the median and 90th percentile of network time / straight-line time (1.0 = the straight-line
model is right; above 1 it is optimistic), and of network distance / geodesic distance (the
circuity the straight-line model assumes to be ``circuity_factor``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sendplan.errors import InputError
from sendplan.geo.coords import geodesic_m
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.straight_line import StraightLineModel
from sendplan.geo.travel import TravelModel


@dataclass(frozen=True)
class Calibration:
    """Ratios of network to straight-line journeys over ``pairs`` random pairs."""

    network: str
    straight_line: str
    pairs: int
    seed: int
    min_distance_m: float
    median_time_ratio: float
    p90_time_ratio: float
    median_distance_ratio: float
    p90_distance_ratio: float
    median_network_min: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibrate_straight_line(
    network: NetworkTravelModel,
    *,
    straight_line: TravelModel | None = None,
    pairs: int = 1000,
    seed: int = 0,
    min_distance_m: float = 500.0,
) -> Calibration:
    """Compare the straight-line model with the network on random node pairs at least
    ``min_distance_m`` apart (short hops are dominated by snapping, not by the model)."""
    model = straight_line if straight_line is not None else StraightLineModel()
    graph = network.network.graph("drive")
    rng = np.random.default_rng(seed)
    origins: list[int] = []
    destinations: list[int] = []
    for _ in range(50):
        a = rng.integers(0, graph.n_nodes, 4 * pairs)
        b = rng.integers(0, graph.n_nodes, 4 * pairs)
        apart = geodesic_m(graph.lon[a], graph.lat[a], graph.lon[b], graph.lat[b])
        keep = apart >= min_distance_m
        origins.extend(a[keep].tolist())
        destinations.extend(b[keep].tolist())
        if len(origins) >= pairs:
            break
    if len(origins) < pairs:
        # A user's input, not a fault: a small extract whose roads span less than the distance.
        raise InputError(
            network.name,
            f"its drive roads are too small for {pairs} random pairs {min_distance_m:.0f} m "
            f"apart (found {len(origins)}); calibrate on a larger extract, or ask for fewer "
            "--pairs",
        )
    o_idx, d_idx = np.asarray(origins[:pairs]), np.asarray(destinations[:pairs])
    o = np.column_stack([graph.lon[o_idx], graph.lat[o_idx]])
    d = np.column_stack([graph.lon[d_idx], graph.lat[d_idx]])
    net_s, net_m = network.pairs(o, d)
    line_s, _ = model.pairs(o, d)
    crow_m = geodesic_m(o[:, 0], o[:, 1], d[:, 0], d[:, 1])
    time_ratio, distance_ratio = net_s / line_s, net_m / crow_m
    return Calibration(
        network=network.name,
        straight_line=model.name,
        pairs=pairs,
        seed=seed,
        min_distance_m=min_distance_m,
        median_time_ratio=round(float(np.median(time_ratio)), 3),
        p90_time_ratio=round(float(np.percentile(time_ratio, 90)), 3),
        median_distance_ratio=round(float(np.median(distance_ratio)), 3),
        p90_distance_ratio=round(float(np.percentile(distance_ratio, 90)), 3),
        median_network_min=round(float(np.median(net_s)) / 60, 2),
    )
