"""Placement: children into school places by exact min-cost flow, explained and checked.

The solver: ``place.py`` (``place`` and its modes) over ``candidates.py`` (who can go where;
identical children as classes), ``costs.py`` (the objective's prices), ``network.py`` (the flow
network and its solves; the only OR-Tools flow import is ``flow.py``), ``pools.py`` (caps and
reserved places per need in that network) and ``reasons.py`` (why placed, why not);
``plan.py`` holds what it returns and raises. ``explain`` gives each child's alternatives.
``check_placement`` (``check.py``, rules in ``check_rules.py``) recomputes every rule from the
inputs without importing the solver; this package re-exports nothing, so importing the checker
loads no solver module.
"""
