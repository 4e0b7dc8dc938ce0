"""The cells behind the placement panel's school and need filters (``filter_cells``): for any
homes and placements, each school's, each need's and each (school, need)'s cells hold exactly the
children that filter leaves, counted per grid cell and placement class as the unfiltered cells
are, with no cell for a filter that leaves none of a cell's children. Expected cells are counted
here by brute force over the children, not by the route's grouping."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from api_support import FAKE_FILES, Api, finish_job
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_files import CHILD_HEADER, CHILD_ROWS

from sendplan.api.service.routers.ui import CELL_DEG, Home, _cells, filter_cells

NEEDS = ("ASD", "PMLD", "SEMH", "")  # "" : no need recorded, in no need's cells
SCHOOLS = ("120001", "120002", "130003")
Cell = tuple[int, int]  # in grid steps of CELL_DEG
Placed = dict[str, tuple[str, str]]


def _home(child_id: str, cell: Cell, need: str, offset: float = 0.2) -> Home:
    """A child living ``offset`` of a grid step from its cell's centre (never near an edge)."""
    lon, lat = ((cell[0] + offset) * CELL_DEG, (cell[1] - offset) * CELL_DEG)
    return child_id, (lon, lat), 40.0, need


def _by_cell(cells: list[dict[str, Any]]) -> dict[Cell, dict[str, int]]:
    """Cells as grid step -> counts (n and per class), every count an int of at least one."""
    out: dict[Cell, dict[str, int]] = {}
    for cell in cells:
        key = (round(cell["lon"] / CELL_DEG), round(cell["lat"] / CELL_DEG))
        assert key not in out, f"two cells at {key}"
        counts = {k: v for k, v in cell.items() if k not in ("lon", "lat")}
        assert all(isinstance(v, int) and v >= 1 for v in counts.values()), cell
        assert counts["n"] == sum(v for k, v in counts.items() if k != "n"), cell
        out[key] = counts
    return out


def _expected(
    homes: list[tuple[str, Cell, str]], placed: Placed, keep: Any
) -> dict[Cell, dict[str, int]]:
    """Brute force: the children ``keep`` leaves, counted per cell and class."""
    counts: dict[Cell, Counter[str]] = {}
    for child_id, cell, need in homes:
        kind, school = placed.get(child_id, ("home", ""))
        if keep(kind, school, need):
            counts.setdefault(cell, Counter())[kind] += 1
    return {cell: {"n": c.total(), **c} for cell, c in counts.items()}


