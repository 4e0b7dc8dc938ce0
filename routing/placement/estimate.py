"""Where pricing starts: school prices estimated on nested samples of the children.

The weighted placement is a transportation problem; its dual is one price per school-side node
(the flow's node potentials), and at those prices each class goes to the arc whose cost plus
price is least (or stays unplaced). A random sample of the children with every school's places
scaled by the same fraction competes for places much as the whole population does, so the
exact potentials of the sample estimate the prices, the better the larger the sample. Pricing
(``pricing.py``) therefore solves the samples of ``SAMPLE_FRACTIONS``, smallest first, each
exactly by its own pricing rounds and starting from the prices of the one before; the whole
population then starts from the largest sample's prices. At given prices a class starts with
the arcs within ``SLACK_GBP`` of its best option and its ``START_AT_LEAST`` next best ones
(few per class, where the nearest ten are mostly never used).

The estimates only choose where pricing starts: the whole population's round still proves its
optimum over every admissible arc, so a poor estimate costs rounds, never optimality. The
samples are drawn with a fixed seed, so the same scenario gives the same start and plan.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import Policy
from sendplan.routing.placement.costs import unplaced_cost_gbp
from sendplan.routing.placement.network import Network
from sendplan.routing.placement.universe import Universe

# The samples' shares of the children, smallest first, and the least number of children in
# the smallest for the samples to be worth their solves (below it, pricing starts from the
# nearest schools: small scenarios solve quickly anyway). Measured at national scale (640,000
# children, 3,000 settings, CPU seconds of the flow solves): one sample of 1/16, 60 s; nested
# (1/32, 1/4) or (1/32, 1/8), 69 s (their own rounds cost more than they save); the nearest
# ten without a sample, 119 s.
SAMPLE_FRACTIONS = (1 / 16,)
SAMPLE_MIN_CHILDREN = 2_000
# A class starts with the arcs within the slack of its best option, and this many more.
START_AT_LEAST = 3
SLACK_GBP = 0
_SEED = 20_260_117


def draw_samples(supply: NDArray[np.int64]) -> list[tuple[float, NDArray[np.int64]]]:
    """Nested samples of the free children (each thins the next larger one), smallest first,
    as (fraction, children per class), of ``SAMPLE_FRACTIONS``; none when the smallest has
    fewer than ``SAMPLE_MIN_CHILDREN``."""
    rng = np.random.default_rng(_SEED)
    samples: list[tuple[float, NDArray[np.int64]]] = []
    current, previous = supply, 1.0
    for fraction in sorted(SAMPLE_FRACTIONS, reverse=True):
        current = rng.binomial(current, fraction / previous).astype(np.int64)
        samples.insert(0, (fraction, current))
        previous = fraction
    if not samples or int(samples[0][1].sum()) < SAMPLE_MIN_CHILDREN:
        return []
    return samples


def surely_sampled(free: int) -> bool:
    """Whether ``free`` children are so many that ``draw_samples`` all but surely draws
    samples (twice the children it needs, in expectation): then pricing starts from the
    samples' prices, not from the nearest schools."""
    return free * min(SAMPLE_FRACTIONS, default=0.0) >= 2 * SAMPLE_MIN_CHILDREN


def _scaled(x: NDArray[np.int64], fraction: float) -> NDArray[np.int64]:
    """Places scaled to a sample (-1, no limit, stays -1)."""
    return np.where(x >= 0, np.floor(x * fraction + 0.5), x).astype(np.int64)


def scaled_network(net: Network, sample: NDArray[np.int64], fraction: float) -> Network:
    """``net`` for a sample: its children, and every school's places scaled by ``fraction``."""
    if fraction == 1.0:
        return replace(net, supply=sample)
    pools = net.pools
    return replace(
        net,
        supply=sample,
        spare=_scaled(net.spare, fraction),
        spare_res=_scaled(net.spare_res, fraction),
        pools=replace(
            pools,
            cap_spare=_scaled(pools.cap_spare, fraction),
            reserved_spare=_scaled(pools.reserved_spare, fraction),
            general_spare=_scaled(pools.general_spare, fraction),
        ),
    )


def start_arcs(
    universe: Universe,
    supply: NDArray[np.int64],
    potential: NDArray[np.int64],
    sink: int,
    policy: Policy,
) -> NDArray[np.bool_]:
    """Per arc of the universe: whether it starts in the solve. A free class's arcs within
    ``SLACK_GBP`` of its best option at the prices ``potential`` gives, and its
    ``START_AT_LEAST`` next best ones (ties included)."""
    value = universe.cost - potential[universe.head]
    top = np.iinfo(np.int64).max
    best_arc = universe.class_min(value, top)
    best = np.minimum(best_arc, unplaced_cost_gbp(policy) - int(potential[sink]))
    chosen = value - best[universe.cls] <= SLACK_GBP
    for _ in range(START_AT_LEAST):
        low = universe.class_min(np.where(chosen, top, value), top)
        chosen |= value == low[universe.cls]
    return chosen & (supply[universe.cls] > 0)


__all__ = [
    "SAMPLE_FRACTIONS", "SAMPLE_MIN_CHILDREN", "SLACK_GBP", "START_AT_LEAST", "draw_samples",
    "scaled_network", "start_arcs", "surely_sampled",
]  # fmt: skip
