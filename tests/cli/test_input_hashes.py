"""Every file a command reads is named with its sha256 in its outputs, as `sendplan routes`
names every file it reads: `sendplan place`'s --network and --postcodes files in summary.json
and manifest.json, `sendplan expand`'s --options file in manifest.json.

The networks are built by `sendplan network build --osm` from hand-made maps that reach every
child, school and depot of the small loader scenario: a trunk road east-west and one street from
it straight north or south to each point."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from scenario_files import CHILD_ROWS, FLEET_CSV, SCHOOLS_CSV, make_folder
from typer.testing import CliRunner

from sendplan.api.cli import app

runner = CliRunner()


def _points() -> list[tuple[float, float]]:
    """Every child, school and depot of the scenario as (lon, lat)."""
    schools = [row.split(",") for row in SCHOOLS_CSV.splitlines()[1:] if row]
    depots = [row.split(",") for row in FLEET_CSV.splitlines()[1:] if row]
    children = [row.split(",") for row in CHILD_ROWS]
    points = [(float(r[2]), float(r[3])) for r in schools]
    points += [(float(r[1]), float(r[2])) for r in children]
    points += [(float(r[-2]), float(r[-1])) for r in depots]
    return points


def _comb_map(path: Path, *, trunk_lat: float) -> Path:
    """An OSM file: a trunk road at ``trunk_lat`` and a street from it to each point."""
    points = sorted(set(_points()))
    node_of: dict[tuple[float, float], int] = {}

    def node(lon: float, lat: float) -> int:
        return node_of.setdefault((lon, lat), len(node_of) + 1)

    trunk = [node(lon, trunk_lat) for lon in sorted({lon for lon, _ in points})]
    streets = [(node(lon, trunk_lat), node(lon, lat)) for lon, lat in points]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [f'  <node id="{ref}" lat="{lat:.7f}" lon="{lon:.7f}"/>'
              for (lon, lat), ref in node_of.items()]  # fmt: skip
    ways = [(trunk, "primary")] + [([a, b], "residential") for a, b in streets if a != b]
    for way_id, (refs, highway) in enumerate(ways, start=1):
        lines.append(f'  <way id="{way_id}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="highway" v="{highway}"/>', "  </way>"]
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def networks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two network files of different maps (their trunk roads at different latitudes)."""
    folder = tmp_path_factory.mktemp("roads")
    built = []
    for name, trunk_lat in (("north.network", 52.64), ("south.network", 52.60)):
        osm = _comb_map(folder / f"{name}.osm", trunk_lat=trunk_lat)
        out = folder / name
        result = runner.invoke(app, ["network", "build", "--osm", str(osm), "--out", str(out)])
        assert result.exit_code == 0, result.output
        built.append(out)
    return built[0], built[1]


def _inputs_of_place(tmp_path: Path, network: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The ``inputs`` of summary.json and of manifest.json of a place run on ``network``."""
    tmp_path.mkdir(exist_ok=True)
    scenario = make_folder(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["place", str(scenario), "--out", str(out), "--network", str(network)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return summary["inputs"], manifest["inputs"]


def test_place_lists_its_network_file_with_its_sha256(
    tmp_path: Path, networks: tuple[Path, Path]
) -> None:
    network = networks[0]
    summary, manifest = _inputs_of_place(tmp_path, network)
    digest = hashlib.sha256(network.read_bytes()).hexdigest()
    assert summary[network.name] == digest and manifest[network.name] == digest
    # The scenario's own files are still there beside it.
    assert {"children.csv", "schools.csv", "fleet.csv"} <= summary.keys()
    assert summary == manifest


def test_two_network_files_give_different_inputs(
    tmp_path: Path, networks: tuple[Path, Path]
) -> None:
    (north, _), (south, _) = (
        _inputs_of_place(tmp_path / network.stem, network) for network in networks
    )
    assert networks[0].read_bytes() != networks[1].read_bytes()
    names = [network.name for network in networks]
    assert names[0] in north and names[1] not in north
    assert names[1] in south and names[0] not in south
    assert north[names[0]] != south[names[1]]
    # Everything else the two runs read is the same.
    assert {k: v for k, v in north.items() if k != names[0]} == {
        k: v for k, v in south.items() if k != names[1]
    }


def test_place_lists_its_postcodes_file_with_its_sha256(tmp_path: Path) -> None:
    children = "child_id,postcode,age,sex,primary_need\nC1,LE1 1AA,9,M,ASD\nC2,LE2 6DW,14,F,SEMH\n"
    scenario = make_folder(tmp_path, children_csv=children)
    postcodes = tmp_path / "codes.csv"
    postcodes.write_text(
        "postcode,lat,lon\nLE1 1AA,52.632283,-1.124859\nLE2 6DW,52.610722,-1.128007\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["place", str(scenario), "--out", str(out), "--postcodes", str(postcodes)]
    )
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(postcodes.read_bytes()).hexdigest()
    for name in ("summary.json", "manifest.json"):
        inputs = json.loads((out / name).read_text(encoding="utf-8"))["inputs"]
        assert inputs["codes.csv"] == digest, name


def test_expand_lists_its_options_file_with_its_sha256(tmp_path: Path) -> None:
    options = tmp_path / "choices.csv"
    options.write_text(
        "option_id,school_id,places,capital_gbp,earliest_year,requires,lon,lat\n"
        "WG,131099,40,2040000,2026,,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["expand", "leicester", "--options", str(options), "--years", "2026",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    inputs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert inputs["choices.csv"] == hashlib.sha256(options.read_bytes()).hexdigest()
    assert "schools.csv" in inputs  # the embedded scenario's own files beside it
