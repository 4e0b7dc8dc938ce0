"""No personal data leaves the service: an end-to-end run (upload, a real placement job run by the
job runner in this process, every result fetched) whose children carry postcodes and home
coordinates; no response body, result file or log record holds any of them."""

from __future__ import annotations

import io
import logging
import struct
import zipfile

import pytest
from api_support import Api, multipart, scenario_files
from scenario_files import CHILD_HEADER
from sqlalchemy import select

from sendplan.api.service.jobs import claim_queued
from sendplan.api.service.runner import run_job
from sendplan.api.service.tables import ScenarioFileRow

# Realistic-looking, made up: Leicester postcodes and home points to 6 decimal places.
HOMES = (("LE4 9HA", -1.123457, 52.654321), ("LE2 6BF", -1.109876, 52.618765),
         ("LE3 1QP", -1.154321, 52.627654))  # fmt: skip
ROWS = tuple(
    f"C00{i + 1},{lon},{lat},{age},{sex},{need},,,,,,{pref},,,,{postcode}"
    for i, ((postcode, lon, lat), age, sex, need, pref) in enumerate(
        zip(
            HOMES,
            (7, 14, 9),
            "MFF",
            ("PMLD", "SEMH", "ASD"),
            ("120001", "120002", "120001"),
            strict=True,
        )
    )
)


def _forbidden() -> list[str]:
    found = []
    for postcode, lon, lat in HOMES:
        found += [postcode, postcode.replace(" ", ""), f"{lon}", f"{lat}", f"{lat:.4f}",
                  f"{lon:.4f}", f"{lat:.5f}", f"{lon:.5f}"]  # fmt: skip
    return found


def _text(content: bytes) -> str:
    """Everything readable in a body: a zip's (xlsx) members unpacked, else the bytes as text."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return content.decode("utf-8", "replace")


def test_no_postcode_or_home_location_in_any_response_or_log(
    api: Api, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[tuple[str, str]] = []
    raw: list[tuple[str, bytes]] = []
    client = api.client

    def call(method: str, url: str, role: str = "panel", **kwargs: object) -> object:
        response = client.request(method, url, headers=api.headers(role), **kwargs)  # type: ignore[arg-type]
        raw.append((url, response.content))
        bodies.append((url, _text(response.content)))
        bodies.append((url, str(response.headers)))
        return response

    files = scenario_files(ROWS)
    files["children.csv"] = "\n".join((CHILD_HEADER + ",postcode", *ROWS)) + "\n"
    created = call("POST", "/scenarios", files=multipart(files))
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    scenario = created.json()["id"]  # type: ignore[attr-defined]
    # A bad row whose cell holds a postcode where a number belongs: the message omits it.
    bad = dict(files)
    bad["children.csv"] = bad["children.csv"].replace("52.654321", "LE4 9HA", 1)
    refused = call("POST", "/scenarios", files=multipart(bad))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    call("GET", "/scenarios")
    call("GET", f"/scenarios/{scenario}")
    job = call("POST", f"/scenarios/{scenario}/jobs", json={"kind": "placement"}).json()  # type: ignore[attr-defined]

    with api.session() as session:
        claims = claim_queued(session, limit=5, lease_s=60, actor="test")
    assert [c.job_id for c in claims] == [job["id"]]
    assert run_job(db_url, claims[0].job_id, claims[0].attempt, 60.0, 600.0) == "succeeded"

    status = call("GET", f"/jobs/{job['id']}").json()  # type: ignore[attr-defined]
    assert status["status"] == "succeeded" and "placements.csv" in status["files"]
    call("GET", "/jobs")
    call("GET", f"/jobs/{job['id']}/summary")
    placements = call("GET", f"/jobs/{job['id']}/placements").json()  # type: ignore[attr-defined]
    assert {row["child_id"] for row in placements["rows"]} == {"C001", "C002", "C003"}
    served = 0
    for name in status["files"]:
        response = call("GET", f"/jobs/{job['id']}/files/{name}")
        # Files with home points (results.gpkg's homes layer) are for transport roles only.
        expected = 403 if name.endswith(".gpkg") else 200
        assert response.status_code == expected, name  # type: ignore[attr-defined]
        served += expected == 200
    assert served >= 4
    call("GET", "/audit", role="admin")

    # The stored scenario keeps the home points the workers need, but no postcode.
    with api.session() as session:
        stored = session.scalars(select(ScenarioFileRow)).all()
    assert not any(b"LE4" in row.content for row in stored)

    forbidden = _forbidden()
    assert len(bodies) >= 20
    for url, text in bodies:
        for value in forbidden:
            assert value not in text, (url, value)
    for value in forbidden:
        assert value not in caplog.text, value
    # Binary bodies (a GeoPackage's geometry) hold points as 8-byte doubles: none of those either.
    points = [
        struct.pack(order + "d", v) for _, lon, lat in HOMES for v in (lon, lat) for order in "<>"
    ]
    for url, content in raw:
        assert not any(point in content for point in points), url
