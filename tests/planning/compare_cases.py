"""A two-school scenario for the compare tests: three children beside Near, Far to the east.
Synthetic."""

from __future__ import annotations

from pathlib import Path

from sendplan.api.loader import load_scenario
from sendplan.routing.result import Result
from sendplan.routing.solve import solve

SCHOOLS_HEADER = (
    "school_id,name,lon,lat,la_code,type,age_low,age_high,sex,designations,capacity,"
    "residential_places,annual_cost_gbp,bell_am,finish_pm,in_area"
)
CHILDREN_CSV = """\
child_id,lon,lat,age,sex,primary_need
C1,-1.1200,52.6300,9,M,ASD
C2,-1.1150,52.6300,9,F,ASD
C3,-1.0900,52.6300,9,M,ASD
"""


def two_school_scenario(
    folder: Path, *, near_capacity: int = 3, near_name: str = "Near School"
) -> Path:
    """Near (-1.10) and Far (-1.00), same fee; C3 lies between them, nearer Near."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        SCHOOLS_HEADER,
        f'NEAR,"{near_name}",-1.1000,52.6300,856,la_maintained,4,19,mixed,ASD,{near_capacity},'
        "0,30000,08:50,15:00,true",
        "FAR,Far School,-1.0000,52.6300,856,la_maintained,4,19,mixed,ASD,3,0,30000,08:50,15:00,"
        "true",
    ]
    (folder / "schools.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "children.csv").write_text(CHILDREN_CSV, encoding="utf-8")
    return folder


def solve_folder(folder: Path) -> Result:
    """Placement only, as `sendplan compare` solves a scenario."""
    return solve(load_scenario(folder), sessions=(), seed=1)
