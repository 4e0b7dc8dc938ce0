"""The placement benchmark: a synthetic national-shaped instance, solved and checked.

The instance imitates England's special-school market, not any real child:

- *Homes* sit on postcode-like centroids (about one per 100 children, like postcode sectors)
  scattered around towns whose sizes follow a heavy-tailed law, inside England's bounding box;
  children share centroids as they share postcodes, so identical children aggregate into
  classes exactly as they would in real data.
- *Needs* follow the SEN2 2025 mix of children in special schools (``NEED_MIX`` below).
- *Schools* sit near towns (more in bigger towns) and are designated for a realistic bundle of
  needs (``DESIGNATION_BUNDLES``: ASD/SLCN, SEMH, MLD-generic, SLD/PMLD, sensory, physical,
  generic), with typical age ranges, a few single-sex SEMH schools, a few residential ones and
  fees by type. Capacity totals about 102% of the children, so some schools fill.
- About 10% of children name one preference, among the schools nearest their home.

``bench_placement`` reports solve time (candidates, flow and plan), the checker's verdict and
time, the model size and the process's peak resident memory. With ``candidates = 0`` (every
admissible school, the default) the plan is exact over every admissible school by pricing
(``routing/placement/pricing.py``): it reports ``pricing_rounds``, ``arcs_priced``,
``arcs_added`` and ``min_reduced_cost`` (>= 0 proves the optimum) of the whole population's
rounds, ``sample_rounds`` (the solves of the samples that estimate where they start),
``warm_rounds`` (rounds the network simplex solved from the last round's optimum), and
``compare`` solves the same instance with that many nearest candidates in the same run
(``compare_objective``, ``compare_seconds``; the exact objective is never above it).
"""

from __future__ import annotations

import resource
import time
from dataclasses import replace
from typing import Any

import numpy as np

from sendplan.geo.straight_line import StraightLineModel
from sendplan.routing.model import Child, Policy, Scenario, School
from sendplan.routing.placement.check import check_placement
from sendplan.routing.placement.place import place_with_report

# Children in special schools by primary need, England, January 2025 (the 870 with the need not
# yet known are left out). Source: DfE, "Education, health and care plans" 2025 (SEN2),
# sen2_2025_sen_needs_all_plans.csv, National, "Type of placement: Special - total".
NEED_MIX: dict[str, int] = {
    "ASD": 70_747, "SLCN": 33_538, "SEMH": 30_951, "MLD": 19_486, "SLD": 15_497, "PD": 7_854,
    "PMLD": 6_255, "SpLD": 2_680, "OTH": 2_275, "HI": 1_918, "VI": 1_105, "MSI": 704,
}  # fmt: skip

# (needs, share of schools, age ranges to draw from): bundles as special schools are designated.
DESIGNATION_BUNDLES: tuple[tuple[frozenset[str], float], ...] = (
    (frozenset({"ASD", "SLCN"}), 0.26),
    (frozenset({"SEMH"}), 0.18),
    (frozenset({"MLD", "ASD", "SLCN", "SpLD"}), 0.20),
    (frozenset({"SLD", "PMLD", "PD", "MSI", "ASD"}), 0.18),
    (frozenset({"HI", "VI", "MSI"}), 0.03),
    (frozenset({"PD", "MSI", "OTH", "SLCN"}), 0.04),
    (frozenset({"ASD", "SLCN", "MLD", "SLD", "SEMH", "OTH"}), 0.11),
)
AGE_RANGES: tuple[tuple[int, int], ...] = ((4, 11), (11, 16), (11, 19), (4, 19), (2, 19), (16, 25))
AGE_RANGE_WEIGHTS = (0.18, 0.12, 0.25, 0.30, 0.10, 0.05)
TYPES_FEES_GBP: tuple[tuple[str, float, float, float], ...] = (
    # type, share, fee low, fee high (per place per year)
    ("la_maintained", 0.42, 22_000.0, 36_000.0),
    ("academy", 0.36, 22_000.0, 38_000.0),
    ("free", 0.06, 24_000.0, 40_000.0),
    ("independent", 0.13, 45_000.0, 95_000.0),
    ("non_maintained", 0.03, 55_000.0, 110_000.0),
)
ENGLAND_LON = (-5.6, 1.6)
ENGLAND_LAT = (50.1, 55.6)
CHILDREN_PER_HOME_POINT = 100
PLACES_PER_CHILD = 1.02


