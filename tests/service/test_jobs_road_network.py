"""The service's road network (SENDPLAN_ROAD_NETWORK, `sendplan serve --network`): refused at
start when missing or not a network; planning jobs travel on it in this process and in a Dask
worker process, recording it as ``travel_model``; a point too far from its roads fails the job
naming the child; without it, straight lines as before.

The network is built in the test, by the same reader and builder as `sendplan network build
--osm`, from a hand-made map that reaches every point of the small Leicester scenario: a trunk
road east-west and one street from it straight north or south to each child, school and depot.
Journeys along it are L-shaped, so they differ from straight-line ones."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from api_support import TEST_SECRET
from service.conftest import small_scenario_files
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sendplan.api.cli import app
from sendplan.api.service.db import make_engine, migrate, session_factory
from sendplan.api.service.dispatch import running_workers
from sendplan.api.service.jobs import claim_queued, create_job
from sendplan.api.service.runner import run_job
from sendplan.api.service.settings import SettingsError, load_settings
from sendplan.api.service.tables import JobRow, ResultFileRow, ScenarioRow
from sendplan.geo.network import (
    FORMAT_NAME,
    FORMAT_VERSION,
    build_network,
    load_network,
    save_network,
)
from sendplan.geo.network_model import NetworkTravelModel
from sendplan.geo.osm import read_osm_xml
from sendplan.geo.straight_line import StraightLineModel

Maker = Callable[..., ScenarioRow]
CHILDREN = 40
FAR_LON = -0.2  # about 25 km east of every point of the scenario: far from the map's roads


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _where(content: bytes, key: str) -> dict[str, tuple[float, float]]:
    return {r[key]: (float(r["lon"]), float(r["lat"])) for r in _rows(content)}


def _points(files: dict[str, bytes]) -> list[tuple[float, float]]:
    """Every child, school and depot of the scenario files as (lon, lat)."""
    points = [(float(r["lon"]), float(r["lat"])) for r in _rows(files["children.csv"])]
    points += [(float(r["lon"]), float(r["lat"])) for r in _rows(files["schools.csv"])]
    points += [(float(r["depot_lon"]), float(r["depot_lat"])) for r in _rows(files["fleet.csv"])]
    return points


def write_comb_map(path: Path, points: list[tuple[float, float]]) -> Path:
    """An OSM file: a two-way trunk road along the points' median latitude and, from it, a
    two-way street to each point (whose end node is the point itself)."""
    trunk_lat = float(np.median([lat for _, lat in points]))
    node_of: dict[tuple[float, float], int] = {}

    def node(lon: float, lat: float) -> int:
        return node_of.setdefault((lon, lat), len(node_of) + 1)

    trunk = sorted({lon for lon, _ in points})
    trunk_nodes = [node(lon, trunk_lat) for lon in trunk]
    streets = [(node(lon, trunk_lat), node(lon, lat)) for lon, lat in sorted(set(points))]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for (lon, lat), ref in node_of.items():
        lines.append(f'  <node id="{ref}" lat="{lat:.7f}" lon="{lon:.7f}"/>')

    def way(way_id: int, refs: list[int], highway: str) -> None:
        lines.append(f'  <way id="{way_id}">')
        lines.extend(f'    <nd ref="{r}"/>' for r in refs)
        lines.append(f'    <tag k="highway" v="{highway}"/>')
        lines.append("  </way>")

    way(1, trunk_nodes, "primary")
    for k, (a, b) in enumerate(streets, start=2):
        if a != b:
            way(k, [a, b], "residential")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return small_scenario_files(CHILDREN)


@pytest.fixture(scope="module")
def council_network(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("roads")
    osm = write_comb_map(folder / "council.osm", _points(files))
    path = folder / "council.network"
    save_network(build_network(read_osm_xml(osm)), path)
    return path


@pytest.fixture(autouse=True)
def _own_matrix_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Matrices are cached under SENDPLAN_CACHE_DIR; Dask workers started later inherit it.
    monkeypatch.setenv("SENDPLAN_CACHE_DIR", str(tmp_path / "cache"))


def _queued(session: Session, maker: Maker, kind: str, params: dict, files: dict[str, bytes]):
    scenario = maker(session, files=files)
    job, _ = create_job(
        session, tenant="856", scenario_id=scenario.id, kind=kind, params=params, actor="k",
        idempotency_key=None, request_sha256="",
    )  # fmt: skip
    return job.id


def _claimed(session: Session, maker: Maker, kind: str, params: dict, files: dict[str, bytes]):
    job_id = _queued(session, maker, kind, params, files)
    (claim,) = claim_queued(session, limit=1, lease_s=30, actor="d")
    return job_id, claim.attempt


def _job(session: Session, job_id: str) -> JobRow:
    session.expire_all()
    return session.get_one(JobRow, job_id)


def _stored(session: Session, job_id: str) -> dict[str, bytes]:
    rows = session.scalars(select(ResultFileRow).where(ResultFileRow.job_id == job_id))
    return {r.name: r.content for r in rows}


def _journeys(
    files: dict[str, bytes], placements: bytes
) -> tuple[list[float], np.ndarray, np.ndarray]:
    """Each placed child's stored travel_s, with their home and school as (n, 2) lon/lat."""
    homes = _where(files["children.csv"], "child_id")
    sites = _where(files["schools.csv"], "school_id")
    placed = [r for r in _rows(placements) if r["school_id"]]
    assert len(placed) >= CHILDREN // 2, "most children are placed"
    travel_s = [float(r["travel_s"]) for r in placed]
    origins = np.array([homes[r["child_id"]] for r in placed])
    destinations = np.array([sites[r["school_id"]] for r in placed])
    return travel_s, origins, destinations


