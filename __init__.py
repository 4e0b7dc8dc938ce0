"""sendplan: SEND special-school placement and home-to-school transport planning.

The library's front door (the CLI, the benchmarks and the service call the same functions)::

    import sendplan
    scenario = sendplan.load_scenario("scenario/")
    result = sendplan.solve(scenario, sessions=("am", "pm"), stop=sendplan.MaxRuntime(30), seed=1)
    result.summary, result.placements, result.routes_gdf()
    result.write("out/")

Names load on first use, so ``import sendplan`` stays cheap and a subpackage can be imported
without the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sendplan.api.defaults import leicester_scenario
    from sendplan.api.forecasting import Forecast, forecast
    from sendplan.api.loader import load_scenario
    from sendplan.api.result_reader import read_result
    from sendplan.errors import InputError
    from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType
    from sendplan.routing.planning.compare import Comparison, compare
    from sendplan.routing.planning.expand import Expansion, expand
    from sendplan.routing.planning.forecast import ForecastParams, special_demand
    from sendplan.routing.planning.options import Option
    from sendplan.routing.planning.sweep import Grid, SweepResult, sweep
    from sendplan.routing.result import Result
    from sendplan.routing.solve import solve
    from sendplan.routing.summary import Summary
    from sendplan.routing.travel import travel_models
    from sendplan.routing.vrp.stop import MaxIterations, MaxRuntime, NoImprovement

_EXPORTS = {
    "load_scenario": "sendplan.api.loader",
    "leicester_scenario": "sendplan.api.defaults",
    "solve": "sendplan.routing.solve",
    "Result": "sendplan.routing.result",
    "Summary": "sendplan.routing.summary",
    "travel_models": "sendplan.routing.travel",
    "Scenario": "sendplan.routing.model",
    "Child": "sendplan.routing.model",
    "School": "sendplan.routing.model",
    "VehicleType": "sendplan.routing.model",
    "Policy": "sendplan.routing.model",
    "MaxRuntime": "sendplan.routing.vrp.stop",
    "MaxIterations": "sendplan.routing.vrp.stop",
    "NoImprovement": "sendplan.routing.vrp.stop",
    "InputError": "sendplan.errors",
    "sweep": "sendplan.routing.planning.sweep",
    "Grid": "sendplan.routing.planning.sweep",
    "SweepResult": "sendplan.routing.planning.sweep",
    "compare": "sendplan.routing.planning.compare",
    "Comparison": "sendplan.routing.planning.compare",
    "read_result": "sendplan.api.result_reader",
    "expand": "sendplan.routing.planning.expand",
    "Expansion": "sendplan.routing.planning.expand",
    "Option": "sendplan.routing.planning.options",
    "ForecastParams": "sendplan.routing.planning.forecast",
    "forecast": "sendplan.api.forecasting",
    "Forecast": "sendplan.api.forecasting",
    "special_demand": "sendplan.routing.planning.forecast",
}

__all__ = [
    "Child", "Comparison", "Expansion", "Forecast", "ForecastParams", "Grid", "InputError",
    "MaxIterations", "MaxRuntime", "NoImprovement", "Option", "Policy", "Result", "Scenario",
    "School", "Summary", "SweepResult", "VehicleType", "__version__", "compare", "expand",
    "forecast", "leicester_scenario", "load_scenario", "read_result", "solve", "special_demand",
    "sweep", "travel_models",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("sendplan")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sendplan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
