"""Places per need at a school: the caps (``capacity_by_designation``) and the reserved places
(``reserved_by_designation``) as pools of the flow network, and the room they leave in a plan.

A school's places: children of need d take at most ``cap_d`` places (when capped); ``r_d``
places are reserved for need d; every child shares the general places ``capacity - sum r``.
So a plan is within the limits when, per school, ``n_d <= cap_d`` and
``sum_d max(0, n_d - r_d) <= capacity - sum_d r_d`` (which implies ``n <= capacity``).

*Pools.* A (school, need) pair with a cap or a reservation is a pool: two nodes ``in -> out``
(the arc carries the cap left, or is unbounded), then ``out -> school`` (the reserved places
left) and ``out -> general`` (unbounded). Classes of that need enter at ``in``; every other
class enters the school's general node, whose arc into the school carries the general places
left. *Locked children* take their reserved places first (which leaves the most general
places): with ``L_d`` of need d locked there, the flow sees ``max(0, r_d - L_d)`` reserved and
``max(0, G - sum_d max(0, L_d - r_d))`` general places, exact since
``max(0, L_d + x - r_d) = max(0, L_d - r_d) + max(0, x - max(0, r_d - L_d))``.

*Residential places* cross the need pools (a residential limit over all needs and a limit per
need are not one laminar family), so a school may combine pools with residential places only
when the residential places cannot bind: at least its capacity, and the capacity hard (not a
must-admit school). Otherwise PlacementError, as for caps and residential places before (a
CP-SAT model would be needed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sendplan.routing.model import NEED_CODES, School
from sendplan.routing.placement.arrays import index_in_sorted
from sendplan.routing.placement.candidates import CandidateSet, Pairs
from sendplan.routing.placement.plan import PlacementError

_CODES = {code: k for k, code in enumerate(NEED_CODES)}
N_CODES = len(NEED_CODES)


@dataclass(frozen=True)
class PoolSet:
    """The (school, need) pools, sorted by ``school x N_CODES + need``, and each school's
    general places."""

    school: NDArray[np.int64]  # per pool
    need: NDArray[np.int64]  # per pool: the need's index in NEED_CODES
    cap: NDArray[np.int64]  # per pool: children of the need at most (-1: not capped)
    reserved: NDArray[np.int64]  # per pool: places reserved for the need
    cap_spare: NDArray[np.int64]  # cap minus the locked children of the need (-1: not capped)
    reserved_spare: NDArray[np.int64]
    general: NDArray[np.int64]  # per school: capacity minus all reserved places
    general_spare: NDArray[np.int64]  # per school: general places the locked leave
    cand_pool: NDArray[np.int64]  # per candidate arc: its pool or -1
    locked_pool: NDArray[np.int64]  # per locked pair: its pool or -1
    locked_general: NDArray[np.int64]  # per school: general places the locked children use


def _structured(school: School) -> bool:
    return bool(school.capacity_by_designation or school.reserved_by_designation)


def build_pools(cs: CandidateSet, locked: Pairs, soft: NDArray[np.bool_]) -> PoolSet:
    """The pools of every school, the locked children's use of them, and the general places."""
    keys: dict[int, tuple[int, int]] = {}
    for j, school in enumerate(cs.schools):
        if not _structured(school):
            continue
        if school.residential_places > 0 and (
            school.residential_places < school.capacity or soft[j]
        ):
            raise PlacementError(
                f"school {school.school_id}: places per designation (capped or reserved) "
                "together with residential places are not a flow model; give one or the "
                "other (or residential places equal to capacity, not must-admit)"
            )
        reserved = dict(school.reserved_by_designation)
        capped = dict(school.capacity_by_designation)
        for need in sorted(set(reserved) | set(capped), key=_CODES.__getitem__):
            keys[j * N_CODES + _CODES[need]] = (capped.get(need, -1), reserved.get(need, 0))
    key_a = np.array(sorted(keys), dtype=np.int64)
    cap_a = np.array([keys[k][0] for k in key_a.tolist()], dtype=np.int64)
    res_a = np.array([keys[k][1] for k in key_a.tolist()], dtype=np.int64)
    child_need = cs.need

    def lookup(school: NDArray[np.int64], need: NDArray[np.int64]) -> NDArray[np.int64]:
        return index_in_sorted(key_a, school * N_CODES + need)

    cand = cs.candidates
    class_need = child_need[cs.rep] if len(cs.rep) else np.zeros(0, dtype=np.int64)
    cand_pool = lookup(cand.school, class_need[cand.child])
    locked_pool = lookup(locked.school, child_need[locked.child])
    m = len(cs.schools)
    pool_school = key_a // N_CODES
    locked_use = np.bincount(locked_pool[locked_pool >= 0], minlength=len(key_a))
    capacity = np.array([s.capacity for s in cs.schools], dtype=np.int64)
    general = capacity - np.bincount(pool_school, weights=res_a, minlength=m).astype(np.int64)
    locked_general = general_used(
        np.bincount(locked.school, minlength=m).astype(np.int64), locked_use, pool_school, res_a
    )
    return PoolSet(
        school=pool_school,
        need=key_a % N_CODES,
        cap=cap_a,
        reserved=res_a,
        cap_spare=np.where(cap_a >= 0, np.maximum(cap_a - locked_use, 0), -1),
        reserved_spare=np.maximum(res_a - locked_use, 0),
        general=general,
        general_spare=np.maximum(general - locked_general, 0),
        cand_pool=cand_pool,
        locked_pool=locked_pool,
        locked_general=locked_general,
    )