def generate_instance(
    *, children: int, schools: int, candidates: int = 10, seed: int = 1
) -> Scenario:
    """A seeded national-shaped scenario; ``candidates`` sets ``policy.max_candidates``."""
    rng = np.random.default_rng(seed)
    n_towns = max(5, schools // 6)
    town_lon = rng.uniform(*ENGLAND_LON, n_towns)
    town_lat = rng.uniform(*ENGLAND_LAT, n_towns)
    town_weight = rng.pareto(1.2, n_towns) + 1.0
    town_weight /= town_weight.sum()
    la_codes = [f"{800 + t % 200}" for t in range(n_towns)]

    n_points = max(20, children // CHILDREN_PER_HOME_POINT)
    point_town = rng.choice(n_towns, size=n_points, p=town_weight)
    point_lon = np.round(
        np.clip(town_lon[point_town] + rng.normal(0, 0.12, n_points), *ENGLAND_LON), 4
    )
    point_lat = np.round(
        np.clip(town_lat[point_town] + rng.normal(0, 0.08, n_points), *ENGLAND_LAT), 4
    )

    school_town = rng.choice(n_towns, size=schools, p=town_weight)
    s_lon = np.round(np.clip(town_lon[school_town] + rng.normal(0, 0.08, schools), *ENGLAND_LON), 5)
    s_lat = np.round(np.clip(town_lat[school_town] + rng.normal(0, 0.05, schools), *ENGLAND_LAT), 5)
    bundle_p = np.array([p for _, p in DESIGNATION_BUNDLES])
    bundle = rng.choice(len(DESIGNATION_BUNDLES), size=schools, p=bundle_p / bundle_p.sum())
    ages = rng.choice(len(AGE_RANGES), size=schools, p=AGE_RANGE_WEIGHTS)
    type_p = np.array([t[1] for t in TYPES_FEES_GBP])
    kind = rng.choice(len(TYPES_FEES_GBP), size=schools, p=type_p / type_p.sum())
    size = rng.lognormal(0.0, 0.5, schools)
    capacity = np.maximum(1, np.round(size / size.sum() * PLACES_PER_CHILD * children)).astype(int)
    school_list = []
    for j in range(schools):
        needs = DESIGNATION_BUNDLES[bundle[j]][0]
        tname, _, fee_lo, fee_hi = TYPES_FEES_GBP[kind[j]]
        residential = int(capacity[j] * rng.uniform(0.1, 0.3)) if rng.random() < 0.06 else 0
        single_sex = needs == frozenset({"SEMH"}) and rng.random() < 0.15
        school_list.append(
            School(
                school_id=f"S{j:05d}",
                name=f"Special school {j}",
                lon=float(s_lon[j]),
                lat=float(s_lat[j]),
                la_code=la_codes[school_town[j]],
                type=tname,
                age_low=AGE_RANGES[ages[j]][0],
                age_high=AGE_RANGES[ages[j]][1],
                designations=needs,
                capacity=int(capacity[j]),
                annual_cost_gbp=float(round(rng.uniform(fee_lo, fee_hi), -2)),
                sex="M" if single_sex else "mixed",
                residential_places=residential,
                in_area=tname not in ("independent", "non_maintained"),
            )
        )

    need_codes = list(NEED_MIX)
    need_p = np.array([NEED_MIX[k] for k in need_codes], dtype=float)
    child_point = rng.choice(n_points, size=children)
    child_need = rng.choice(len(need_codes), size=children, p=need_p / need_p.sum())
    child_age = rng.integers(4, 19, size=children)
    child_male = rng.random(children) < 0.72
    child_res = rng.random(children) < 0.01
    # One preference for ~10%: a school near home (the nearest of four random ones).
    prefers = rng.random(children) < 0.10
    pick = rng.integers(0, schools, size=(children, 4))
    d2 = (s_lon[pick] - point_lon[child_point][:, None]) ** 2 + (
        s_lat[pick] - point_lat[child_point][:, None]
    ) ** 2
    preferred = pick[np.arange(children), np.argmin(d2, axis=1)]
    kids = [
        Child(
            child_id=f"C{i:07d}",
            lon=float(point_lon[child_point[i]]),
            lat=float(point_lat[child_point[i]]),
            age=int(child_age[i]),
            primary_need=need_codes[child_need[i]],
            sex="M" if child_male[i] else "F",
            residential_need=bool(child_res[i]),
            preferences=(school_list[preferred[i]].school_id,) if prefers[i] else (),
            home_la=la_codes[point_town[child_point[i]]],
        )
        for i in range(children)
    ]
    return Scenario(
        name=f"bench-national-{seed}",
        children=tuple(kids),
        schools=tuple(school_list),
        policy=Policy(max_candidates=candidates),
        seed=seed,
    )


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_placement(
    *,
    children: int,
    schools: int,
    candidates: int = 0,
    seed: int = 1,
    check: bool = True,
    compare: int = 10,
) -> dict[str, Any]:
    """Generate, solve and check one instance; the figures as a JSON-ready dict.

    ``candidates = 0`` prices (exact over every admissible school); ``compare > 0`` then also
    solves the same instance with ``compare`` nearest candidates (not checked)."""
    started = time.perf_counter()
    scenario = generate_instance(
        children=children, schools=schools, candidates=candidates, seed=seed
    )
    generated = time.perf_counter()
    travel = StraightLineModel(circuity_factor=scenario.policy.circuity_factor)
    plan, pricing = place_with_report(scenario, travel, pricing=candidates == 0)
    solved = time.perf_counter()
    result: dict[str, Any] = {
        "children": children,
        "schools": schools,
        "candidates": candidates,
        "seed": seed,
        "classes": plan.classes,
        "arcs": plan.arcs,
        "placed": len(plan.assignments),
        "unplaced": len(plan.unplaced),
        "cross_border": sum(a.cross_border for a in plan.assignments),
        "objective": plan.objective,
        "optimal": plan.optimal,
        "generate_seconds": round(generated - started, 3),
        "seconds": round(solved - generated, 3),
    }
    if pricing is not None:
        result["pricing_rounds"] = pricing.rounds
        result["arcs_priced"] = pricing.arcs_priced
        result["arcs_added"] = pricing.arcs_added
        result["min_reduced_cost"] = pricing.min_reduced_cost
        result["sample_rounds"] = pricing.sample_rounds
        result["warm_rounds"] = pricing.warm_rounds
    if check:
        report = check_placement(scenario, travel, plan, mode="weighted", must_admit=())
        result["checker_ok"] = report.ok
        result["checker_seconds"] = round(time.perf_counter() - solved, 3)
        if not report.ok:
            result["violations"] = list(report.violations[:5])
    else:
        result["checker_ok"] = None
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if candidates == 0 and compare > 0:
        capped = replace(scenario, policy=replace(scenario.policy, max_candidates=compare))
        begun = time.perf_counter()
        other, _ = place_with_report(capped, travel)
        result["compare_candidates"] = compare
        result["compare_objective"] = other.objective
        result["compare_unplaced"] = len(other.unplaced)
        result["compare_seconds"] = round(time.perf_counter() - begun, 3)
        result["objective_saving"] = other.objective - plan.objective
        result["compare_peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result
