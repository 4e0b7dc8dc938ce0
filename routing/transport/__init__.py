"""SEND home-to-school transport: AM/PM runs per school on the generic engine, then checked.

``planner.py`` plans a session (``plan_transport``) school by school: ``school_instance.py``
builds each school's jobs, matrices and engine problem, ``solo.py`` the forced solo runs,
``exact.py`` the proven optimum for a school with a handful of children, ``build_routes.py`` the
routes from a run's driving order and the engine's tours, ``never_together.py`` parts runs
carrying a never-together pair; ``rules.py`` holds the seat and ride rules the planners share,
``mixed.py`` merges nearby schools' runs. ``check.py`` (with ``check_rules.py``) is the
independent checker, ``evaluate.py`` (with ``evaluate_run.py``, built on ``evaluate_legs.py``,
``evaluate_readings.py`` and ``evaluate_schedule.py``) rebuilds and checks a council's existing
routes, ``eligibility.py`` the review; ``plan.py`` holds the plan's types and
``steps.py`` the steps a vehicle makes on a route.
"""
