"""OSRM and Valhalla JSON matrices, named by the points file `sendplan network points` writes,
give the same travel model as our CSV, and every bad file is exit 2 naming the file and where."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from transport_cases import TRAVEL, random_children, scenario, school
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.loader import load_scenario
from sendplan.api.writer import write_scenario
from sendplan.errors import InputError
from sendplan.geo.router_json import read_points_csv
from sendplan.routing.travel import travel_models

RUNNER = CliRunner()
EXTRA = "14,X1,child,-1.1,52.6"  # a 15th place the scenario does not know
MILE = 1609.344


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tiny scenario on disk, its points file (written by the command) and a known matrix."""
    root = tmp_path_factory.mktemp("router")
    folder = root / "scenario"
    sc = scenario(random_children(7, 5, radius_km=4.0), [school("S1"), school("S2", 2.0, -1.5)])
    write_scenario(sc, folder)
    result = RUNNER.invoke(app, ["network", "points", str(folder), "--out", str(root / "p.csv")])
    assert result.exit_code == 0, result.output
    assert "home locations" in result.output
    places = read_points_csv(root / "p.csv")
    xy = np.array([(lon, lat) for _i, _k, lon, lat in places])
    secs, metres = TRAVEL.matrix(xy, xy)
    # Asymmetric, and the same for every id at one point: eastbound is 10% slower.
    slower = 1.0 + 0.1 * (xy[:, 0][:, None] < xy[:, 0][None, :])
    return {"root": root, "folder": folder, "places": places, "xy": xy,
            "secs": secs * slower, "metres": metres * slower}  # fmt: skip


def osrm(case: dict[str, Any]) -> dict[str, Any]:
    n = len(case["places"])
    return {
        "code": "Ok",
        "durations": case["secs"].tolist(),
        "distances": case["metres"].tolist(),
        "sources": [{"location": [0, 0]}] * n,
        "destinations": [{"location": [0, 0]}] * n,
    }


def valhalla(case: dict[str, Any], units: str = "kilometers") -> dict[str, Any]:
    per = 1000.0 if units == "kilometers" else MILE
    rows = [
        [
            {"from_index": i, "to_index": j, "time": float(t), "distance": float(m / per)}
            for j, (t, m) in enumerate(zip(case["secs"][i], case["metres"][i], strict=True))
        ]
        for i in range(len(case["places"]))
    ]
    return {"sources_to_targets": rows, "units": units}


def valhalla_concise(case: dict[str, Any]) -> dict[str, Any]:
    body = {"durations": case["secs"].tolist(), "distances": (case["metres"] / 1000).tolist()}
    return {"sources_to_targets": body, "units": "kilometers"}


def write_json(case: dict[str, Any], name: str, doc: Any, *, text: str | None = None) -> Path:
    path = case["root"] / f"{name}.json"
    path.write_text(json.dumps(doc) if text is None else text)
    shutil.copy(case["root"] / "p.csv", case["root"] / f"{name}.points.csv")
    return path


def write_csv(case: dict[str, Any]) -> Path:
    path = case["root"] / "m.csv"
    ids = [p[0] for p in case["places"]]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["from_id", "to_id", "seconds", "metres"])
        for a, ia in enumerate(ids):
            for b, ib in enumerate(ids):
                w.writerow([ia, ib, repr(float(case["secs"][a, b])),
                            repr(float(case["metres"][a, b]))])  # fmt: skip
    return path


def test_the_points_file_lists_every_place_in_a_fixed_order(case: dict[str, Any]) -> None:
    places = case["places"]
    kinds = [k for _i, k, _x, _y in places]
    assert kinds == sorted(kinds, key=("child", "school", "depot").index)
    assert [i for i, k, *_ in places if k == "child"] == [f"C{n:03d}" for n in range(7)]
    assert [i for i, k, *_ in places if k == "school"] == ["S1", "S2"]
    assert len([k for k in kinds if k == "depot"]) == 5
    again = case["root"] / "again.csv"
    RUNNER.invoke(app, ["network", "points", str(case["folder"]), "--out", str(again)])
    assert again.read_bytes() == (case["root"] / "p.csv").read_bytes()


