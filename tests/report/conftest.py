"""Results the report tests render, solved once per test run (``run_once``): the embedded
Leicester default (placement and both sessions, as ``sendplan demo``), a routes-only run
(children kept at their current schools, as ``sendplan routes``) and a place-only run (as
``sendplan place``)."""

from __future__ import annotations

import pytest
from run_once import once_per_run

import sendplan
from sendplan.routing.result import Result

ITERATIONS = 50


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    def make() -> dict[str, Result]:
        full = sendplan.leicester_scenario()
        small = sendplan.leicester_scenario(n_children=60)
        stop = sendplan.MaxIterations(ITERATIONS)
        return {
            "demo": sendplan.solve(full, stop=stop, seed=1),
            "routes": sendplan.solve(small, stop=stop, seed=1, placement="current"),
            "place": sendplan.solve(small, sessions=(), seed=1),
        }

    return once_per_run(tmp_path_factory, "report-results", make)
