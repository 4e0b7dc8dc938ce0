"""The generic vehicle-routing engine: a validated problem, one ``solve``, composable stops.

It knows nothing of children or schools (import-linter keeps it so). One adapter module per
engine: ``pyvrp_engine.py`` (PyVRP), ``ortools_engine.py`` (OR-Tools routing), ``mip.py`` (CBC).
"""
