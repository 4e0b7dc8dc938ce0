"""Small scenario files for loader tests, shared by the io and transport tests. Synthetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sendplan.api.loader import load_scenario
from sendplan.errors import InputError

SCHOOL_HEADER = (
    "school_id,name,lon,lat,la_code,type,age_low,age_high,sex,designations,capacity,"
    "residential_places,annual_cost_gbp,bell_am,finish_pm,in_area"
)
SCHOOLS_CSV = "\n".join(
    (
        SCHOOL_HEADER,
        "120001,Ash Field Academy,-1.0850,52.6550,856,academy,4,19,mixed,PD;PMLD;SLD,120,2,42000,"
        "08:50,15:00,true",
        "120002,Keyham Lodge,-1.0790,52.6430,856,la_maintained,11,16,M,SEMH,80,,35000.5,,,",
        "130003,Far Away School,-1.50,52.40,937,independent,5,18,mixed,ASD;SLCN,40,10,90000,"
        "09:15,15:30,no",
        "",
    )
)
CHILD_HEADER = (
    "child_id,lon,lat,age,sex,primary_need,secondary_needs,wheelchair,residential_need,"
    "current_school,locked,preferences,ride_limit_min,transport_eligible,home_la"
)
CHILD_ROWS = (
    "C001,-1.1335,52.6363,7,M,PMLD,PD,true,no,,,120001,,,",
    "C002,-1.1100,52.6200,14,F,SEMH,,0,,120002,yes,120002;120001,40,false,",
    "C003,-1.1200,52.6300,9,F,ASD,SLCN;MLD,,Y,,,130003;120001,,,855",
)
FLEET_CSV = """\
name,seats,wheelchair_spaces,has_assistant,fixed_cost_gbp,cost_per_km_gbp,available,depot_lon,depot_lat
minibus,16,2,true,95,1.2,10,-1.12,52.62
taxi,4,0,,30,1.5,40,-1.12,52.62
"""
POLICY_TOML = """\
# a comment
ride_limit_min_primary = 40
arrival_window_min = [10, 25]
school_days_per_year = 195
"""


def children_csv(*rows: str, header: str = CHILD_HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def make_folder(tmp_path: Path, **files: str | bytes | None) -> Path:
    """A scenario folder with the standard files, some replaced (None leaves a file out)."""
    folder = tmp_path / "scenario"
    folder.mkdir(exist_ok=True)
    contents: dict[str, str | bytes | None] = {
        "schools.csv": SCHOOLS_CSV,
        "children.csv": children_csv(*CHILD_ROWS),
        "fleet.csv": FLEET_CSV,
        "policy.toml": POLICY_TOML,
    }
    contents.update({name.replace("_", "."): text for name, text in files.items()})
    for name, text in contents.items():
        if text is None:
            continue
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def load_error(folder: Path, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        load_scenario(folder, **kwargs)
    return caught.value
