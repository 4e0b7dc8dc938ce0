"""`sendplan.sweep`: variants built as documented, the same rows on Dask as in process, and a
cancelled sweep keeping every finished row."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
from collections import Counter
from pathlib import Path

import pytest
from distributed import LocalCluster

import sendplan
from sendplan.api.defaults import leicester_scenario
from sendplan.api.sweep_output import RESULTS_CSV, RESULTS_JSONL, RowStream, write_final
from sendplan.errors import InputError
from sendplan.routing.model import Scenario
from sendplan.routing.planning import cluster
from sendplan.routing.planning.sweep import (
    CapacityOption,
    Grid,
    Row,
    SweepCancelled,
    Variant,
    grow,
    sweep,
    variant_scenario,
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return leicester_scenario(seed=3, n_children=120)


def small_grid(scenario: Scenario, *, routes: bool = False) -> Grid:
    school = scenario.schools[0].school_id
    return Grid(
        options=((), (CapacityOption("more", ((school, 10),)),)),
        growth=(1.0, 1.3),
        policy=(("travel_gbp_per_min", (300.0, 900.0)),),
        seeds=(1, 2),
        routes=routes,
        route_iterations=15,
    )


def figures(rows: tuple[Row, ...] | list[Row]) -> list[Row]:
    """Rows without their timing, the one column that differs run to run."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_growth_drops_and_copies_children_deterministically(scenario: Scenario) -> None:
    children = scenario.children
    n = len(children)
    assert grow(children, 1.0, seed=1) == children
    half = grow(children, 0.5, seed=1)
    assert len(half) == round(0.5 * n) and half == grow(children, 0.5, seed=1)
    assert half != grow(children, 0.5, seed=2)
    ids = [c.child_id for c in children]
    assert [c.child_id for c in half] == [i for i in ids if i in {c.child_id for c in half}]
    more = grow(children, 2.3, seed=4)
    assert len(more) == round(2.3 * n) and more[:n] == children
    copies = more[n:]
    assert len({c.child_id for c in more}) == len(more)
    assert all(c.current_school is None and c.new_plan and not c.locked for c in copies)
    # One whole round of the cohort, then a draw without repeats: each child copied once or twice.
    bases = Counter(c.child_id.rsplit(".g", 1)[0] for c in copies)
    assert set(bases) == set(ids) and set(bases.values()) == {1, 2}


def test_a_dropped_child_leaves_no_never_with_link(scenario: Scenario) -> None:
    first, second, *rest = scenario.children
    linked = (dataclasses.replace(first, never_with=(second.child_id,)), second, *rest)
    for seed in range(1, 40):
        kept = {c.child_id: c for c in grow(linked, 0.5, seed=seed)}
        if first.child_id in kept and second.child_id not in kept:
            assert kept[first.child_id].never_with == ()
            return
    pytest.fail("no seed dropped the second child but kept the first")


def test_a_variant_applies_its_options_policy_and_growth(scenario: Scenario) -> None:
    school = scenario.schools[1]
    option = CapacityOption("x", ((school.school_id, 7),))
    variant = Variant(
        "v1", options=(option, option), growth=1.5, policy=(("out_of_area_gbp", 5.0),)
    )
    made = variant_scenario(scenario, variant)
    assert made.school(school.school_id).capacity == school.capacity + 14
    assert made.policy == dataclasses.replace(scenario.policy, out_of_area_gbp=5.0)
    assert len(made.children) == round(1.5 * len(scenario.children))
    assert made.schools[0] == scenario.schools[0]


def test_a_local_cluster_gives_the_serial_rows(scenario: Scenario) -> None:
    grid = small_grid(scenario, routes=True)
    serial = sweep(scenario, grid, in_process=True)
    streamed: list[Row] = []
    parallel = sweep(scenario, grid, workers=2, on_result=streamed.append)
    assert len(serial.rows) == 16 and not parallel.cancelled
    assert figures(parallel.rows) == figures(serial.rows)
    assert parallel.front == serial.front and serial.front
    assert sorted(r["variant"] for r in streamed) == [r["variant"] for r in serial.rows]
    # The axes change the figures: a sweep of identical rows would prove nothing.
    assert len({(r["placement_cost_gbp_per_year"], r["children"]) for r in serial.rows}) > 4
    assert all(r["routes"] and r["transport_cost_gbp_per_year"] for r in serial.rows)
    assert multiprocessing.active_children() == []


def test_an_existing_scheduler_runs_the_sweep_and_stays_up(scenario: Scenario) -> None:
    grid = dataclasses.replace(small_grid(scenario), seeds=(1,))
    serial = sweep(scenario, grid, in_process=True)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        remote = sweep(scenario, grid, scheduler=local.scheduler_address)
        assert local.scheduler.status.name == "running"
    assert figures(remote.rows) == figures(serial.rows)
    assert remote.scheduler == local.scheduler_address and remote.workers is None


def test_an_unreachable_scheduler_is_an_input_error(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(InputError, match="--scheduler: cannot reach the Dask scheduler"):
        sweep(scenario, small_grid(scenario), scheduler="tcp://127.0.0.1:9")


@pytest.mark.parametrize("in_process", [False, True], ids=["dask", "in-process"])
def test_cancelling_keeps_exactly_the_finished_rows(
    scenario: Scenario, tmp_path: Path, in_process: bool
) -> None:
    k = 3

    with RowStream(tmp_path) as stream:

        def write_then_stop(row: Row) -> None:
            stream.append(row)
            if stream.count == k:
                raise KeyboardInterrupt  # as Ctrl-C would, once k rows are on disk

        with pytest.raises(SweepCancelled) as caught:
            sweep(
                scenario, small_grid(scenario), workers=2, on_result=write_then_stop,
                in_process=in_process,
            )  # fmt: skip
    partial = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt)
    assert partial.cancelled and partial.variants == 16 and len(partial.rows) == k
    on_disk = [json.loads(line) for line in (tmp_path / RESULTS_JSONL).read_text().splitlines()]
    assert sorted(r["variant"] for r in on_disk) == [r["variant"] for r in partial.rows]
    assert len((tmp_path / RESULTS_CSV).read_text().splitlines()) == 1 + k
    assert multiprocessing.active_children() == []  # the local cluster was closed
    # The final files of a cancelled sweep keep the same rows, in variant order.
    write_final(tmp_path, partial, title="t")
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert summary["cancelled"] and summary["finished"] == k
    assert figures(summary["rows"]) == figures([{**r} for r in partial.rows])
    assert len((tmp_path / RESULTS_CSV).read_text().splitlines()) == 1 + k


def test_the_library_exposes_sweep() -> None:
    assert sendplan.sweep is sweep and sendplan.Grid is Grid
    assert "sweep" in dir(sendplan)
