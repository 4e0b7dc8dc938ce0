"""Every admissible (class, school) arc at once, for pricing (``pricing.py``).

*Reach.* Travel is screened once per home point against every school (``travel.matrix`` in
chunks of points, kept within the largest travel limit at that point, then the exact
``travel.pairs`` values): classes at one home point share its pairs.

*Universe.* From the reach, every arc the full solve would build (the school open and
admitting the class's group, within its travel limit), with its cost in whole GBP through the
same expression as ``costs.arc_costs_gbp`` (preference ranks included), sorted by class then
school. Only integers are kept per arc (class, school, cost, its pair in the reach and the
node it enters), about 40 bytes an arc: at national scale (640,000 children x 3,000 settings,
about 15 million admissible arcs) some 600 MB, which lets pricing run as whole-array
operations instead of rebuilding every arc each round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sendplan.geo.travel import TravelModel
from sendplan.routing.model import Policy
from sendplan.routing.placement.arrays import group_rows, index_in_sorted
from sendplan.routing.placement.candidates import CandidateSet, Pairs
from sendplan.routing.placement.costs import costs_from_terms_gbp

# Work per chunk: about this many (point, school) or (class, school) cells at once.
_CHUNK_CELLS = 4_000_000
# Screening slack: ``travel.matrix`` may round differently from ``travel.pairs``.
_SCREEN_REL = 1e-9
_SCREEN_ABS_S = 1e-6


@dataclass(frozen=True)
class Reach:
    """Per home point, the schools within the largest travel limit of its classes (every
    school with residential places for a point with a residential class), sorted by point."""

    point_of_class: NDArray[np.int64]
    starts: NDArray[np.int64]  # point p's schools: starts[p]:starts[p + 1]
    school: NDArray[np.int64]
    travel_s: NDArray[np.float64]
    distance_m: NDArray[np.float64]


def build_reach(cs: CandidateSet, travel: TravelModel) -> Reach:
    """Screen every (home point, school) pair once, in chunks of points."""
    m = len(cs.schools)
    first, point_of_class = group_rows(cs.home[:, 0], cs.home[:, 1])
    points = cs.home[first].reshape(-1, 2)
    n_points = len(points)
    # Every class, locked ones too: the reasons of a locked child see every candidate.
    finite = np.isfinite(cs.limit_s)
    limit_p = np.full(n_points, -np.inf)
    np.maximum.at(limit_p, point_of_class[finite], cs.limit_s[finite])
    boarder_p = np.zeros(n_points, dtype=bool)  # a class without a travel limit lives there
    boarder_p[point_of_class[~finite]] = True
    has_res = np.array([s.residential_places > 0 for s in cs.schools], dtype=bool)
    sites = np.array([(s.lon, s.lat) for s in cs.schools], dtype=np.float64).reshape(-1, 2)
    found_p: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    found_s: list[NDArray[np.int64]] = [np.zeros(0, dtype=np.int64)]
    step = max(1, _CHUNK_CELLS // max(m, 1))
    for p0 in range(0, n_points if m else 0, step):
        p1 = min(p0 + step, n_points)
        seconds, _ = travel.matrix(points[p0:p1], sites)
        bound = limit_p[p0:p1] * (1.0 + _SCREEN_REL) + _SCREEN_ABS_S
        keep = (np.asarray(seconds) <= bound[:, None]) | (boarder_p[p0:p1, None] & has_res[None, :])
        rows, cols = np.nonzero(keep)
        found_p.append(rows.astype(np.int64) + p0)
        found_s.append(cols.astype(np.int64))
    pair_p, pair_s = np.concatenate(found_p), np.concatenate(found_s)
    seconds_a, metres_a = np.zeros(0), np.zeros(0)
    if len(pair_p):
        secs, metres = [], []
        for a in range(0, len(pair_p), _CHUNK_CELLS):
            s_, d_ = travel.pairs(
                points[pair_p[a : a + _CHUNK_CELLS]], sites[pair_s[a : a + _CHUNK_CELLS]]
            )
            secs.append(np.asarray(s_, dtype=np.float64))
            metres.append(np.asarray(d_, dtype=np.float64))
        seconds_a, metres_a = np.concatenate(secs), np.concatenate(metres)
    return Reach(
        point_of_class=point_of_class,
        starts=np.searchsorted(pair_p, np.arange(n_points + 1)).astype(np.int64),
        school=pair_s,
        travel_s=seconds_a,
        distance_m=metres_a,
    )


@dataclass(frozen=True)
class Universe:
    """Every admissible arc, sorted by class then school: its class, school, cost (whole GBP),
    pair in the reach (for travel and distance) and head node in the flow network."""

    cls: NDArray[np.int64]
    school: NDArray[np.int64]
    cost: NDArray[np.int64]
    pair: NDArray[np.int64]
    head: NDArray[np.int64]
    starts: NDArray[np.int64]  # class c's arcs: starts[c]:starts[c + 1]
    reach: Reach

    def pairs(self, which: NDArray[np.bool_] | NDArray[np.int64]) -> Pairs:
        """The arcs ``which`` selects, as candidate pairs."""
        pair = self.pair[which]
        return Pairs(
            self.cls[which], self.school[which], self.reach.travel_s[pair],
            self.reach.distance_m[pair],
        )  # fmt: skip

    def candidate_set(self, cs: CandidateSet, which: NDArray[np.bool_]) -> CandidateSet:
        """``cs`` with exactly the arcs ``which`` selects as its candidates."""
        # Indices once: a tenth of tens of millions of arcs, taken from five arrays.
        arcs = np.flatnonzero(which)
        candidates = self.pairs(arcs)
        return replace(
            cs,
            candidates=candidates,
            cost=self.cost[arcs],
            cand_starts=np.searchsorted(candidates.child, np.arange(cs.n_classes + 1)).astype(
                np.int64
            ),
        )

    def class_min(self, values: NDArray[np.int64], empty: int) -> NDArray[np.int64]:
        """Per class, the least of ``values`` (one per arc) over its arcs; ``empty`` if none."""
        out = np.full(len(self.starts) - 1, empty, dtype=np.int64)
        some = np.flatnonzero(np.diff(self.starts) > 0)
        if len(some):
            out[some] = np.minimum.reduceat(values, self.starts[some])
        return out

    def members(self, cs: CandidateSet) -> NDArray[np.bool_]:
        """Which arcs of the universe are candidate arcs of ``cs`` (a subset of it)."""
        m = max(len(cs.schools), 1)
        keys = self.cls * m + self.school
        wanted = cs.candidates.child * m + cs.candidates.school
        inside = np.zeros(len(keys), dtype=bool)
        pos = index_in_sorted(keys, wanted)
        inside[pos[pos >= 0]] = True
        return inside


def build_universe(
    cs: CandidateSet,
    reach: Reach,
    policy: Policy,
    heads: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.int64]],
) -> Universe:
    """Every admissible arc of every class (locked ones too: the reasons see them): found in
    one compiled pass (``kernels.admissible_arcs``; the numpy filter over every reach pair of
    every class took 2.97 s against 2.05 s at national scale), costed in chunks; ``heads``
    gives the node each (class, school) arc enters."""
    m, k = len(cs.schools), cs.n_classes
    ok = np.zeros((len(cs.group_ok), m), dtype=bool)
    for g, admissible in enumerate(cs.group_ok):
        ok[g, admissible] = True
    annual = np.array([s.annual_cost_gbp for s in cs.schools], dtype=np.float64)
    area = np.array(
        [0.0 if s.in_area else policy.out_of_area_gbp for s in cs.schools], dtype=np.float64
    )
    has_pref, pref_keys, pref_gbp = _preference_terms(cs, policy)
    # Imported here: numba takes 0.6 s to import, and only pricing at scale needs it.
    from sendplan.routing.placement.kernels import admissible_arcs

    cls_a, pair_a = admissible_arcs(
        reach.point_of_class.astype(np.int64, copy=False),
        reach.starts.astype(np.int64, copy=False),
        reach.school.astype(np.int64, copy=False),
        reach.travel_s.astype(np.float64, copy=False),
        np.asarray(cs.group, dtype=np.int64),
        ok,
        np.asarray(cs.limit_s, dtype=np.float64),
    )
    school_a = reach.school[pair_a].astype(np.int64, copy=False)
    cost_a = np.empty(len(cls_a), dtype=np.int64)
    for a0 in range(0, len(cls_a), _CHUNK_CELLS):
        arc = slice(a0, a0 + _CHUNK_CELLS)
        arc_cls, school = cls_a[arc], school_a[arc]
        pref = np.zeros(len(arc_cls))
        # Only the arcs of classes naming schools have a preference term.
        some = np.flatnonzero(has_pref[arc_cls])
        pref[some] = policy.not_preferred_gbp
        pos = index_in_sorted(pref_keys, arc_cls[some] * max(m, 1) + school[some])
        named = pos >= 0
        pref[some[named]] = pref_gbp[pos[named]]
        cost_a[arc] = costs_from_terms_gbp(
            annual[school], reach.travel_s[pair_a[arc]], pref, area[school], policy
        )
    return Universe(
        cls=cls_a,
        school=school_a,
        cost=cost_a,
        pair=pair_a,
        head=heads(cls_a, school_a),
        starts=np.searchsorted(cls_a, np.arange(k + 1)).astype(np.int64, copy=False),
        reach=reach,
    )


def _preference_terms(
    cs: CandidateSet, policy: Policy
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64]]:
    """Per class whether its children name schools; the named (class, school) keys, sorted,
    and their preference terms (the first mention of a school counts, as in ``costs.py``)."""
    m = max(len(cs.schools), 1)
    index = {s.school_id: j for j, s in enumerate(cs.schools)}
    terms: dict[int, float] = {}
    for c in np.flatnonzero(cs.named).tolist():
        for rank, sid in enumerate(cs.children[int(cs.rep[c])].preferences):
            terms.setdefault(c * m + index[sid], rank * policy.preference_gbp_per_rank)
    keys = np.array(sorted(terms), dtype=np.int64)
    return cs.named, keys, np.array([terms[x] for x in keys.tolist()], dtype=np.float64)


__all__ = ["Reach", "Universe", "build_reach", "build_universe"]