# --- jobs ----------------------------------------------------------------------------------


def test_a_placement_job_travels_on_the_road_network_and_records_it(
    sqlite_url: str, scenario_maker: Maker, files: dict[str, bytes], council_network: Path
):
    migrate(sqlite_url)
    network = load_network(council_network)
    drive = NetworkTravelModel(network)  # the scenario's policy: no congestion, 500 m snap
    straight = StraightLineModel(circuity_factor=1.3)  # the scenario's circuity factor
    assert b"circuity_factor = 1.3\n" in files["policy.toml"]
    assert b"am_peak_congestion_factor = 1\n" in files["policy.toml"]
    with session_factory(make_engine(sqlite_url))() as session:
        stored: dict[str, dict[str, bytes]] = {}
        for label, road_network in (("network", str(council_network)), ("straight", None)):
            job_id, attempt = _claimed(session, scenario_maker, "placement", {"seed": 1}, files)
            assert run_job(sqlite_url, job_id, attempt, 30, 600, road_network) == "succeeded"
            stored[label] = _stored(session, job_id)
    summary = json.loads(stored["network"]["summary.json"])
    assert summary["travel_model"] == network.name == f"council.network@{network.sha256[:12]}"
    assert json.loads(stored["straight"]["summary.json"])["travel_model"] == straight.name

    # Each placed child's journey is the network's, computed here on its own, not a straight line.
    travel_s, homes, schools = _journeys(files, stored["network"]["placements.csv"])
    on_roads, _ = drive.pairs(homes, schools)
    assert travel_s == pytest.approx(on_roads.tolist(), abs=0.01)
    as_crow, _ = straight.pairs(homes, schools)
    assert np.all(np.abs(np.array(travel_s) - as_crow) > 1.0)
    # Without the setting, the same service plans on straight lines as before.
    travel_s, homes, schools = _journeys(files, stored["straight"]["placements.csv"])
    assert travel_s == pytest.approx(straight.pairs(homes, schools)[0].tolist(), abs=0.01)


def test_a_point_too_far_from_the_roads_fails_the_job_naming_the_child(
    sqlite_url: str, scenario_maker: Maker, files: dict[str, bytes], council_network: Path
):
    migrate(sqlite_url)
    rows = _rows(files["children.csv"])
    moved = rows[7]["child_id"]
    text = files["children.csv"].decode()
    far_line = text.splitlines()[8].replace(rows[7]["lon"], str(FAR_LON), 1)
    assert far_line.startswith(f"{moved},{FAR_LON},")
    far = {**files, "children.csv": text.replace(text.splitlines()[8], far_line).encode()}
    with session_factory(make_engine(sqlite_url))() as session:
        job_id, attempt = _claimed(session, scenario_maker, "both", {"iterations": 5}, far)
        assert run_job(sqlite_url, job_id, attempt, 30, 600, str(council_network)) == "failed"
        job = _job(session, job_id)
        # The same scenario plans on straight lines: only the road network refuses the point.
        job_ok, attempt = _claimed(session, scenario_maker, "placement", {}, far)
        assert run_job(sqlite_url, job_ok, attempt, 30, 600, None) == "succeeded"
    assert job.reason == "bad_input"
    assert f"child {moved} is " in job.detail and "from the nearest drive road" in job.detail
    assert "council.network@" in job.detail and str(FAR_LON) not in job.detail
    assert "\n" not in job.detail


