"""Bad input of every kind answers an RFC 9457 problem naming the field; uploads give the CLI
loader's own messages (compared with the InputError it raises for the same files)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from api_support import Api, json_scenario, make_api, multipart, scenario_files
from fastapi.testclient import TestClient
from scenario_files import CHILD_HEADER, CHILD_ROWS

from sendplan.api.loader import load_scenario
from sendplan.errors import InputError

MEDIA = "application/problem+json"


def _problem(response, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:sendplan:problem:")
    assert body["title"]
    assert "Traceback" not in response.text
    return body


def _cli_error(tmp_path: Path, files: dict[str, str | bytes], workbook: str | None = None) -> str:
    """What `sendplan place` reports for the same files (the loader's InputError)."""
    if workbook is not None:
        path = tmp_path / workbook
        path.write_bytes(files[workbook] if isinstance(files[workbook], bytes) else b"")
    else:
        path = tmp_path / "scenario"
        path.mkdir()
        for name, text in files.items():
            (path / name).write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return str(caught.value)


BAD_CHILDREN = {
    "bad number": (*CHILD_ROWS[:1], "C002,-1.1100,52.6200,abc,F,SEMH,,0,,120002,yes,,,,"),
    "bad need": ("C001,-1.1335,52.6363,7,M,XYZ,PD,true,no,,,120001,,,",),
    "swapped point": ("C001,52.6363,-1.1335,7,M,PMLD,PD,true,no,,,120001,,,",),
    "unknown school": ("C001,-1.1335,52.6363,7,M,PMLD,PD,true,no,,,999999,,,",),
    "duplicate id": (CHILD_ROWS[0], CHILD_ROWS[0]),
}


@pytest.mark.parametrize("case", sorted(BAD_CHILDREN))
def test_bad_csv_row_is_the_cli_message(api: Api, tmp_path: Path, case: str) -> None:
    files = scenario_files(BAD_CHILDREN[case])
    body = _problem(api.client.post("/scenarios", files=multipart(files), headers=api.headers()))
    assert body["detail"] == _cli_error(tmp_path, dict(files))
    error = body["errors"][0]
    assert error["file"] == "children.csv" and error["row"] >= 2 and error["field"]
    assert error["field"] in body["detail"]
    # The same rows as JSON name the same file, row and field.
    as_json = api.client.post("/scenarios", json=json_scenario(files), headers=api.headers())
    json_error = _problem(as_json)["errors"][0]
    assert (json_error["file"], json_error["row"], json_error["field"]) == (
        error["file"], error["row"], error["field"])  # fmt: skip


def test_unknown_column_is_the_cli_message(api: Api, tmp_path: Path) -> None:
    rows = [f"{row},Jane" for row in CHILD_ROWS]
    files = scenario_files()
    files["children.csv"] = "\n".join((CHILD_HEADER + ",first_name", *rows)) + "\n"
    body = _problem(api.client.post("/scenarios", files=multipart(files), headers=api.headers()))
    assert body["detail"] == _cli_error(tmp_path, dict(files))
    assert body["errors"][0]["field"] == "first_name"
    assert "Jane" not in str(body)


@pytest.mark.parametrize("missing", ["schools.csv", "children.csv"])
def test_missing_file_and_unknown_file(api: Api, missing: str) -> None:
    files = scenario_files()
    del files[missing]
    body = _problem(api.client.post("/scenarios", files=multipart(files), headers=api.headers()))
    # Which file the upload lacks, in the upload's words (not the CLI's "folder has none").
    assert body["detail"] == (
        f"{missing}: missing from the upload: send schools.csv and children.csv at least"
    )
    assert body["errors"][0]["file"] == missing
    extra = {**scenario_files(), "notes.txt": "hello"}
    body = _problem(api.client.post("/scenarios", files=multipart(extra), headers=api.headers()))
    assert body["errors"][0]["file"] == "notes.txt"


def _workbook_with(member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr(member, content)
    return out.getvalue()


BAD_WORKBOOKS = {
    "not a zip": b"this is not a workbook",
    "xml bomb": _workbook_with(
        "xl/workbook.xml",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><workbook>&lol;</workbook>',
    ),
    "deep nesting": _workbook_with("xl/workbook.xml", b"<a>" * 100 + b"</a>" * 100),
    "no schools sheet": _workbook_with("xl/workbook.xml", b"<workbook/>"),
}


@pytest.mark.parametrize("case", sorted(BAD_WORKBOOKS))
def test_bad_workbook_is_the_cli_message(api: Api, tmp_path: Path, case: str) -> None:
    content = BAD_WORKBOOKS[case]
    upload = [("files", ("plan.xlsx", content, "application/octet-stream"))]
    body = _problem(api.client.post("/scenarios", files=upload, headers=api.headers()))
    assert body["detail"] == _cli_error(tmp_path, {"plan.xlsx": content}, workbook="plan.xlsx")
    assert body["errors"][0]["file"].startswith("plan.xlsx")


def test_good_workbook_is_accepted(api: Api, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, text in scenario_files().items():
        if sheet.endswith(".csv"):
            ws = book.create_sheet(sheet.removesuffix(".csv"))
            for line in text.strip().splitlines():
                ws.append(line.split(","))
    data = io.BytesIO()
    book.save(data)
    upload = [("files", ("leicester.xlsx", data.getvalue(), "application/octet-stream"))]
    response = api.client.post("/scenarios", files=upload, headers=api.headers())
    assert response.status_code == 201, response.text
    assert response.json()["children"] == 3 and response.json()["name"] == "leicester"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"schools": [', "body"),
        (b"[1, 2]", "body"),
        (b'{"schools": [], "children": [], "pupils": []}', "pupils"),
        (b'{"children": "C001"}', "children"),
        (b'{"policy": {"ride_limit_min_primary": NaN}}', "body"),
        (b'{"policy": {"no_such_key": 1}, "schools": [], "children": []}', "children"),
    ],
)
def test_bad_json_upload_names_the_field(api: Api, body: bytes, field: str | None) -> None:
    headers = {**api.headers(), "Content-Type": "application/json"}
    problem = _problem(api.client.post("/scenarios", content=body, headers=headers))
    error = problem["errors"][0]
    if field is not None:
        assert field in (error["field"], error["file"])
    else:
        assert error["file"] in ("children.csv", "policy.toml", "schools.csv")


def test_bad_policy_json_is_the_cli_message(api: Api, tmp_path: Path) -> None:
    document = json_scenario(scenario_files())
    document["policy"] = {"ride_limit_min_primary": 9999}
    body = _problem(api.client.post("/scenarios", json=document, headers=api.headers()))
    files = scenario_files()
    files["policy.toml"] = "ride_limit_min_primary = 9999\n"
    assert body["detail"] == _cli_error(tmp_path, dict(files))
    assert body["errors"][0]["field"] == "ride_limit_min_primary"


def test_unsupported_media_type_is_415(api: Api) -> None:
    headers = {**api.headers(), "Content-Type": "text/plain"}
    _problem(api.client.post("/scenarios", content=b"hello", headers=headers), status=415)


def test_children_and_vehicle_limits_both_sides(db_url: str) -> None:
    at_limit = make_api(db_url, max_children=3, max_vehicles=50)
    headers = at_limit.headers()
    ok = at_limit.client.post("/scenarios", files=multipart(scenario_files()), headers=headers)
    assert ok.status_code == 201  # 3 children, 10 + 40 vehicles: exactly at the limits
    below = make_api(db_url, max_children=2, max_vehicles=50)
    body = _problem(below.client.post("/scenarios", files=multipart(scenario_files()),
                                      headers=below.headers()))  # fmt: skip
    assert body["errors"][0]["field"] == "max_children" and "max_children = 2" in body["detail"]
    fleet_limit = make_api(db_url, max_children=3, max_vehicles=49)
    body = _problem(fleet_limit.client.post("/scenarios", files=multipart(scenario_files()),
                                            headers=fleet_limit.headers()))  # fmt: skip
    assert body["errors"][0]["field"] == "max_vehicles" and "max_vehicles = 49" in body["detail"]


def test_request_size_limit_both_sides(db_url: str) -> None:
    small = make_api(db_url, max_request_bytes=20_000)
    headers = {**small.headers(), "Content-Type": "application/json"}
    document = json_scenario(scenario_files())
    import json

    text = json.dumps(document).encode()
    padded = text[:-1] + b"," + b'"name": "' + b"x" * 10 + b'"}'
    assert len(padded) < 20_000
    assert small.client.post("/scenarios", content=padded, headers=headers).status_code == 201
    big = text[:-1] + b', "name": "' + b"x" * 20_000 + b'"}'
    body = _problem(small.client.post("/scenarios", content=big, headers=headers), status=413)
    assert "max_request_bytes" in body["detail"] and body["errors"][0]["field"] == "body"

    # A streamed body without Content-Length is counted as it arrives.
    def chunks():
        for _ in range(30):
            yield b" " * 1000

    streamed = small.client.post("/scenarios", content=chunks(), headers=headers)
    _problem(streamed, status=413)
    assert "content-length" not in {k.lower() for k in streamed.request.headers}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "placement", "seed": -1}, "seed"),
        ({"kind": "placement", "seed": 2**31}, "seed"),
        ({"kind": "placement", "iterations": 0}, "iterations"),
        # Strict types: a string, a boolean or a float is not taken for a number.
        ({"kind": "transport", "iterations": "50"}, "iterations"),
        ({"kind": "transport", "iterations": True}, "iterations"),
        ({"kind": "transport", "iterations": 50.5}, "iterations"),
        ({"kind": "placement", "seed": "3"}, "seed"),
        ({"kind": "expansion", "years": 2026}, "years"),
        ({"kind": "expansion", "years": "2026-2030", "budget_gbp": "5"}, "budget_gbp"),
        ({"kind": "teleport"}, "kind"),
        ({}, "kind"),
        ({"kind": "placement", "sessions": ["am"]}, "sessions"),
        ({"kind": "transport", "sessions": ["noon"]}, "sessions.0"),
        ({"kind": "forecast", "years": "2031-2026"}, "years"),
        ({"kind": "placement", "budget_gbp": 10}, "budget_gbp"),
        ({"kind": "sweep"}, "grid"),
        ({"kind": "sweep", "grid": {"sedes": [1]}}, "grid.sedes"),
        ({"kind": "placement", "mode": "fastest"}, "mode"),
        ({"kind": "expansion", "years": "2026", "growth": "lots"}, "growth"),
        ({"kind": "expansion", "years": "2026", "growth": 1.5}, "growth"),
        ({"kind": "expansion", "years": "2026", "growth": True}, "growth"),
        ({"kind": "placement", "growth": "trend"}, "growth"),
        ({"kind": "placement", "colour": "red"}, "colour"),
    ],
)
def test_bad_job_params_name_the_field(api: Api, params: dict, field: str) -> None:
    scenario = api.upload()
    response = api.client.post(f"/scenarios/{scenario}/jobs", json=params, headers=api.headers())
    body = _problem(response)
    assert field in [e["field"] for e in body["errors"]], body