children = st.lists(
    st.tuples(
        st.tuples(st.integers(-3, 3), st.integers(-3, 3)),  # cell
        st.sampled_from(NEEDS),
        st.sampled_from(("in", "out", "unplaced", "missing")),
        st.sampled_from(SCHOOLS),
        st.sampled_from((-0.3, 0.0, 0.3)),  # offset inside the cell
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(children)
def test_filter_cells_count_exactly_the_children_each_filter_leaves(rows: list[Any]) -> None:
    homes = [(f"C{i:03d}", cell, need) for i, (cell, need, *_) in enumerate(rows)]
    placed: Placed = {}
    for (child_id, _, _), (_, _, kind, school, _) in zip(homes, rows, strict=True):
        if kind != "missing":  # a child with no placement row counts as a plain home
            placed[child_id] = (kind, school if kind in ("in", "out") else "")
    points = tuple(
        _home(child_id, cell, need, offset)
        for (child_id, cell, need), (*_, offset) in zip(homes, rows, strict=True)
    )
    body = filter_cells(points, placed)
    assert set(body) == {"home_cells_by_school", "home_cells_by_need", "home_cells_by_school_need"}
    json.dumps(body)  # what the route sends as is

    def placed_at(school: str) -> Any:
        return lambda kind, at, _: kind in ("in", "out") and at == school

    def with_need(need: str) -> Any:  # no recorded need: no need filter shows the child
        return lambda _, __, has: bool(need) and has == need

    schools = {s for s in SCHOOLS if _expected(homes, placed, placed_at(s))}
    needs = {n for n in NEEDS if n and _expected(homes, placed, with_need(n))}
    # A group for each filter leaving a child, none for one leaving none (nor for "no need").
    assert set(body["home_cells_by_school"]) == schools
    assert set(body["home_cells_by_need"]) == needs
    by_pair = body["home_cells_by_school_need"]
    assert set(by_pair) == schools
    for school in SCHOOLS:
        cells = _by_cell(body["home_cells_by_school"].get(school, []))
        assert cells == _expected(homes, placed, placed_at(school))
        for need in NEEDS:

            def both(kind: str, at: str, has: str, school: str = school, need: str = need) -> bool:
                return bool(placed_at(school)(kind, at, has) and with_need(need)(kind, at, has))

            pair = _by_cell(by_pair.get(school, {}).get(need, []))
            assert pair == _expected(homes, placed, both), (school, need)
            assert (need in by_pair.get(school, {})) == bool(pair)
    for need in NEEDS:
        cells = _by_cell(body["home_cells_by_need"].get(need, []))
        assert cells == _expected(homes, placed, with_need(need))
    # The filtered cells split the unfiltered ones: per cell, the needs add up to the cell.
    whole = _by_cell(_cells(points, placed))
    added: Counter[Cell] = Counter()
    for cells_of_need in body["home_cells_by_need"].values():
        for cell, counts in _by_cell(cells_of_need).items():
            added[cell] += counts["n"]
    assert added == Counter({cell: c["n"] for cell, c in whole.items()}) - Counter(
        {cell: c["n"] for cell, c in _expected(homes, placed, lambda *r: not r[2]).items()}
    )


def test_a_cell_shows_from_one_filtered_child_and_not_at_none() -> None:
    # The unfiltered map shows a cell from one child up (there is no larger minimum to keep),
    # and never a cell of none; the filtered cells keep exactly that rule, on both sides of it.
    homes = (
        _home("C001", (0, 0), "PMLD"),  # alone in its cell
        _home("C002", (1, 0), "SEMH"),
        _home("C003", (1, 0), "SEMH", offset=-0.3),
        _home("C004", (1, 0), "PMLD"),  # the one PMLD child among SEMH ones
        _home("C005", (2, 0), "ASD"),  # unplaced
    )
    placed: Placed = {
        "C001": ("in", "120001"),
        "C002": ("in", "120002"),
        "C003": ("in", "120002"),
        "C004": ("out", "130003"),
        "C005": ("unplaced", ""),
    }
    whole = _by_cell(_cells(homes, placed))
    assert min(c["n"] for c in whole.values()) == 1  # the minimum the filters must keep
    body = filter_cells(homes, placed)
    pmld = _by_cell(body["home_cells_by_need"]["PMLD"])
    assert pmld == {(0, 0): {"n": 1, "in": 1}, (1, 0): {"n": 1, "out": 1}}  # one child: shown
    semh = _by_cell(body["home_cells_by_need"]["SEMH"])
    assert semh == {(1, 0): {"n": 2, "in": 2}}  # no (0, 0) nor (2, 0): none there, no cell
    assert _by_cell(body["home_cells_by_need"]["ASD"]) == {(2, 0): {"n": 1, "unplaced": 1}}
    pairs = body["home_cells_by_school_need"]
    assert set(pairs) == {"120001", "120002", "130003"}  # the unplaced child is at no school
    assert set(pairs["120002"]) == {"SEMH"}  # no PMLD entry, not an empty one
    assert _by_cell(pairs["130003"]["PMLD"]) == {(1, 0): {"n": 1, "out": 1}}
    for groups in (body["home_cells_by_school"], body["home_cells_by_need"]):
        assert all(c["n"] >= 1 for cells in groups.values() for c in cells)


PLACEMENTS = (
    "child_id,status,school_id,school_name,in_area,reason\n"
    "C001,placed,120001,Ash Field Academy,true,\n"
    "C002,placed,130003,Far Away School,false,\n"
    "C003,unplaced,,,,no_capacity\n"
)


def test_the_map_route_gives_the_filter_cells_to_roles_that_read_placements(api: Api) -> None:
    job = api.job(api.upload(), kind="both")  # the default scenario's children (CHILD_ROWS)
    finish_job(api, job, files={**FAKE_FILES, "placements.csv": ("text/csv", PLACEMENTS.encode())})
    columns = CHILD_HEADER.split(",")
    records = [dict(zip(columns, row.split(","), strict=True)) for row in CHILD_ROWS]
    homes = [
        (r["child_id"], (round(float(r["lon"]) / CELL_DEG), round(float(r["lat"]) / CELL_DEG)),
         r["primary_need"])
        for r in records
    ]  # fmt: skip
    placed: Placed = {}
    for row in csv.DictReader(io.StringIO(PLACEMENTS)):
        inside = row["in_area"] == "true"
        kind = ("in" if inside else "out") if row["status"] == "placed" else "unplaced"
        placed[row["child_id"]] = (kind, row["school_id"])
    needs = {need for _, _, need in homes}
    assert len(needs) == len(homes) >= 3  # one child per need: each need's cells are its own

    body = api.client.get(f"/jobs/{job}/map", headers=api.headers("panel")).json()
    by_need = body["home_cells_by_need"]
    assert set(by_need) == needs
    for need in needs:
        expected = _expected(homes, placed, lambda _, __, has, need=need: has == need)
        assert _by_cell(by_need[need]) == expected, need
    pairs = body["home_cells_by_school_need"]
    assert {school: set(of) for school, of in pairs.items()} == {
        school: {need for child, _, need in homes if placed[child] == (kind, school)}
        for kind, school in placed.values() if school
    }  # fmt: skip
    for school, of in pairs.items():  # one need per school here: the school's cells again
        assert list(of.values()) == [body["home_cells_by_school"][school]]
    text = json.dumps([body[k] for k in ("home_cells_by_need", "home_cells_by_school_need")])
    assert not any(child in text for child, _, _ in homes)  # counts only, no child id
    transport = api.client.get(f"/jobs/{job}/map", headers=api.headers("transport")).json()
    assert not {"home_cells_by_need", "home_cells_by_school_need"} & set(transport)
