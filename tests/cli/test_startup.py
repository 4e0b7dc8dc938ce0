"""The command line starts without its library code: `--help`, `--version` and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys

# Every runtime dependency but typer and rich (import names), and sendplan's own library entry
# points: a command imports these when it runs, never at start-up.
HEAVY = {
    "aiohttp", "alembic", "cryptography", "dask", "distributed", "fastapi", "geopandas",
    "httptools", "httpx", "multipart", "networkx", "numba", "numpy", "openpyxl", "ortools",
    "osmnx", "pandas", "psycopg", "pydantic", "pydantic_settings", "pyogrio", "pyproj",
    "pyrosm", "python_multipart", "pyvrp", "scipy", "shapely", "sqlalchemy", "starlette",
    "swagger_ui_bundle", "uvicorn", "uvloop",
}  # fmt: skip
LIBRARY = ("sendplan.routing.solve", "sendplan.api.loader", "sendplan.api.defaults",
           "sendplan.api.service", "sendplan.bench", "sendplan.geo")  # fmt: skip


def test_importing_the_command_line_loads_no_solver_database_or_numeric_library() -> None:
    """typer reads every command's options at start-up, so a library imported at the top of a
    command module would slow down every `sendplan --help` (seconds, before this test)."""
    script = "import json, sys, sendplan.api.cli; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    loaded = json.loads(done.stdout)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    library = [m for m in loaded if any(m == p or m.startswith(f"{p}.") for p in LIBRARY)]
    assert heavy == [] and library == []
