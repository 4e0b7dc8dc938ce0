"""What-if jobs through the API: each bad part of ``what_if`` is 422 naming it at submission
(both sides of each limit), a real placement job with a lock and a must-admit writes them into
its files, its deltas against the base job show the moved child, and another authority's base
job is not found."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from api_support import OTHER_TENANT, Api, finish_job, scenario_files, scenario_folder
from scenario_files import SCHOOLS_CSV

from sendplan.api.service.job_kinds import read_outputs, run
from sendplan.api.service.runner import JobControl, JobStop, _base_schools
from sendplan.errors import InputError
from sendplan.routing.what_if_apply import MAX_LOCKS, MAX_MUST_ADMIT, POLICY_LIMITS

PROBLEM = "application/problem+json"
# A second school for C001's need: further and dearer than 120001, so a lock there moves them.
SECOND = (
    "140004,Second Ash,-1.2500,52.6000,856,la_maintained,4,19,mixed,PD;PMLD;SLD,10,,60000,,,true"
)


def _files() -> dict[str, str]:
    files = scenario_files()
    files["schools.csv"] = SCHOOLS_CSV + SECOND + "\n"
    return files


def _post(api: Api, scenario: str, what_if: object, *, role: str = "admin",
          kind: str = "placement") -> Any:  # fmt: skip
    return api.client.post(f"/scenarios/{scenario}/jobs",
                           json={"kind": kind, "what_if": what_if},
                           headers=api.headers(role))  # fmt: skip


def _field(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    return str(response.json()["errors"][0]["field"])


def _status(api: Api, path: str, *, role: str = "admin", tenant: str = "856") -> int:
    return int(api.client.get(path, headers=api.headers(role, tenant)).status_code)


LOCK = {"child_id": "C001", "school_id": "140004"}


@pytest.mark.parametrize(
    ("what_if", "field"),
    [
        ([], "what_if"),
        ({"lok": []}, "what_if.lok"),
        ({"lock": {}}, "what_if.lock"),
        ({"lock": [{"child_id": "C001"}]}, "what_if.lock[0]"),
        ({"lock": [LOCK, {"child_id": "<b>", "school_id": "120001"}]}, "what_if.lock[1].child_id"),
        ({"lock": [{"child_id": "C999", "school_id": "120001"}]}, "what_if.lock[0].child_id"),
        ({"lock": [{"child_id": "C001", "school_id": "999999"}]}, "what_if.lock[0].school_id"),
        # 120002 is for SEMH, boys 11-16: it cannot take C001 (PMLD, 7).
        ({"lock": [{"child_id": "C001", "school_id": "120002"}]}, "what_if.lock[0].school_id"),
        ({"lock": [LOCK, LOCK]}, "what_if.lock[1].child_id"),
        ({"must_admit": ["120001", "999999"]}, "what_if.must_admit[1]"),
        ({"must_admit": "120001"}, "what_if.must_admit"),
        ({"policy": {"ride_limit_min_primary": 30}}, "what_if.policy.ride_limit_min_primary"),
        ({"policy": {"travel_gbp_per_min": "500"}}, "what_if.policy.travel_gbp_per_min"),
        ({"policy": {"travel_gbp_per_min": True}}, "what_if.policy.travel_gbp_per_min"),
        ({"policy": {"over_capacity_gbp": 2e6}}, "what_if.policy.over_capacity_gbp"),
        ({"options": {"OPT-1": "on"}}, "what_if.options.OPT-1"),
        # The shipped options are Leicester's: they do not fit this synthetic scenario.
        ({"options": {"OPT-1": True}}, "what_if.options"),
        ({"base_job": "not-a-job"}, "what_if.base_job"),
        ({"lock": [{"child_id": f"C{i}", "school_id": "120001"} for i in range(MAX_LOCKS + 1)]},
         "what_if.lock"),
        ({"lock": [{"child_id": f"C{i}", "school_id": "120001"} for i in range(MAX_LOCKS)]},
         "what_if.lock[0].child_id"),  # as many as allowed: then each is checked
        ({"must_admit": [f"S{i}" for i in range(MAX_MUST_ADMIT + 1)]}, "what_if.must_admit"),
        ({"must_admit": [f"S{i}" for i in range(MAX_MUST_ADMIT)]}, "what_if.must_admit[0]"),
    ],
)  # fmt: skip
def test_each_bad_part_is_422_naming_it(api: Api, what_if: object, field: str) -> None:
    assert _field(_post(api, api.upload(files=_files()), what_if)) == field


@pytest.mark.parametrize("name", sorted(POLICY_LIMITS))
def test_each_policy_weight_is_bounded_on_both_sides(api: Api, name: str) -> None:
    scenario = api.upload(files=_files())
    low, high = POLICY_LIMITS[name]
    # unplaced_gbp must stay above over_capacity_gbp (100,000 by default).
    base = {"over_capacity_gbp": 0} if name == "unplaced_gbp" else {}
    for inside in (low, high):
        if name == "over_capacity_gbp" and inside == high:
            base = {"unplaced_gbp": POLICY_LIMITS["unplaced_gbp"][1]}
        response = _post(api, scenario, {"policy": {**base, name: inside}})
        assert response.status_code == 202, (name, inside, response.text)
    for outside in (low - max(1.0, low) * 1e-3, high + high * 1e-3):
        response = _post(api, scenario, {"policy": {**base, name: outside}})
        assert _field(response) == f"what_if.policy.{name}"


def test_not_finite_numbers_are_refused(api: Api) -> None:
    scenario = api.upload(files=_files())
    body = b'{"kind": "placement", "what_if": {"policy": {"travel_gbp_per_min": NaN}}}'
    headers = {**api.headers(), "Content-Type": "application/json"}
    response = api.client.post(f"/scenarios/{scenario}/jobs", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert "travel_gbp_per_min" in response.text or "what_if" in response.text


def test_what_if_applies_to_solve_jobs_only_and_options_need_expansion(api: Api) -> None:
    scenario = api.upload(files=_files())
    body = {"kind": "forecast", "years": "2026", "what_if": {}}
    response = api.client.post(f"/scenarios/{scenario}/jobs", headers=api.headers(), json=body)
    assert _field(response) == "what_if"
    # A panel key may lock and must-admit, not switch expansion options (planners' and admins').
    assert _post(api, scenario, {"lock": [LOCK]}, role="panel").status_code == 202
    refused = _post(api, scenario, {"options": {"OPT-1": True}}, role="panel")
    assert refused.status_code == 403 and "job.expansion" in refused.json()["detail"]


def _run(api: Api, folder: Path, scenario: str, **params: Any) -> str:
    """A job submitted through the API and run here as a worker would (its stored params)."""
    job = api.job(scenario, **params)
    stored = api.client.get(f"/jobs/{job}", headers=api.headers()).json()["params"]
    out = folder / job
    out.mkdir()
    run(stored["kind"], stored, folder / "scenario", out, control=JobControl(timeout_s=600),
        stop=lambda n, control: JobStop(n, control))  # fmt: skip
    finish_job(
        api, job, files={name: (media, content) for name, media, content in read_outputs(out)}
    )
    return job


def _scenario_folder(tmp_path: Path) -> Path:
    return scenario_folder(tmp_path, _files())


def test_a_what_if_job_holds_its_lock_and_must_admit(api: Api, tmp_path: Path) -> None:
    folder = _scenario_folder(tmp_path)
    scenario = api.upload(files=_files())
    base = _run(api, folder, scenario, kind="placement", movers="all")
    what_if = {"lock": [LOCK], "must_admit": ["130003"], "base_job": base,
               "policy": {"travel_gbp_per_min": 400}}  # fmt: skip
    job = _run(api, folder, scenario, kind="placement", movers="all", what_if=what_if)
    h = api.headers()
    placements = api.client.get(f"/jobs/{job}/placements", headers=h).json()["rows"]
    at = {row["child_id"]: row["school_id"] for row in placements}
    old = {
        r["child_id"]: r
        for r in api.client.get(f"/jobs/{base}/placements", headers=h).json()["rows"]
    }
    before = {child: row["school_id"] for child, row in old.items()}
    assert at["C001"] == "140004" != before["C001"]
    summary = api.client.get(f"/jobs/{job}/summary", headers=h).json()
    assert set(summary["must_admit_effects"]) == {"130003"}
    echo = json.loads(api.client.get(f"/jobs/{job}/files/what_if.json", headers=h).content)
    assert echo["lock"] == [{**LOCK, "was_school_id": None, "was_locked": False}]
    assert echo["must_admit"] == ["130003"] and echo["base_job"] == base
    assert echo["policy"] == {"travel_gbp_per_min": {"from": 300.0, "to": 400.0}}
    # The deltas: the base job from what_if.base_job, the moved child with its changes.
    deltas = api.client.get(f"/jobs/{job}/deltas", headers=api.headers("panel"))
    assert deltas.status_code == 200, deltas.text
    body = deltas.json()
    moved = {c["child_id"]: c for c in body["changed_children"]}
    assert set(moved) == {c for c in at if at[c] != before[c]} and "C001" in moved
    c001 = moved["C001"]
    assert (c001["from_school_id"], c001["to_school_id"]) == (before["C001"], "140004")
    assert c001["to_school_name"] == "Second Ash" and c001["delta_cost_gbp"] > 0
    rows = {r["child_id"]: r for r in placements}
    expected = (float(rows["C001"]["travel_s"]) - float(old["C001"]["travel_s"])) / 60.0
    assert c001["delta_travel_min"] == pytest.approx(expected, abs=0.051)
    kpis = {k["key"]: k for k in body["kpis"]}
    cost = kpis["placement_cost_gbp_per_year"]
    assert cost["delta"] == pytest.approx(cost["value"] - cost["base"])
    assert cost["value"] == summary["placement_cost_gbp_per_year"]
    assert body["must_admit_effects"] == summary["must_admit_effects"]
    assert body["what_if"]["lock"][0]["school_id"] == "140004"
    # The same with the base given explicitly; a transport key may not read placements.
    again = api.client.get(f"/jobs/{job}/deltas?base={base}", headers=h).json()
    assert again["changed_children"] == body["changed_children"]
    assert (
        api.client.get(f"/jobs/{job}/deltas", headers=api.headers("transport")).status_code == 403
    )


def test_an_infeasible_lock_in_a_worker_fails_the_job_with_the_field(tmp_path: Path) -> None:
    """Submission refuses it; a job that still gets one (an older client's) fails with a named
    reason, never an internal error."""
    folder = _scenario_folder(tmp_path)
    bad = {"kind": "placement", "what_if": {"lock": [{"child_id": "C001", "school_id": "120002"}]}}
    with pytest.raises(InputError) as caught:
        run("placement", bad, folder / "scenario", tmp_path / "out",
            control=JobControl(timeout_s=60), stop=lambda n, c: JobStop(n, c))  # fmt: skip
    assert caught.value.field == "what_if.lock[0].school_id"
    assert "cannot lock C001 there" in str(caught.value)


def test_a_base_job_of_another_authority_is_not_found(api: Api, tmp_path: Path) -> None:
    folder = _scenario_folder(tmp_path)
    mine = api.upload(files=_files())
    theirs = api.upload(files=_files(), tenant=OTHER_TENANT)
    their_job = api.job(theirs, tenant=OTHER_TENANT)
    response = _post(api, mine, {"base_job": their_job})
    assert response.status_code == 404, response.text
    # A base job of my own on another scenario is named, not hidden.
    other = api.job(api.upload(files=_files()))
    assert _field(_post(api, mine, {"base_job": other})) == "what_if.base_job"
    # Deltas: another authority's job as the base, or my job asked for by them, is 404.
    finish_job(api, their_job)
    job = _run(api, folder, mine, kind="placement", what_if={"lock": [LOCK]})
    assert _status(api, f"/jobs/{job}/deltas?base={their_job}") == 404
    assert _status(api, f"/jobs/{job}/deltas?base={their_job}", tenant=OTHER_TENANT) == 404
    assert _field(api.client.get(f"/jobs/{job}/deltas", headers=api.headers())) == "base"


def test_the_choices_offer_options_only_to_roles_that_may_expand(api: Api) -> None:
    scenario = api.upload(files=_files())
    panel = api.client.get(f"/scenarios/{scenario}/what-if", headers=api.headers("panel")).json()
    assert "options" not in panel
    assert {s["school_id"] for s in panel["schools"]} == {"120001", "120002", "130003", "140004"}
    weights = {p["name"]: p for p in panel["policy"]}
    assert set(weights) == set(POLICY_LIMITS)
    assert weights["travel_gbp_per_min"]["value"] == 300.0
    admin = api.client.get(f"/scenarios/{scenario}/what-if", headers=api.headers()).json()
    assert admin["options"] == [] and admin["options_note"]  # Leicester's do not fit here
    assert _status(api, f"/scenarios/{scenario}/what-if", role="planner") == 403
    assert _status(api, f"/scenarios/{scenario}/what-if", tenant=OTHER_TENANT) == 404


def test_options_switched_on_add_their_places(api: Api, tmp_path: Path) -> None:
    """On the Leicester default (cut to 120 children) the shipped options fit: a phase needs
    its first phase on too; both on, their places are schools a child can be locked at."""
    from service.conftest import small_scenario_files

    from sendplan.api.loader import load_scenario

    files = small_scenario_files()
    scenario = api.upload(files=files)  # type: ignore[arg-type]
    assert _field(_post(api, scenario, {"options": {"WG-80": True}})) == "what_if.options.WG-80"
    (tmp_path / "scenario").mkdir()
    for name, content in files.items():
        (tmp_path / "scenario" / name).write_bytes(content)
    loaded = load_scenario(tmp_path / "scenario")
    west_gate = loaded.school("131099")  # the school WG-32 and WG-80 add places to
    child = next(
        c.child_id for c in loaded.children if west_gate.admits(c) and c.cohort == "special"
    )
    lock = {"child_id": child, "school_id": "WG-80"}
    off = _post(api, scenario, {"lock": [lock], "options": {"WG-32": True}})
    assert _field(off) == "what_if.lock[0].school_id"  # WG-80 is off: no such school
    switched = {"WG-32": True, "WG-80": True, "OAK-80": False}
    job = _run(api, tmp_path, scenario, kind="placement",
               what_if={"options": switched, "lock": [lock]})  # fmt: skip
    h = api.headers()
    echo = json.loads(api.client.get(f"/jobs/{job}/files/what_if.json", headers=h).content)
    assert {k: (v["on"], v["places"]) for k, v in echo["options"].items()} == {
        "WG-32": (True, 32), "WG-80": (True, 80), "OAK-80": (False, 80)}  # fmt: skip
    rows = api.client.get(f"/jobs/{job}/placements", headers=h).json()["rows"]
    assert {r["child_id"]: r["school_id"] for r in rows}[child] == "WG-80"


# Every child with a current school, so the status quo is measured beside each plan.
SETTLED = (
    "C001,-1.1335,52.6363,7,M,PMLD,PD,true,no,120001,,120001,,,",
    "C002,-1.1100,52.6200,14,F,SEMH,,0,,120002,yes,120002;120001,40,false,",
    "C003,-1.1200,52.6300,9,F,ASD,SLCN;MLD,,Y,130003,,130003;120001,,,855",
)


def test_a_what_if_lock_leaves_the_status_quo_and_says_the_what_if_locked(
    api: Api, tmp_path: Path
) -> None:
    files = scenario_files(SETTLED)
    files["schools.csv"] = SCHOOLS_CSV + SECOND + "\n"
    (tmp_path / "scenario").mkdir()
    for name, text in files.items():
        (tmp_path / "scenario" / name).write_text(text, encoding="utf-8")
    scenario = api.upload(files=files)
    base = _run(api, tmp_path, scenario, kind="placement")
    base_rows = {r["child_id"]: r for r in _csv(api, base, "placements.csv")}
    what_if = {"lock": [LOCK], "base_job": base}
    job = api.job(scenario, kind="placement", what_if=what_if)
    params = api.client.get(f"/jobs/{job}", headers=api.headers()).json()["params"]
    schools = _base_schools(api.sessions, params)  # as the worker reads them
    assert schools == {c: r["school_id"] or None for c, r in base_rows.items()}
    out = tmp_path / job
    out.mkdir()
    run("placement", params, tmp_path / "scenario", out, control=JobControl(timeout_s=600),
        stop=lambda n, control: JobStop(n, control), base_schools=schools)  # fmt: skip
    echo = json.loads((out / "what_if.json").read_text(encoding="utf-8"))
    assert echo["lock"][0]["was_school_id"] == base_rows["C001"]["school_id"]
    rows = {r["child_id"]: r for r in csv.DictReader(io.StringIO(
        (out / "placements.csv").read_text(encoding="utf-8")))}  # fmt: skip
    assert rows["C001"]["school_id"] == "140004"
    assert rows["C001"]["reasons"].split(";") == ["locked_by_what_if"]
    assert "locked_current_placement" in rows["C002"]["reasons"]  # the scenario's own lock
    before = json.loads(_file(api, base, "summary.json"))["comparison"]["status_quo"]
    after = json.loads((out / "summary.json").read_text(encoding="utf-8"))["comparison"]
    assert after["status_quo"] == before  # the scenario's status quo, not the what-if's
    assert after["optimised"] != before


def _file(api: Api, job: str, name: str) -> str:
    response = api.client.get(f"/jobs/{job}/files/{name}", headers=api.headers())
    assert response.status_code == 200, response.text
    return response.text


def _csv(api: Api, job: str, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_file(api, job, name))))


# One place for both PMLD and ASD: two children locked there are one past its capacity.
TINY = "140005,Tiny Ash,-1.1300,52.6300,856,la_maintained,4,19,mixed,PMLD;ASD,1,,50000,,,true"


@pytest.mark.parametrize(("locked", "over"), [(("C001",), {}), (("C001", "C003"), {"140005": 1})])
def test_locks_past_capacity_are_a_warning_in_the_deltas(
    api: Api, tmp_path: Path, locked: tuple[str, ...], over: dict[str, int]
) -> None:
    files = _files()
    files["schools.csv"] += TINY + "\n"
    (tmp_path / "scenario").mkdir()
    for name, text in files.items():
        (tmp_path / "scenario" / name).write_text(text, encoding="utf-8")
    scenario = api.upload(files=files)
    base = _run(api, tmp_path, scenario, kind="placement")
    lock = [{"child_id": child, "school_id": "140005"} for child in locked]
    job = _run(api, tmp_path, scenario, kind="placement", what_if={"lock": lock, "base_job": base})
    deltas = api.client.get(f"/jobs/{job}/deltas", headers=api.headers()).json()
    assert deltas["locked_over_capacity_by_school"] == over


def _placed(*rows: str) -> bytes:
    return ("child_id,status,school_id,school_name,travel_s,annual_cost_gbp\n"
            + "".join(f"{row}\n" for row in rows)).encode()  # fmt: skip


def test_a_move_to_a_schools_own_expansion_is_no_change_of_school(api: Api) -> None:
    scenario = api.upload()
    summary = ("application/json", json.dumps({"children": 2, "placed": 2}).encode())
    base = api.job(scenario)
    finish_job(api, base, files={"summary.json": summary, "placements.csv": ("text/csv", _placed(
        "C001,placed,120001,Ash Field Academy,600,42000",
        "C002,placed,120002,Keyham Lodge,600,35000"))})  # fmt: skip
    echo = {
        "lock": [],
        "must_admit": [],
        "policy": {},
        "base_job": base,
        "options": {"AF-10": {"on": True, "places": 10, "school_id": "120001", "name": ""}},
    }
    job = api.job(scenario)
    finish_job(api, job, files={
        "summary.json": summary, "what_if.json": ("application/json", json.dumps(echo).encode()),
        "placements.csv": ("text/csv", _placed(
            "C001,placed,AF-10,Ash Field Academy (+10),600,42000",
            "C002,placed,120001,Ash Field Academy,900,42000"))})  # fmt: skip
    deltas = api.client.get(f"/jobs/{job}/deltas?base={base}", headers=api.headers()).json()
    same = {c["child_id"]: c["same_site"] for c in deltas["changed_children"]}
    assert same == {"C001": True, "C002": False}
    assert sum(deltas["changed_counts"].values()) == 1 and deltas["same_site_moves"] == 1