def test_csv_osrm_and_valhalla_give_the_same_pairs(case: dict[str, Any]) -> None:
    sc = load_scenario(case["folder"])
    files = {
        "csv": write_csv(case),
        "osrm": write_json(case, "osrm", osrm(case)),
        "valhalla_km": write_json(case, "valhalla_km", valhalla(case)),
        "valhalla_mi": write_json(case, "valhalla_mi", valhalla(case, "miles")),
        "valhalla_concise": write_json(case, "valhalla_concise", valhalla_concise(case)),
    }
    models = {name: travel_models(sc, matrix=path).drive for name, path in files.items()}
    sha = {f: hashlib.sha256((case["root"] / f).read_bytes()).hexdigest()
           for f in ("osrm.json", "osrm.points.csv")}  # fmt: skip
    assert models["osrm"].name == (
        f"external-matrix:osrm.json@{sha['osrm.json'][:12]} "
        f"(points osrm.points.csv@{sha['osrm.points.csv'][:12]})"
    )
    rng = random.Random(3)
    n = len(case["places"])
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(200)]
    o = case["xy"][[a for a, _ in pairs]]
    d = case["xy"][[b for _, b in pairs]]
    base_secs, base_metres = models["csv"].pairs(o, d)
    same = np.all(o == d, axis=1)  # places at one point (the depots) are 0 apart
    known = np.array([case["secs"][a, b] for a, b in pairs])
    assert np.allclose(base_secs[~same], known[~same]) and np.all(base_secs[same] == 0)
    for name, model in models.items():
        secs, metres = model.pairs(o, d)
        assert np.allclose(secs, base_secs, rtol=1e-12, atol=0), name
        assert np.allclose(metres, base_metres, rtol=1e-12, atol=0), name
        full_secs, _ = model.matrix(case["xy"][:4], case["xy"][4:9])
        assert np.allclose(full_secs, models["csv"].matrix(case["xy"][:4], case["xy"][4:9])[0])


@pytest.mark.parametrize("command", ["routes", "place"])
def test_routes_and_place_run_end_to_end_on_a_router_matrix(
    case: dict[str, Any], command: str
) -> None:
    matrix = write_json(case, "e2e", osrm(case))
    out = case["root"] / f"out-{command}"
    extra = ["--iterations", "50"] if command == "routes" else []
    args = [command, str(case["folder"]), "--out", str(out), "--matrix", str(matrix), *extra]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert "e2e.json" in summary["travel_model"]
    if command == "routes":
        assert summary["transport_checker_ok"] is True


