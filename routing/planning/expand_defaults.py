"""The expansion planner's defaults, apart from the planner (``expand`` re-exports them), so the
command line can show them in ``--help`` without importing the solvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sendplan.routing.placement.movers import MoversRule

# HM Treasury Green Book social time preference rate (3.5% for the first 30 years).
DEFAULT_ANNUITY_RATE = 0.035
# Life over which a school extension's capital is annualised: 40 years (estimate).
DEFAULT_ASSET_LIFE_YEARS = 40
# Who is placed each year, as ``place`` and ``solve`` by default (README "Who is placed").
DEFAULT_MOVERS: MoversRule = "phase_transfer"
