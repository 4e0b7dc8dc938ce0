"""Results of a finished job: 409 before, the stored bytes with their media type after, placements
as JSON rows, attachments, and the comparison of two finished jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_support import FAKE_FILES, PLACEMENTS, SUMMARY, Api, csv_rows, finish_job, scenario_files

import sendplan
from sendplan.api.outputs import write_files
from sendplan.routing.transport.plan import Session


def test_results_are_409_until_the_job_finishes(api: Api) -> None:
    scenario = api.upload()
    job = api.job(scenario)
    for url in (f"/jobs/{job}/summary", f"/jobs/{job}/placements", f"/jobs/{job}/files/x.csv"):
        response = api.client.get(url, headers=api.headers())
        assert response.status_code == 409, url
        assert response.json()["type"].endswith("not-finished")
    finish_job(api, job)
    assert api.client.get(f"/jobs/{job}/summary", headers=api.headers()).json() == SUMMARY


def test_result_files_come_back_as_stored(api: Api) -> None:
    scenario = api.upload()
    job = api.job(scenario, kind="both")
    finish_job(api, job)
    status = api.client.get(f"/jobs/{job}", headers=api.headers()).json()
    assert status["status"] == "succeeded" and status["files"] == sorted(FAKE_FILES)
    for name, (media, content) in FAKE_FILES.items():
        response = api.client.get(f"/jobs/{job}/files/{name}", headers=api.headers())
        assert response.status_code == 200 and response.content == content
        assert response.headers["content-type"].split(";")[0] == media
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    geojson = api.client.get(f"/jobs/{job}/routes.geojson", headers=api.headers())
    assert geojson.headers["content-type"] == "application/geo+json"
    assert json.loads(geojson.content)["type"] == "FeatureCollection"
    sheets = api.client.get(f"/jobs/{job}/route_sheets.xlsx", headers=api.headers())
    assert sheets.content == FAKE_FILES["route_sheets.xlsx"][1]
    assert "attachment" in sheets.headers["content-disposition"]
    placements = api.client.get(f"/jobs/{job}/placements", headers=api.headers()).json()
    assert placements["columns"] == PLACEMENTS.splitlines()[0].split(",")
    assert [row["child_id"] for row in placements["rows"]] == ["C001", "C002", "C003"]
    assert placements["rows"][2]["status"] == "unplaced"
    missing = api.client.get(f"/jobs/{job}/files/nothing.csv", headers=api.headers())
    assert missing.status_code == 404
    for bad in ("../summary.json", ".hidden", "a%00b"):
        response = api.client.get(f"/jobs/{job}/files/{bad}", headers=api.headers())
        assert response.status_code in (404, 422), bad


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_cancel_a_finished_job_is_409_and_changes_nothing(api: Api, status: str) -> None:
    job = api.job(api.upload())
    finish_job(api, job, status=status)
    response = api.client.post(f"/jobs/{job}/cancel", headers=api.headers())
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"the job has finished ({status})"
    after = api.client.get(f"/jobs/{job}", headers=api.headers()).json()
    assert (after["status"], after["cancel_requested"]) == (status, False)


def test_compare_two_finished_jobs(api: Api) -> None:
    scenario = api.upload()
    base, variant = api.job(scenario), api.job(scenario, seed=2)
    finish_job(api, base)
    moved = PLACEMENTS.replace("C002,placed,120002,Keyham Lodge", "C002,placed,120001,Ash Field")
    worse = {**SUMMARY, "placement_cost_gbp_per_year": 80000.0}
    finish_job(api, variant, files={
        "summary.json": ("application/json", json.dumps(worse).encode()),
        "placements.csv": ("text/csv", moved.encode()),
    })  # fmt: skip
    response = api.client.get(f"/compare?jobs={base},{variant}", headers=api.headers("planner"))
    assert response.status_code == 200, response.text
    body = response.json()
    cost = next(k for k in body["kpis"] if k["key"] == "placement_cost_gbp_per_year")
    assert cost["values"] == {base: 77000.0, variant: 80000.0}
    assert cost["delta"][variant] == 3000.0
    assert [c["child_id"] for c in body["changed_children"]] == ["C002"]
    bad = api.client.get(f"/compare?jobs={base}", headers=api.headers("planner"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "jobs"
    running = api.job(scenario, seed=3)
    busy = api.client.get(f"/compare?jobs={base},{running}", headers=api.headers("planner"))
    assert busy.status_code == 409


def _real_files(tmp: Path, *, placement: str) -> dict[str, tuple[str, bytes]]:
    """A real run's result files: placed (``solve``) or routed on current schools."""
    folder = tmp / placement
    folder.mkdir()
    rows = ("C001,-1.1335,52.6363,7,M,PMLD,PD,true,no,120001,,,,,",
            "C002,-1.1100,52.6200,14,F,SEMH,,0,,120002,,,40,,",
            "C003,-1.1200,52.6300,9,F,ASD,SLCN;MLD,,Y,130003,,130003;120001,,,855")  # fmt: skip
    for name, text in scenario_files(rows).items():
        (folder / name).write_text(text, encoding="utf-8")
    scenario = sendplan.load_scenario(folder)
    sessions: tuple[Session, ...] = () if placement == "solve" else ("am",)
    result = sendplan.solve(scenario, sessions=sessions, stop=sendplan.MaxIterations(20),
                            placement="solve" if placement == "solve" else "current")  # fmt: skip
    write_files(result, folder / "out")
    return {p.name: ("application/octet-stream", p.read_bytes())
            for p in (folder / "out").iterdir() if p.is_file()}  # fmt: skip


