"""A council's own expansion options: options.csv uploaded with the scenario, checked at upload
by the CLI's options reader (422 naming file, row and field), used by the expansion job."""

from __future__ import annotations

import json

import pytest
from api_support import Api, scenario_files
from sqlalchemy import select

from sendplan.api.growth import parse_growth
from sendplan.api.service.jobs import claim_queued
from sendplan.api.service.runner import run_job
from sendplan.api.service.tables import JobRow, ResultFileRow
from sendplan.data.forecast_params import DEFAULT_PARAMS, read_params
from sendplan.routing.planning.forecast import demand_factors

OPTIONS_HEADER = "option_id,places,capital_gbp,earliest_year,school_id"
OPTIONS_CSV = (
    f"{OPTIONS_HEADER}\nash-plus-8,8,400000,2026,120001\nkeyham-plus-4,4,200000,2027,120002\n"
)


def _run_expansion(api: Api, db_url: str, scenario_id: str, **params: object) -> JobRow:
    job_id = api.job(scenario_id, kind="expansion", years="2026-2027", **params)
    with api.session() as session:
        (claim,) = claim_queued(session, limit=1, lease_s=30, actor="test")
    assert claim.job_id == job_id
    run_job(db_url, job_id, claim.attempt, 30, 600)
    with api.session() as session:
        return session.get_one(JobRow, job_id)


def _result(api: Api, job_id: str, name: str) -> bytes:
    with api.session() as session:
        row = session.scalars(
            select(ResultFileRow).where(ResultFileRow.job_id == job_id, ResultFileRow.name == name)
        ).one()
        return bytes(row.content)


def test_an_uploaded_options_csv_is_what_the_expansion_job_weighs(api: Api, db_url: str) -> None:
    scenario_id = api.upload(files={**scenario_files(), "options.csv": OPTIONS_CSV})
    job = _run_expansion(api, db_url, scenario_id)
    assert job.status == "succeeded", job.detail
    document = json.loads(_result(api, job.id, "expansion.json"))
    text = json.dumps(document)
    for option_id in ("ash-plus-8", "keyham-plus-4"):
        assert f'"{option_id}"' in text
    # Only the council's options: none of the shipped Leicester ones.
    assert "131099" not in text
    # A what-if may switch the same options.
    choices = api.client.get(f"/scenarios/{scenario_id}/what-if", headers=api.headers())
    assert choices.status_code == 200 and '"keyham-plus-4"' in choices.text


@pytest.mark.parametrize("growth", ["forecast-high", 0.2, 0])
def test_the_expansion_job_takes_the_clis_growth_rules(
    api: Api, db_url: str, growth: str | float
) -> None:
    scenario_id = api.upload(files={**scenario_files(), "options.csv": OPTIONS_CSV})
    job = _run_expansion(api, db_url, scenario_id, growth=growth)
    assert job.status == "succeeded", job.detail
    document = json.loads(_result(api, job.id, "expansion.json"))
    summary = json.loads(_result(api, job.id, "summary.json"))
    assert document["growth_rule"] == summary["growth_rule"] == parse_growth(str(growth)).label()
    params = read_params(DEFAULT_PARAMS)
    expected = (
        demand_factors(params, [2026, 2027], base_year=2025, band="high")
        if growth == "forecast-high"
        else {y: (1 + growth) ** (y - 2025) for y in (2026, 2027)}  # 0: no growth, not the trend
    )
    assert document["growth"] == pytest.approx({str(y): f for y, f in expected.items()})


def test_the_options_are_part_of_the_scenario_content(api: Api) -> None:
    plain = api.client.get(f"/scenarios/{api.upload()}", headers=api.headers()).json()
    with_options = api.client.get(
        f"/scenarios/{api.upload(files={**scenario_files(), 'options.csv': OPTIONS_CSV})}",
        headers=api.headers(),
    ).json()
    assert plain["content_sha256"] != with_options["content_sha256"]


@pytest.mark.parametrize(
    ("rows", "row", "field"),
    [
        (("ash-plus-8,8,400000,2026,120001", "bad,-4,1,2026,120002"), 3, "places"),
        (("ash-plus-8,8,400000,2026,no-such-school",), 2, "school_id"),
        (("ash-plus-8,8,400000,2026,120001", "ash-plus-8,4,1,2027,120002"), 3, "option_id"),
    ],
)
def test_a_bad_options_csv_is_refused_at_upload(
    api: Api, rows: tuple[str, ...], row: int, field: str
) -> None:
    options = "\n".join((OPTIONS_HEADER, *rows)) + "\n"
    response = api.client.post(
        "/scenarios",
        files=[
            ("files", (name, text.encode(), "text/csv"))
            for name, text in {**scenario_files(), "options.csv": options}.items()
        ],
        headers=api.headers(),
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["file"], error["row"], error["field"]) == ("options.csv", row, field)
    assert f"options.csv row {row}, field {field}" in response.json()["detail"]


def test_without_options_a_scenario_the_shipped_ones_do_not_fit_names_options_csv(
    api: Api, db_url: str
) -> None:
    job = _run_expansion(api, db_url, api.upload())
    assert (job.status, job.reason) == ("failed", "bad_input")
    assert job.detail is not None and job.detail.startswith("options.csv: ")
    # Not the shipped file, which the planner never sent.
    assert "expansion_options_2023" not in job.detail
