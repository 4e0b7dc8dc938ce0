"""The embedded Leicester default: data/'s schools, fleet and policy plus a synthetic cohort.

The cohort is placed as Leicester is on the scenario's date (``as_of`` in data/scenario.toml,
January 2025): ``sendplan.data.status_quo`` draws each child's current school so that the
counts by school type follow DfE SEN2 2025.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from sendplan.api.loader import load_scenario
from sendplan.data.status_quo import cohort_as_of
from sendplan.routing.model import Scenario

DEFAULT_SEED = 1


def leicester_scenario(*, seed: int = DEFAULT_SEED, n_children: int | None = None) -> Scenario:
    """Leicester's schools and rules with a synthetic cohort drawn by ``seed``, each child at a
    current school drawn for the scenario's date."""
    with as_file(files("sendplan.data")) as folder:
        base = load_scenario(folder, name="leicester-default", require_children=False, seed=seed)
    as_of = base.as_of  # data/scenario.toml
    if n_children is None:
        children, _ = cohort_as_of(schools=base.schools, seed=seed, as_of=as_of)
    else:
        children, _ = cohort_as_of(
            schools=base.schools, seed=seed, as_of=as_of, n_children=n_children
        )
    return Scenario(
        name=base.name,
        children=children,
        schools=base.schools,
        fleet=base.fleet,
        policy=base.policy,
        seed=seed,
        as_of=as_of,
        sources=base.sources,
    )
