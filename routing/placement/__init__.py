"""Placement: children into school places by exact min-cost flow, explained and checked.

``place`` solves (``place.py``; the only OR-Tools flow import is ``flow.py``), ``explain``
gives each child's alternatives, ``check_placement`` recomputes every rule from the inputs.
"""