def test_compare_a_transport_job_on_current_schools(api: Api, tmp_path: Path) -> None:
    placed, routed = (
        _real_files(tmp_path, placement="solve"),
        _real_files(tmp_path, placement="current"),
    )
    assert "placements.csv" in placed and "placements.csv" not in routed  # no placement of its own
    scenario = api.upload()
    base, variant = api.job(scenario), api.job(scenario, kind="transport")
    finish_job(api, base, files=placed)
    finish_job(api, variant, files=routed)
    response = api.client.get(f"/compare?jobs={base},{variant}", headers=api.headers("planner"))
    assert response.status_code == 200, response.text
    # Who moves, from the placement's own rows against the children's current schools.
    current = {"C001": "120001", "C002": "120002", "C003": "130003"}
    rows = csv_rows(placed["placements.csv"][1].decode())
    moved = sorted(
        r["child_id"] for r in rows if (r["school_id"] or None) != current[r["child_id"]]
    )
    assert sorted(c["child_id"] for c in response.json()["changed_children"]) == moved
    # A job that placed children but lost its placements.csv is still refused, naming it.
    lost = api.job(scenario, seed=5)
    finish_job(api, lost, files={k: v for k, v in placed.items() if k != "placements.csv"}
               | {"results.gpkg": routed["results.gpkg"]})  # fmt: skip
    refused = api.client.get(f"/compare?jobs={base},{lost}", headers=api.headers("planner"))
    assert refused.status_code == 422 and "placements.csv" in refused.text


def test_compare_notes_a_transport_job_has_no_placement_of_its_own(
    api: Api, tmp_path: Path
) -> None:
    placed, routed = (
        _real_files(tmp_path, placement="solve"),
        _real_files(tmp_path, placement="current"),
    )
    scenario = api.upload()
    base, variant = api.job(scenario), api.job(scenario, kind="transport")
    finish_job(api, base, files=placed)
    finish_job(api, variant, files=routed)

    def notes(jobs: str) -> list[str]:
        response = api.client.get(f"/compare?jobs={jobs}", headers=api.headers("planner"))
        assert response.status_code == 200, response.text
        return [n for n in response.json()["notes"] if "no placement of its own" in n]

    # As `sendplan compare` says of a routes folder: one note naming the transport job only,
    # whether it is the baseline or not.
    for jobs in (f"{base},{variant}", f"{variant},{base}"):
        (note,) = notes(jobs)
        assert note.startswith(f"{variant}: no placement of its own") and base not in note
        assert "current schools" in note and "results.gpkg" in note
    other = api.job(scenario, seed=2)
    finish_job(api, other, files=placed)
    assert notes(f"{base},{other}") == []