def test_job_params_both_sides_of_each_bound(api: Api) -> None:
    scenario = api.upload()
    url = f"/scenarios/{scenario}/jobs"
    for params in ({"kind": "placement", "seed": 0}, {"kind": "placement", "seed": 2**31 - 1},
                   {"kind": "transport", "iterations": 100_000},
                   {"kind": "expansion", "years": "2026-2030", "budget_gbp": 5},
                   {"kind": "expansion", "years": "2026", "growth": 1.0},
                   {"kind": "expansion", "years": "2026", "growth": "forecast-low"},
                   {"kind": "forecast", "years": "2026-2075"}):  # fmt: skip
        assert api.client.post(url, json=params, headers=api.headers()).status_code == 202, params
    for params in ({"kind": "transport", "iterations": 100_001},
                   {"kind": "expansion", "years": "2026", "growth": 1.01},
                   {"kind": "forecast", "years": "2026-2076"}):  # fmt: skip
        assert api.client.post(url, json=params, headers=api.headers()).status_code == 422, params


def test_bad_ids_and_unknown_routes_are_problems(api: Api) -> None:
    _problem(api.client.get("/scenarios/not-an-id", headers=api.headers()))
    _problem(api.client.get(f"/scenarios/{'a' * 32}", headers=api.headers()), status=404)
    _problem(api.client.get("/nowhere", headers=api.headers()), status=404)
    _problem(api.client.put("/scenarios", headers=api.headers()), status=405)


