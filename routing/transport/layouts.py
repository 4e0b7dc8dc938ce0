"""Vehicle layouts for the planners: a vehicle type fitted as ``16+0``, ``14+1`` or ``12+2``
(seats + wheelchair spaces) is one vehicle *kind* per layout, each a ``VehicleType`` with that
layout's seats and spaces and the type's name, costs and depot.

The kinds of a type share its ``available`` count: the planners keep vehicles left per type
name, so every kind draws on one pool. An engine counts vehicles per kind, so when a solve
uses more of a type than are left (over its kinds together), the school is solved again with
the type's vehicles shared out among its kinds (``engine_shares``): a layout is chosen per run,
and no plan uses more vehicles than exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from sendplan.routing.model import VehicleType, layout_label


def vehicle_kinds(fleet: Iterable[VehicleType]) -> tuple[VehicleType, ...]:
    """One kind per (type, layout): types by name, each type's layouts in its listed order
    (so that among equally cheap kinds the planners, which take the first, keep that order)."""
    return tuple(
        replace(v, seats=seats, wheelchair_spaces=spaces, layouts=())
        for v in sorted(fleet, key=lambda v: v.name)
        for seats, spaces in v.layout_options
    )


def layout_of(kind: VehicleType) -> str:
    """The layout label of a kind (or of a type's seats and spaces), e.g. ``14+1``."""
    return layout_label((kind.seats, kind.wheelchair_spaces))


def kind_key(kind: VehicleType) -> tuple[str, str]:
    """What tells two kinds apart: the type name and the layout."""
    return (kind.name, layout_of(kind))


def engine_shares(
    types: Sequence[VehicleType], used_by_kind: Sequence[int], remaining: Mapping[str, int]
) -> list[int] | None:
    """Vehicles per kind for a second solve, when the first used (``used_by_kind``) more of a
    type than ``remaining``; None when it did not.

    Each type with several kinds has its vehicles left shared out: one to each kind the first
    solve used (most used first), then the rest in proportion to that use (largest remainder,
    ties to the earlier kind). A type with one kind keeps all of its vehicles.
    """
    by_name: dict[str, list[int]] = {}
    for k, v in enumerate(types):
        by_name.setdefault(v.name, []).append(k)
    over = any(sum(used_by_kind[k] for k in ks) > remaining[n] for n, ks in by_name.items())
    if not over:
        return None
    out = [remaining[v.name] for v in types]
    for name, ks in by_name.items():
        if len(ks) == 1:
            continue
        left = remaining[name]
        share = dict.fromkeys(ks, 0)
        for k in sorted(ks, key=lambda k: (-used_by_kind[k], k)):
            if left > 0 and used_by_kind[k] > 0:
                share[k] += 1
                left -= 1
        total = sum(used_by_kind[k] for k in ks)
        weight = {k: used_by_kind[k] if total else 1 for k in ks}
        if left > 0:
            exact = {k: left * weight[k] / sum(weight.values()) for k in ks}
            whole = {k: int(exact[k]) for k in ks}
            spare = left - sum(whole.values())
            for k in sorted(ks, key=lambda k: (-(exact[k] - whole[k]), k))[:spare]:
                whole[k] += 1
            for k in ks:
                share[k] += whole[k]
        for k in ks:
            out[k] = share[k]
    return out


def kinds_used(types: Sequence[VehicleType], vehicle_of_route: Iterable[int]) -> list[int]:
    """How many runs each kind (by index into ``types``) holds."""
    count = Counter(vehicle_of_route)
    return [count.get(k, 0) for k in range(len(types))]