def _provenance(case: dict[str, Any], matrix: Path, out: str) -> tuple[str, dict[str, str]]:
    """``place`` with ``matrix``: the travel model and inputs its summary and manifest record
    (the two must agree)."""
    folder = case["root"] / out
    result = RUNNER.invoke(app, ["place", str(case["folder"]), "--out", str(folder),
                                 "--matrix", str(matrix)])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((folder / "summary.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["travel_model"] == summary["travel_model"]
    assert manifest["inputs"] == summary["inputs"]
    return summary["travel_model"], manifest["inputs"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_matrix_and_points_files_are_hashed_in_the_manifest(case: dict[str, Any]) -> None:
    first = write_json(case, "prov", osrm(case))
    model, inputs = _provenance(case, first, "out-prov")
    points = case["root"] / "prov.points.csv"
    assert inputs["prov.json"] == _sha(first) and inputs["prov.points.csv"] == _sha(points)
    assert f"prov.json@{_sha(first)[:12]}" in model and _sha(points)[:12] in model
    # The same bytes under another name: the same hashes.
    copy = write_json(case, "copy", osrm(case))
    copy_model, copy_inputs = _provenance(case, copy, "out-copy")
    assert copy_inputs["copy.json"] == inputs["prov.json"]
    assert copy_model == model.replace("prov.", "copy.")
    # Every duration doubled, in a file of the same name elsewhere: another hash and model.
    doubled = osrm(case)
    doubled["durations"] = (2 * case["secs"]).tolist()
    (case["root"] / "twice").mkdir(exist_ok=True)
    other = case["root"] / "twice" / "prov.json"
    other.write_text(json.dumps(doubled))
    shutil.copy(points, case["root"] / "twice" / "prov.points.csv")
    other_model, other_inputs = _provenance(case, other, "out-twice")
    assert other_model != model and other_inputs["prov.json"] == _sha(other) != _sha(first)
    assert other_inputs["prov.points.csv"] == inputs["prov.points.csv"]


def test_a_csv_matrix_is_hashed_in_the_manifest(case: dict[str, Any]) -> None:
    path = write_csv(case)
    model, inputs = _provenance(case, path, "out-csv")
    assert model == f"external-matrix:m.csv@{_sha(path)[:12]}"
    assert inputs["m.csv"] == _sha(path)


def _null(doc: dict[str, Any]) -> dict[str, Any]:
    doc["durations"][2][8] = None
    return doc


def _short(doc: dict[str, Any]) -> dict[str, Any]:
    doc["distances"] = doc["distances"][:-1]
    return doc


def _word(doc: dict[str, Any]) -> dict[str, Any]:
    doc["durations"][1][3] = "fast"
    return doc


def _bool(doc: dict[str, Any]) -> dict[str, Any]:
    doc["distances"][0][1] = True
    return doc


def _code(doc: dict[str, Any]) -> dict[str, Any]:
    return {"code": "NoTable", "message": "no route"}


def _no_distances(doc: dict[str, Any]) -> dict[str, Any]:
    del doc["distances"]
    return doc


def _v_null(doc: dict[str, Any]) -> dict[str, Any]:
    doc["sources_to_targets"][4][0]["time"] = None
    return doc


def _v_units(doc: dict[str, Any]) -> dict[str, Any]:
    doc["units"] = "furlongs"
    return doc


def _v_index(doc: dict[str, Any]) -> dict[str, Any]:
    doc["sources_to_targets"][1][2]["to_index"] = 3
    return doc


def _v_row(doc: dict[str, Any]) -> dict[str, Any]:
    doc["sources_to_targets"][5].append(doc["sources_to_targets"][5][0])
    return doc


@pytest.mark.parametrize(
    ("make", "change", "where", "words"),
    [
        (osrm, _null, "durations[2][8]", "no route from child C002 to school S2"),
        (osrm, _short, "distances", "rows: 13 entries for the 14 places"),
        (osrm, _word, "durations[1][3]", "'fast' is not a number"),
        (osrm, _bool, "distances[0][1]", "not a number"),
        (osrm, _code, "code", "OSRM answered code 'NoTable': 'no route'"),
        (osrm, _no_distances, "distances", "annotations=duration,distance"),
        (valhalla, _v_null, "sources_to_targets[4][0].time", "no route from child C004 to child"),
        (valhalla, _v_units, "units", "'furlongs': expected kilometers or miles"),
        (valhalla, _v_index, "sources_to_targets[1][2].to_index", "must be 2"),
        (valhalla, _v_row, "sources_to_targets[5]", "columns: 15 entries for the 14 places"),
    ],
)
def test_a_bad_router_matrix_is_exit_2_naming_the_file_and_key(
    case: dict[str, Any], make: Any, change: Any, where: str, words: str
) -> None:
    matrix = write_json(case, "bad", change(make(case)))
    out = case["root"] / "out-bad"
    args = ["routes", str(case["folder"]), "--out", str(out), "--matrix", str(matrix)]
    result = RUNNER.invoke(app, [*args, "--iterations", "5"])
    assert result.exit_code == 2, result.output
    assert f"bad.json, field {where}:" in result.output and words in result.output
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "is not valid JSON"),
        ('{"durations": NaN}', "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"routes": []}', "neither an OSRM /table response"),
        ("[" * 100_000, "is not valid JSON"),
    ],
)
def test_a_file_that_is_not_a_matrix_is_exit_2(case: dict[str, Any], text: str, words: str) -> None:
    matrix = write_json(case, "junk", None, text=text)
    args = ["place", str(case["folder"]), "--out", str(case["root"] / "o"), "--matrix", str(matrix)]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "junk.json: " in result.output and words in result.output


def _edit_points(case: dict[str, Any], edit: Any) -> Path:
    matrix = write_json(case, "pts", osrm(case))
    points = case["root"] / "pts.points.csv"
    lines = points.read_text().splitlines()
    points.write_text("\n".join(edit(lines)) + "\n")
    return matrix


def _moved(lines: list[str]) -> list[str]:
    cells = lines[3].split(",")
    cells[4] = str(float(cells[4]) + 0.001)
    return [*lines[:3], ",".join(cells), *lines[4:]]


@pytest.mark.parametrize(
    ("edit", "row", "field", "words"),
    [
        (lambda lines: lines[:-1], None, None, "has no row for wav_pa"),
        (
            lambda lines: [*lines, "14,X1,child,-1.1,52.6"],
            None,
            "sources",
            "14 entries for the 15 places",
        ),
        (_moved, 4, "lat", "child C002 is not where the scenario puts it"),
        (lambda lines: [lines[0], *lines[2:]], 2, "index", "index must be 0"),
        (lambda lines: [*lines, "14,X1,car,-1.1,52.6"], 16, "kind", "'car' is not child"),
        (lambda lines: [*lines, "14,X1,child,east,52.6"], 16, "lon", "not a number"),
        (lambda lines: ["id,index,kind,lon,lat", *lines[1:]], 1, None, "header must be"),
    ],
)
def test_a_bad_points_file_is_an_error_naming_its_row(
    case: dict[str, Any], edit: Any, row: int | None, field: str | None, words: str
) -> None:
    matrix = _edit_points(case, edit)
    with pytest.raises(InputError) as info:
        travel_models(load_scenario(case["folder"]), matrix=matrix)
    err = info.value
    assert err.file == ("pts.json" if field == "sources" else "pts.points.csv"), str(err)
    assert (err.row, err.field) == (row, field) and words in str(err)


def test_a_json_matrix_without_its_points_file_says_which_file(case: dict[str, Any]) -> None:
    matrix = case["root"] / "alone.json"
    matrix.write_text(json.dumps(osrm(case)))
    with pytest.raises(InputError) as info:
        travel_models(load_scenario(case["folder"]), matrix=matrix)
    assert info.value.file == "alone.points.csv" and "is missing" in str(info.value)


def test_points_never_overwrite_the_scenario(case: dict[str, Any]) -> None:
    target = case["folder"] / "children.csv"
    before = target.read_bytes()
    result = RUNNER.invoke(app, ["network", "points", str(case["folder"]), "--out", str(target)])
    assert result.exit_code == 2 and "--out" in result.output
    assert target.read_bytes() == before