def test_unknown_error_is_500_without_detail(api: Api, monkeypatch, caplog) -> None:
    from sendplan.api.service.routers import scenarios

    def explode(_row: object) -> None:
        raise RuntimeError("boom at -1.13357,52.63631 for C001")

    monkeypatch.setattr(scenarios, "scenario_out", explode)
    caplog.set_level("DEBUG")
    client = TestClient(api.client.app, raise_server_exceptions=False)
    response = client.post("/scenarios", files=multipart(scenario_files()), headers=api.headers())
    body = _problem(response, status=500)
    assert "boom" not in response.text and "52.63631" not in response.text
    assert body["detail"] and response.headers["x-content-type-options"] == "nosniff"
    assert "RuntimeError at test_api_problems.py" in caplog.text  # where, for the operator
    assert "52.63631" not in caplog.text and "boom" not in caplog.text


HUGE = 10**400  # a JSON integer no float can hold


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "placement", "what_if": {"policy": {"travel_gbp_per_min": HUGE}}},
         "what_if.policy.travel_gbp_per_min"),
        ({"kind": "placement", "what_if": {"policy": {"travel_gbp_per_min": -HUGE}}},
         "what_if.policy.travel_gbp_per_min"),
        ({"kind": "sweep", "grid": {"growth": [HUGE]}}, "grid.growth"),
        ({"kind": "sweep", "grid": {"policy": {"travel_gbp_per_min": [HUGE]}}},
         "grid.policy.travel_gbp_per_min"),
        ({"kind": "sweep", "grid": {"policy": {"ride_limit_min_primary": [HUGE]}}},
         "grid.policy.ride_limit_min_primary"),
        ({"kind": "sweep", "grid": {"seeds": [HUGE]}}, "grid.seeds"),
        ({"kind": "sweep", "grid": {"route_iterations": HUGE}}, "grid.route_iterations"),
        ({"kind": "expansion", "years": "2026", "budget_gbp": HUGE}, "budget_gbp"),
        ({"kind": "placement", "seed": HUGE}, "seed"),
        ({"kind": "transport", "iterations": HUGE}, "iterations"),
    ],
)  # fmt: skip
def test_an_integer_too_large_for_a_float_is_422_naming_the_field(
    api: Api, params: dict, field: str
) -> None:
    scenario = api.upload()
    response = api.client.post(f"/scenarios/{scenario}/jobs", json=params, headers=api.headers())
    body = _problem(response)
    assert [e["field"] for e in body["errors"]] == [field], body


