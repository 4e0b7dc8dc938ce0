"""Sufficiency planning: demand forecasts, expansion portfolios, scenario comparison, sweeps.

Planned work (issue 13); it will call the front door, ``sendplan.routing.solve``.
"""
