"""The embedded Leicester default: data/'s schools, fleet and policy plus a synthetic cohort."""

from __future__ import annotations

from importlib.resources import as_file, files

from sendplan.api.loader import load_scenario
from sendplan.data.synthetic import generate_cohort
from sendplan.routing.model import Scenario

DEFAULT_SEED = 1


def leicester_scenario(*, seed: int = DEFAULT_SEED, n_children: int | None = None) -> Scenario:
    """Leicester's schools and rules with a synthetic cohort drawn by ``seed``."""
    with as_file(files("sendplan.data")) as folder:
        base = load_scenario(folder, name="leicester-default", require_children=False, seed=seed)
    if n_children is None:
        children = generate_cohort(schools=base.schools, seed=seed)
    else:
        children = generate_cohort(schools=base.schools, seed=seed, n_children=n_children)
    return Scenario(
        name=base.name,
        children=children,
        schools=base.schools,
        fleet=base.fleet,
        policy=base.policy,
        seed=seed,
        sources=base.sources,
    )