def general_used(
    used: NDArray[np.int64],
    pool_used: NDArray[np.int64],
    pool_school: NDArray[np.int64],
    reserved: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Per school: the general places used, ``sum_d max(0, n_d - r_d)`` = places used less
    the reserved places filled."""
    filled = np.minimum(pool_used, reserved).astype(np.float64)
    return (used - np.bincount(pool_school, weights=filled, minlength=len(used))).astype(np.int64)


def room(
    pools: PoolSet,
    used: NDArray[np.int64],
    placed_pool: NDArray[np.int64],
    soft: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(children per pool, general places used per school, places over per must-admit school);
    ``placed_pool`` lists the pool of every placed and locked child (or -1)."""
    pool_used = np.bincount(placed_pool[placed_pool >= 0], minlength=len(pools.cap)).astype(
        np.int64
    )
    gen = general_used(used, pool_used, pools.school, pools.reserved)
    over = np.where(soft, np.maximum(gen - np.maximum(pools.general, pools.locked_general), 0), 0)
    return pool_used, gen, over.astype(np.int64)


def arc_blocked(
    pools: PoolSet,
    pool_used: NDArray[np.int64],
    gen_used: NDArray[np.int64],
    school: NDArray[np.int64],
    pool: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Per (school, pool or -1) pair: no place left for that need by the caps and reservations
    (the general places full and none reserved left, or the need's cap reached)."""
    gen_full = (gen_used >= pools.general)[school]
    if len(pools.cap) == 0:
        return gen_full
    p = np.maximum(pool, 0)
    in_pool = pool >= 0
    n = pool_used[p]
    capped = in_pool & (pools.cap[p] >= 0) & (n >= pools.cap[p])
    no_reserved = ~in_pool | (n >= pools.reserved[p])
    return capped | (no_reserved & gen_full)


def need_codes(cs: CandidateSet) -> NDArray[np.int64]:
    """Per class: its primary need's index in NEED_CODES (the pools' need index)."""
    return cs.need[cs.rep]


def pool_table(pools: PoolSet, m: int) -> NDArray[np.int64]:
    """Per (need index, school): its pool, or -1."""
    table = np.full((N_CODES, max(m, 1)), -1, dtype=np.int64)
    table[pools.need, pools.school] = np.arange(len(pools.need), dtype=np.int64)
    return table


__all__ = [
    "N_CODES",
    "PoolSet",
    "arc_blocked",
    "build_pools",
    "general_used",
    "need_codes",
    "pool_table",
    "room",
]