def test_an_upload_without_files_lists_every_file_it_takes(api: Api) -> None:
    sent = api.client.post("/scenarios", files={"name": (None, "x")}, headers=api.headers())
    detail = _problem(sent)["detail"]
    assert "no files" in detail
    for name in ("schools.csv", "children.csv", "fleet.csv", "policy.toml", "options.csv"):
        assert name in detail


@pytest.mark.parametrize(
    ("query", "field", "takes"),
    [
        ("scenario=abc", "scenario", "kind, limit, offset, scenario_id, status"),  # for scenario_id
        ("limit=5&limt=10", "limt", "kind, limit, offset, scenario_id, status"),
        ("%07x=1", "\\x07x", "kind, limit, offset, scenario_id, status"),  # shown, not rung
    ],
)
def test_an_unknown_query_parameter_is_a_422_naming_it(
    api: Api, query: str, field: str, takes: str
) -> None:
    body = _problem(api.client.get(f"/jobs?{query}", headers=api.headers()))
    assert body["errors"] == [
        {"file": None, "row": None, "field": field,
         "message": f"unknown query parameter; this route takes: {takes}"}
    ]  # fmt: skip


def test_known_query_parameters_still_pass_and_health_takes_any(api: Api) -> None:
    scenario = api.upload()
    assert api.client.get(f"/jobs?scenario_id={scenario}&limit=5", headers=api.headers()).is_success
    assert api.client.get("/scenarios?offset=0", headers=api.headers()).is_success
    assert api.client.get("/health?probe=1").is_success  # load balancers add their own
    # A route without query parameters refuses any.
    body = _problem(api.client.get(f"/scenarios/{scenario}?verbose=1", headers=api.headers()))
    assert body["errors"][0]["message"].endswith("this route takes: none")


def test_credentials_are_checked_before_the_query(api: Api) -> None:
    # Without credentials a data route is a 401, unknown parameter or not: nothing of the route.
    for url in ("/jobs?scenario=x", "/keys?x=1", "/scenarios?limt=1"):
        assert _problem(api.client.get(url), status=401)["status"] == 401, url
    assert _problem(api.client.get("/keys?x=1", headers=api.headers()))["errors"][0]["field"] == "x"
    # POST /token is public: its query is checked without credentials.
    body = _problem(api.client.post("/token?grant=1", data={"grant_type": "client_credentials"}))
    assert body["errors"][0]["field"] == "grant"
