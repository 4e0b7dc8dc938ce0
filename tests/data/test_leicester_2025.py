"""Leicester as it was in January 2025: opening dates, school types, URNs, the places open to
Leicester by type (calibrated to SEN2) and the shared-list schools left out, each with a reason.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import pytest

SHARED_SCHOOLS = Path(__file__).resolve().parents[3] / "shared/data/schools"
AS_OF = date(2025, 1, 16)
PLACEMENT = {
    "la_maintained": "la_maintained",
    "academy": "academy_free",
    "free": "academy_free",
    "independent": "independent",
    "non_maintained": "non_maintained",
}
SEN2_TYPES = {"la_maintained": 794, "academy_free": 400, "independent": 150, "non_maintained": 1}
# Published capacities of the city's special schools (school_sources.csv facts): not calibrated.
CITY_CAPACITY = {
    "EST-LEI-001": 366, "EST-LEI-002": 60, "151482": 140, "130353": 124, "131099": 180,
    "EST-LEI-004": 90, "EST-LEI-005": 160, "EST-LEI-006": 46, "EST-LEI-007": 40,
}  # fmt: skip
ADDED_URNS = {"135428": (8, 16), "135530": (6, 17), "142779": (11, 19)}


@contextmanager
def data_folder() -> Iterator[Path]:
    with as_file(files("sendplan.data")) as folder:
        yield Path(folder)


def rows(name: str, folder: Path | None = None) -> list[dict[str, str]]:
    if folder is not None:
        with (folder / name).open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))
    with data_folder() as data:
        return rows(name, data)


def opens(row: dict[str, str]) -> date | None:
    text = row["opens"]
    if not text:
        return None
    return date.max if text == "unknown" else date.fromisoformat(text)


def open_on(row: dict[str, str], day: date) -> bool:
    start = opens(row)
    end = date.fromisoformat(row["closes"]) if row["closes"] else None
    return (start is None or start <= day) and (end is None or day < end)


@pytest.fixture(scope="module")
def schools() -> dict[str, dict[str, str]]:
    return {r["school_id"]: r for r in rows("schools.csv")}


@pytest.fixture(scope="module")
def sources() -> list[dict[str, str]]:
    return rows("school_sources.csv")


def test_opening_dates(schools: dict[str, dict[str, str]], sources: list[dict[str, str]]) -> None:
    assert schools["EST-LEI-006"]["opens"] == "2026-06-01"  # Leicester Therapeutic School
    assert schools["EST-LEI-007"]["opens"] == "unknown"  # Indie Education
    dated = {sid for sid, r in schools.items() if r["opens"] or r["closes"]}
    assert dated == {"EST-LEI-006", "EST-LEI-007", "DSP-LEI-007"}
    for sid in dated:
        row = next(s for s in sources if s["school_id"] == sid and s["field"] == "opens")
        assert row["value_basis"] == "estimate" and row["source"] and row["note"]
    assert not open_on(schools["EST-LEI-006"], AS_OF)
    assert open_on(schools["EST-LEI-006"], date(2026, 9, 1))
    assert not open_on(schools["EST-LEI-007"], date(2100, 1, 1))


def test_keyham_lodge_and_millgate_are_academies_on_sen2_evidence(
    schools: dict[str, dict[str, str]], sources: list[dict[str, str]]
) -> None:
    for sid in ("EST-LEI-003", "EST-LEI-004"):
        assert schools[sid]["type"] == "academy"
        (row,) = [s for s in sources if s["school_id"] == sid and s["field"] == "type"]
        assert row["value_basis"] == "estimate"
        assert "190" in row["note"] and "27" in row["note"] and "sen2_2025" in row["source"]


def test_urns_are_used_where_held_and_made_up_ids_say_why(
    schools: dict[str, dict[str, str]], sources: list[dict[str, str]]
) -> None:
    for urn, (low, high) in ADDED_URNS.items():
        row = schools[urn]
        assert row["type"] == "independent" and row["in_area"] == "false"
        assert (int(row["age_low"]), int(row["age_high"])) == (low, high)
        assert row["la_code"] == "855"
    notes = {s["school_id"]: s["note"] for s in sources if s["field"] == "school_id"}
    for sid in schools:
        if sid.startswith("EST-"):
            assert "URN not in the sources held" in notes[sid], sid
    # URNs the compiled list or EduBase holds are ids, not made-up ones.
    for urn in ("130353", "131099", "134640", "138156", "141127", "151482"):
        assert urn in schools


def test_city_capacities_are_the_published_ones(schools: dict[str, dict[str, str]]) -> None:
    for sid, capacity in CITY_CAPACITY.items():
        assert int(schools[sid]["capacity"]) == capacity, sid


def test_places_open_to_leicester_cover_sen2_by_type(schools: dict[str, dict[str, str]]) -> None:
    places: Counter[str] = Counter()
    for row in schools.values():
        if row["type"] in PLACEMENT and open_on(row, AS_OF):
            places[PLACEMENT[row["type"]]] += int(row["capacity"])
    assert places["la_maintained"] >= 1.10 * SEN2_TYPES["la_maintained"]
    assert places["academy_free"] >= 1.10 * SEN2_TYPES["academy_free"]
    assert places["independent"] >= 1.10 * SEN2_TYPES["independent"]
    assert places["independent"] + places["non_maintained"] >= 1.10 * 151
    # ... without swamping the model: at most 25% headroom for the calibrated types.
    assert places["la_maintained"] <= 1.25 * SEN2_TYPES["la_maintained"]
    assert places["independent"] <= 1.25 * SEN2_TYPES["independent"]


def test_calibrated_places_say_so(sources: list[dict[str, str]]) -> None:
    calibrated = {
        s["school_id"]
        for s in sources
        if s["field"] == "capacity" and "calibrated so that places open to Leicester" in s["note"]
    }
    assert {"134640", "125794", "113021", "134889", "135428"} <= calibrated
    assert not calibrated & set(CITY_CAPACITY)


def test_dropped_schools_give_a_reason(schools: dict[str, dict[str, str]]) -> None:
    dropped = rows("dropped_schools.csv")
    assert dropped and list(dropped[0]) == ["name", "urn", "source", "reason"]
    for row in dropped:
        assert row["name"] and row["source"] and len(row["reason"]) > 30, row
        assert row["urn"] not in schools
    names = " | ".join(r["name"] for r in dropped)
    for name in ("Nether Hall", "Highfields", "Quorn", "Oakfield"):
        assert name in names
    # The three independent schools once dropped are now modelled, so not listed.
    assert not {r["urn"] for r in dropped} & set(ADDED_URNS)


@pytest.mark.skipif(not SHARED_SCHOOLS.is_dir(), reason="shared/data/schools not present")
def test_every_shared_special_school_is_modelled_or_dropped(
    schools: dict[str, dict[str, str]],
) -> None:
    dropped = rows("dropped_schools.csv")
    dropped_urns = {r["urn"] for r in dropped if r["urn"]}
    dropped_names = {r["name"] for r in dropped}
    names = " | ".join(r["name"] for r in schools.values()).lower()
    compiled = rows("llr_special_schools_compiled.csv", SHARED_SCHOOLS)
    for row in compiled:
        urns = set(re.findall(r"\b\d{6}\b", row["urn"]))
        first_words = " ".join(row["name"].lower().split()[:2])
        modelled = bool(urns & set(schools)) or first_words in names
        assert modelled or row["name"] in dropped_names or urns & dropped_urns, row["name"]
    edubase = rows("edubase_2017-07_partial_LLR.csv", SHARED_SCHOOLS)
    for row in edubase:
        if "special" in row["Type of establishment"].lower():
            urn = row["URN"]
            assert urn in schools or urn in dropped_urns, urn
