"""The external matrix model: a user's id-to-id CSV as a travel model, with clear errors."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from transport_cases import TRAVEL, check, plan, random_children, scenario

from sendplan.errors import InputError
from sendplan.geo.external_matrix import ExternalMatrixModel, read_matrix_csv, scenario_points
from sendplan.routing.model import Scenario
from sendplan.routing.transport.check import check_transport
from sendplan.routing.transport.planner import plan_transport, school_of_children
from sendplan.routing.vrp.stop import MaxIterations

SC = scenario(random_children(10, 3, radius_km=5.0))


def points_of(sc: Scenario) -> dict[str, tuple[float, float]]:
    return scenario_points(
        [(c.child_id, c.lon, c.lat) for c in sc.children],
        [(s.school_id, s.lon, s.lat) for s in sc.schools],
        [(v.name, v.depot_lon, v.depot_lat) for v in sc.fleet],
    )


def write_matrix(path: Path, sc: Scenario, *, skip: tuple[str, str] | None = None) -> Path:
    pts = points_of(sc)
    ids = sorted(pts)
    xy = np.array([pts[i] for i in ids])
    secs, metres = TRAVEL.matrix(xy, xy)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["from_id", "to_id", "seconds", "metres"])
        for a, ia in enumerate(ids):
            for b, ib in enumerate(ids):
                if (ia, ib) != skip:
                    w.writerow([ia, ib, repr(float(secs[a, b])), repr(float(metres[a, b]))])
    return path


def test_a_matrix_of_the_same_times_gives_the_same_plan(tmp_path: Path) -> None:
    path = write_matrix(tmp_path / "m.csv", SC)
    model = ExternalMatrixModel.from_csv(path, points_of(SC))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert model.name == f"external-matrix:m.csv@{digest[:12]}"
    assert model.input_files == (("m.csv", digest),)

    ours = plan(SC)
    theirs = plan_transport(SC, None, model, session="am", stop=MaxIterations(200), seed=1,
                            workers=1)  # fmt: skip
    assert theirs.routes == ours.routes
    report = check_transport(SC, school_of_children(SC, None), model, theirs)
    assert report.ok, report.violations
    assert check(SC, ours).ok


def test_asymmetric_rows_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("from_id,to_id,seconds,metres\na,b,60,1000\nb,a,120,1500\n")
    model = ExternalMatrixModel.from_csv(path, {"a": (-1.1, 52.6), "b": (-1.2, 52.7)})
    o = np.array([[-1.1, 52.6], [-1.2, 52.7]])
    secs, metres = model.pairs(o, o[::-1])
    assert list(secs) == [60.0, 120.0] and list(metres) == [1000.0, 1500.0]
    s, _m = model.matrix(o, o)
    assert s[0, 0] == 0 and s[0, 1] == 60 and s[1, 0] == 120


def test_a_missing_pair_is_an_error_naming_it(tmp_path: Path) -> None:
    sc = SC
    child_id = sc.children[0].child_id
    path = write_matrix(tmp_path / "m.csv", sc, skip=(child_id, "S1"))
    model = ExternalMatrixModel.from_csv(path, points_of(sc))
    with pytest.raises(InputError) as info:
        plan_with(model, sc)
    assert f"from {child_id} to S1" in str(info.value)


def plan_with(model: ExternalMatrixModel, sc: Scenario) -> None:

    plan_transport(sc, None, model, session="am", stop=MaxIterations(10), seed=1, workers=1)


@pytest.mark.parametrize(
    ("text", "row", "field", "words"),
    [
        ("from_id,to_id,seconds\n", 1, "metres", "missing column"),
        ("from_id,to_id,seconds,metres,speed\n", 1, "speed", "unknown column"),
        ("from_id,to_id,seconds,metres\na,b,fast,10\n", 2, "seconds", "not a number"),
        ("from_id,to_id,seconds,metres\na,b,10,-1\n", 2, "metres", ">= 0"),
        ("from_id,to_id,seconds,metres\na,,10,1\n", 2, "to_id", "blank"),
        ("from_id,to_id,seconds,metres\na,b,1,1\na,b,2,2\n", 3, None, "twice"),
    ],
)
def test_bad_files_name_the_row_and_field(
    tmp_path: Path, text: str, row: int, field: str | None, words: str
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_matrix_csv(path)
    assert (info.value.file, info.value.row, info.value.field) == ("m.csv", row, field)
    assert words in info.value.message


def test_the_name_follows_the_content_not_the_file_name(tmp_path: Path) -> None:
    first = write_matrix(tmp_path / "m.csv", SC)
    renamed = tmp_path / "other.csv"
    renamed.write_bytes(first.read_bytes())
    doubled = tmp_path / "d" / "m.csv"
    doubled.parent.mkdir()
    rows = first.read_text().splitlines()
    doubled.write_text(
        "\n".join([rows[0], *(f"{a},{b},{2 * float(t)!r},{m}" for a, b, t, m in
                              (r.split(",") for r in rows[1:]))]) + "\n"
    )  # fmt: skip
    a, b, c = (ExternalMatrixModel.from_csv(p, points_of(SC)) for p in (first, renamed, doubled))
    assert a.name.split("@")[1] == b.name.split("@")[1]  # same bytes, same hash
    assert a.input_files[0][1] == b.input_files[0][1]
    assert c.name != a.name and c.name.startswith("external-matrix:m.csv@")
    assert c.input_files[0][1] != a.input_files[0][1]
    # A model built from pairs in memory read no file: no hash, no input file.
    bare = ExternalMatrixModel({}, {"a": (-1.1, 52.6)}, source="memory")
    assert bare.name == "external-matrix:memory" and bare.input_files == ()
