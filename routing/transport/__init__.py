"""SEND home-to-school transport: AM/PM runs per school on the generic engine, then checked.

``planner.py`` builds each school's problem and solves it, ``rules.py`` holds the seat and ride
rules it encodes, ``mixed.py`` merges nearby schools' runs, ``check.py`` is the independent
checker, ``evaluate.py`` reads a council's existing routes, ``eligibility.py`` the review.
"""
