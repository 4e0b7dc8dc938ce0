"""The web UI's server side: its files need no key and carry the UI's CSP (the API keeps its own),
``GET /me`` tells each role what it may do, and ``GET /jobs/{id}/map`` gives homes only as
counts per grid cell, by role, within the caller's authority."""

from __future__ import annotations

import json

from api_support import FAKE_FILES, OTHER_TENANT, ROLES, Api, finish_job

from sendplan.api.service.auth import PERMISSIONS
from sendplan.api.service.routers.ui import CELL_DEG
from sendplan.api.service.security import API_CSP, UI_CSP

HOMES = {"C001": (-1.1335, 52.6363), "C002": (-1.1100, 52.6200), "C003": (-1.1200, 52.6300)}
PLACEMENTS = (
    "child_id,status,school_id,school_name,in_area,reason\n"
    "C001,placed,120001,Ash Field Academy,true,\n"
    "C002,placed,130003,Far Away School,false,\n"
    "C003,unplaced,,,,no_capacity\n"
)


# C001 rides in the morning and C002 in the afternoon; C003, unplaced, rides nowhere.
ROUTES = {
    "sessions": {
        session: {"routes": [{"route_id": f"{session}-1", "steps": [
            {"type": "start"}, {"type": "pickup", "child_id": child}, {"type": "school"},
        ]}], "unrouted": []}
        for session, child in (("am", "C001"), ("pm", "C002"))
    }
}  # fmt: skip


def _finished_both_job(api: Api) -> str:
    job = api.job(api.upload(), kind="both")
    files = {
        **FAKE_FILES,
        "placements.csv": ("text/csv", PLACEMENTS.encode()),
        "routes.json": ("application/json", json.dumps(ROUTES).encode()),
    }
    finish_job(api, job, files=files)
    return job


def test_ui_files_need_no_key_and_get_the_ui_csp(api: Api) -> None:
    for path in ("/", "/ui/app.js", "/ui/style.css", "/ui/map.js", "/ui/index.html"):
        response = api.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == UI_CSP, path
        assert response.headers["cache-control"] == "no-store"
    page = api.client.get("/").text
    assert '<script type="module" src="/ui/app.js">' in page
    assert "<script>" not in page and " style=" not in page  # nothing inline: CSP allows none
    assert "'unsafe-inline'" not in UI_CSP and "script-src 'self'" in UI_CSP
    assert api.client.get("/ui/nothing.js").status_code == 404
    assert api.client.get("/ui/../app.py").status_code == 404
    me = api.client.get("/me", headers=api.headers())
    assert me.headers["content-security-policy"] == API_CSP
    assert api.client.get("/me").status_code == 401


def test_me_lists_exactly_the_actions_of_each_role(api: Api) -> None:
    for role in ROLES:
        body = api.client.get("/me", headers=api.headers(role)).json()
        assert body["role"] == role and body["tenant"] == "856"
        assert set(body["actions"]) == {a for a, roles in PERMISSIONS.items() if role in roles}
    panel = api.client.get("/me", headers=api.headers("panel")).json()["actions"]
    assert "job.forecast" not in panel and "job.transport" not in panel
    assert "job.placement" in panel


def test_map_gives_homes_only_as_grid_cell_counts(api: Api) -> None:
    job = _finished_both_job(api)
    body = api.client.get(f"/jobs/{job}/map", headers=api.headers("panel")).json()
    cells = body["home_cells"]
    assert sum(cell["n"] for cell in cells) == len(HOMES)
    assert {(c.get("in", 0), c.get("out", 0), c.get("unplaced", 0)) for c in cells} <= {
        (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 1),
    }  # fmt: skip
    assert (
        sum(c.get("out", 0) for c in cells) == 1 and sum(c.get("unplaced", 0) for c in cells) == 1
    )
    for cell in cells:  # on the grid, so never a home's own point
        for axis in ("lon", "lat"):
            assert abs(cell[axis] / CELL_DEG - round(cell[axis] / CELL_DEG)) < 1e-6
    for child_id in HOMES:  # ids only where the panel's need filter needs them
        assert child_id not in json.dumps(cells) + json.dumps(body["schools"])
    off_grid = (-1.1335, 52.6363)  # C001's home: its own digits appear nowhere but the basemap
    text = json.dumps({k: v for k, v in body.items() if k != "basemap"})
    assert str(off_grid[0]) not in text and str(off_grid[1]) not in text
    assert {s["school_id"]: s["in_area"] for s in body["schools"]} == {
        "120001": True, "120002": True, "130003": False,
    }  # fmt: skip
    assert body["primary_need"] == {"C001": "PMLD", "C002": "SEMH", "C003": "ASD"}
    (flow,) = body["out_of_area_flows"]  # C002, placed at the one school out of area
    assert flow["school_id"] == "130003" and flow["n"] == 1
    assert (flow["lon"], flow["lat"]) == (-1.11, 52.62)  # C002's cell
    assert "ride_limit_min" not in body  # ride limits are for the transport team
    transport = api.client.get(f"/jobs/{job}/map", headers=api.headers("transport")).json()
    # Ride limits only for the children on a route (C001 in the morning, C002 after school).
    riders = {"C001", "C002"}
    assert riders < set(HOMES)
    assert set(transport["ride_limit_min"]) == riders
    assert "primary_need" not in transport and "out_of_area_flows" not in transport
    assert {key for c in transport["home_cells"] for key in c} == {"lon", "lat", "n", "home"}


def test_map_follows_the_job_rules_and_tenancy(api: Api) -> None:
    job = _finished_both_job(api)
    assert api.client.get(f"/jobs/{job}/map").status_code == 401
    assert api.client.get(f"/jobs/{job}/map", headers=api.headers("planner")).status_code == 403
    other = api.client.get(f"/jobs/{job}/map", headers=api.headers("admin", OTHER_TENANT))
    assert other.status_code == 404
    queued = api.job(api.upload(), kind="both")
    assert api.client.get(f"/jobs/{queued}/map", headers=api.headers()).status_code == 409


def test_the_favicon_is_served_without_a_key(api: Api) -> None:
    response = api.client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"<script" not in response.content
    assert b'rel="icon" href="/favicon.ico"' in api.client.get("/").content
