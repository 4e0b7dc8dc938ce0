"""`sendplan place --postcodes`: children given by postcode are geocoded offline."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.loader import load_scenario
from sendplan.geo.postcodes import load_postcodes

runner = CliRunner()
POSTCODES = {"LE1 1AA": (-1.124859, 52.632283), "LE2 6DW": (-1.128007, 52.610722)}


@pytest.fixture()
def scenario(tmp_path: Path) -> Path:
    folder = tmp_path / "scenario"
    data = Path(__file__).resolve().parents[2] / "data"
    folder.mkdir()
    for name in ("schools.csv", "fleet.csv", "policy.toml"):
        shutil.copy(data / name, folder / name)
    (folder / "children.csv").write_text(
        "child_id,postcode,age,sex,primary_need\nC1,LE1 1AA,9,M,ASD\nC2,le26dw,14,F,SEMH\n",
        encoding="utf-8",
    )
    with (tmp_path / "postcodes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["postcode", "lat", "lon"])
        for code, (lon, lat) in POSTCODES.items():
            writer.writerow([code, lat, lon])
    return folder


def test_postcodes_geocode_children(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["place", str(scenario), "--out", str(out), "--postcodes", str(tmp_path / "postcodes.csv")],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["children"] == 2 and summary["placed"] == 2


def test_geocoded_location_is_the_postcode_centroid(scenario: Path, tmp_path: Path) -> None:

    table = load_postcodes(tmp_path / "postcodes.csv")
    loaded = load_scenario(scenario, postcodes=table.lookup)
    by_id = {c.child_id: (c.lon, c.lat) for c in loaded.children}
    assert by_id["C1"] == pytest.approx(POSTCODES["LE1 1AA"])
    assert by_id["C2"] == pytest.approx(POSTCODES["LE2 6DW"])


def test_unknown_postcode_names_row_and_field_not_the_postcode(
    scenario: Path, tmp_path: Path
) -> None:
    children = scenario / "children.csv"
    children.write_text(children.read_text() + "C3,ZZ9 9ZZ,9,M,ASD\n", encoding="utf-8")
    result = runner.invoke(
        app, ["place", str(scenario), "--out", str(tmp_path / "o"),
              "--postcodes", str(tmp_path / "postcodes.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "children.csv row 4, field postcode" in result.output
    assert "ZZ9" not in result.output


def test_postcode_without_a_file_is_bad_input(scenario: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["place", str(scenario), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--postcodes" in result.output


def test_network_far_from_the_children_is_bad_input_naming_a_child(
    scenario: Path, tmp_path: Path
) -> None:
    leeds = (
        Path(__file__).resolve().parents[3]
        / "shared/data/roads/leeds_its-example_osmextract.osm.pbf"
    )
    if not leeds.exists():
        pytest.skip("shared Leeds extract not present")
    result = runner.invoke(
        app, ["place", str(scenario), "--out", str(tmp_path / "o"), "--network", str(leeds),
              "--postcodes", str(tmp_path / "postcodes.csv")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "C1" in result.output or "C2" in result.output
    assert "Traceback" not in result.output