def test_a_worker_without_the_network_file_fails_the_job_as_an_internal_error(
    sqlite_url: str, scenario_maker: Maker, files: dict[str, bytes], tmp_path: Path
):
    migrate(sqlite_url)
    gone = tmp_path / "gone.network"
    with session_factory(make_engine(sqlite_url))() as session:
        job_id, attempt = _claimed(session, scenario_maker, "placement", {}, files)
        assert run_job(sqlite_url, job_id, attempt, 30, 600, str(gone)) == "failed"
        job = _job(session, job_id)
    # The operator's setting, not the planner's input; the path is in the worker's log only.
    assert job.reason == "internal_error" and str(gone) not in (job.detail or "")


def test_an_expansion_job_travels_on_the_network_and_a_sweep_says_it_does_not(
    sqlite_url: str, scenario_maker: Maker, files: dict[str, bytes], council_network: Path
):
    migrate(sqlite_url)
    name = load_network(council_network).name
    grid = {"growth": [1.0]}
    with session_factory(make_engine(sqlite_url))() as session:
        summaries = {}
        for kind, params in (("expansion", {"years": "2026-2027"}), ("sweep", {"grid": grid})):
            job_id, attempt = _claimed(session, scenario_maker, kind, params, files)
            status = run_job(sqlite_url, job_id, attempt, 30, 600, str(council_network))
            assert status == "succeeded", _job(session, job_id).detail
            summaries[kind] = json.loads(_stored(session, job_id)["summary.json"])
    assert summaries["expansion"]["travel_model"] == name
    assert summaries["sweep"]["travel_model"] == "straight-line"


def test_a_job_in_a_dask_worker_process_travels_on_the_network(
    sqlite_url: str, scenario_maker: Maker, files: dict[str, bytes], council_network: Path
):
    migrate(sqlite_url)
    factory = session_factory(make_engine(sqlite_url))
    with factory() as session:
        job_id = _queued(session, scenario_maker, "placement", {"seed": 1}, files)
    with running_workers(
        database_url=sqlite_url, workers=1, scheduler=None, lease_s=10, max_attempts=1,
        job_timeout_s=600, retention_days=365, road_network=council_network,
    ):  # fmt: skip
        deadline = time.monotonic() + 240
        with factory() as session:
            while _job(session, job_id).status not in ("succeeded", "failed"):
                assert time.monotonic() < deadline, "the job did not finish"
                time.sleep(0.2)
    with factory() as session:
        job = _job(session, job_id)
        assert (job.status, job.detail) == ("succeeded", None)
        assert int(job.lease_owner.rsplit(":", 1)[1]) != os.getpid()  # another process ran it
        stored = _stored(session, job_id)
    assert json.loads(stored["summary.json"])["travel_model"] == load_network(council_network).name
    travel_s, homes, schools = _journeys(files, stored["placements.csv"])
    on_roads, _ = NetworkTravelModel(load_network(council_network)).pairs(homes, schools)
    assert travel_s == pytest.approx(on_roads.tolist(), abs=0.01)


def test_the_summary_endpoint_names_the_services_road_network(
    sqlite_url: str, files: dict[str, bytes], council_network: Path
):
    from api_support import make_api

    migrate(sqlite_url)
    api = make_api(sqlite_url, road_network=council_network)
    assert api.settings.road_network == council_network.resolve()
    job_id = api.job(api.upload(files=files), kind="placement", seed=1)
    with api.session() as session:  # what the dispatcher sends with the task
        (claim,) = claim_queued(session, limit=1, lease_s=30, actor="d")
    network = str(api.settings.road_network)
    assert run_job(sqlite_url, job_id, claim.attempt, 30, 600, network) == "succeeded"
    response = api.client.get(f"/jobs/{job_id}/summary", headers=api.headers())
    assert response.status_code == 200, response.text
    assert response.json()["travel_model"] == load_network(council_network).name


# --- settings and `sendplan serve` ---------------------------------------------------------


def _refusal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **overrides: object) -> str:
    monkeypatch.chdir(tmp_path)  # no .env here
    with pytest.raises(SettingsError) as caught:
        load_settings(secret_key=TEST_SECRET, **overrides)
    message = str(caught.value)
    assert message.startswith("setting SENDPLAN_ROAD_NETWORK: ") and "\n" not in message
    return message


