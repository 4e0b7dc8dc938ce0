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
    from sendplan.api.loader import load_scenario
    from sendplan.errors import InputError
    from sendplan.routing.model import Child, Policy, Scenario, School, VehicleType
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
}

__all__ = [
    "Child", "InputError", "MaxIterations", "MaxRuntime", "NoImprovement", "Policy", "Result",
    "Scenario", "School", "Summary", "VehicleType", "__version__", "leicester_scenario",
    "load_scenario", "solve", "travel_models",
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