def test_settings_refuse_a_missing_or_unusable_road_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, bytes]
):
    assert "not found" in _refusal(monkeypatch, tmp_path, road_network=tmp_path / "no.network")
    text = tmp_path / "notes.network"
    text.write_text("not a network")
    assert "not a sendplan network file" in _refusal(monkeypatch, tmp_path, road_network=text)
    damaged = tmp_path / "damaged.network"  # a network's header without its arrays
    with zipfile.ZipFile(damaged, "w") as archive:
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "profiles": {"drive": {}}}
        archive.writestr("meta.json", json.dumps(meta))
    assert "not a readable network file" in _refusal(monkeypatch, tmp_path, road_network=damaged)
    osm = write_comb_map(tmp_path / "town.osm", _points(files))
    assert "sendplan network build" in _refusal(monkeypatch, tmp_path, road_network=osm)
    walk_only = tmp_path / "walk.network"
    save_network(build_network(read_osm_xml(osm), profiles=("walk",)), walk_only)
    assert "no drive profile" in _refusal(monkeypatch, tmp_path, road_network=walk_only)
    monkeypatch.setenv("SENDPLAN_ROAD_NETWORK", str(tmp_path / "missing.network"))
    assert "not found" in _refusal(monkeypatch, tmp_path)


def _garbage_networks(tmp_path: Path) -> list[Path]:
    """Files that are not networks: one byte, a text file like /etc/passwd, a zip of another
    kind."""
    one_byte = tmp_path / "one.network"
    one_byte.write_bytes(b"x")
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    other_zip = tmp_path / "other.network"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes.txt", "not a network")
    return [one_byte, passwd, other_zip]


def _suggests_only_a_built_network(message: str) -> bool:
    # Serve refuses map files, so its refusal must not offer one.
    lowered = message.lower()
    return "`sendplan network build" in message and not any(
        word in lowered for word in ("map", ".osm", ".pbf", ".graphml")
    )


def test_settings_refuse_a_garbage_network_suggesting_only_a_built_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    for garbage in _garbage_networks(tmp_path):
        message = _refusal(monkeypatch, tmp_path, road_network=garbage)
        assert f"{garbage.name}: not a sendplan network file" in message
        assert _suggests_only_a_built_network(message), message


def test_serve_refuses_a_garbage_network_file_suggesting_only_a_built_one(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "SENDPLAN_SECRET_KEY": TEST_SECRET,
           "SENDPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"}  # fmt: skip
    env.pop("SENDPLAN_ROAD_NETWORK", None)
    garbage = _garbage_networks(tmp_path)[0]
    command = [sys.executable, "-m", "sendplan.api.cli", "serve", "--port", "1", "--network",
               str(garbage)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    one_line = " ".join(done.stderr.split())  # rich may wrap the one line
    assert len(done.stderr.strip().splitlines()) <= 2
    assert "SENDPLAN_ROAD_NETWORK" in one_line and "not a sendplan network file" in one_line
    assert _suggests_only_a_built_network(one_line), one_line
    assert "Traceback" not in done.stderr and not (tmp_path / "never.db").exists()


def test_place_keeps_its_own_refusal_of_a_garbage_network_offering_a_map(
    tmp_path: Path, files: dict[str, bytes]
) -> None:
    # The CLI commands accept a map file, so their refusal still offers one.
    scenario = tmp_path / "scenario"
    scenario.mkdir()
    for name, content in files.items():
        (scenario / name).write_bytes(content)
    garbage = _garbage_networks(tmp_path)[0]
    result = CliRunner().invoke(
        app, ["place", str(scenario), "--out", str(tmp_path / "out"), "--network", str(garbage)]
    )
    assert result.exit_code == 2, result.output
    one_line = " ".join(result.output.split())
    assert "one.network: not a sendplan network file" in one_line
    assert "`sendplan network build`" in one_line and ".osm.pbf" in one_line
    assert "SENDPLAN_ROAD_NETWORK" not in one_line


def test_settings_take_a_road_network_from_env_or_override_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, council_network: Path
):
    monkeypatch.chdir(council_network.parent)
    assert load_settings(secret_key=TEST_SECRET).road_network is None
    given = load_settings(secret_key=TEST_SECRET, road_network=Path(council_network.name))
    assert given.road_network == council_network.resolve() and given.road_network.is_absolute()
    monkeypatch.setenv("SENDPLAN_ROAD_NETWORK", council_network.name)
    assert load_settings(secret_key=TEST_SECRET).road_network == council_network.resolve()
    monkeypatch.setenv("SENDPLAN_ROAD_NETWORK", "")  # a blank line in a .env template: none
    assert load_settings(secret_key=TEST_SECRET).road_network is None


def test_serve_refuses_a_missing_network_file_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SENDPLAN_SECRET_KEY": TEST_SECRET,
           "SENDPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"}  # fmt: skip
    env.pop("SENDPLAN_ROAD_NETWORK", None)
    command = [sys.executable, "-m", "sendplan.api.cli", "serve", "--port", "1", "--network",
               str(tmp_path / "council.network")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) <= 2  # rich may wrap the one line
    assert "SENDPLAN_ROAD_NETWORK" in done.stderr and "not found" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "never.db").exists()
