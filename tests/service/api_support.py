"""Helpers for the HTTP tests: an app on a migrated database, keys per tenant and role, and a
small synthetic scenario to upload (as CSV files, JSON or a workbook)."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from scenario_files import CHILD_HEADER, CHILD_ROWS, FLEET_CSV, POLICY_TOML, SCHOOLS_CSV
from sqlalchemy import update
from sqlalchemy.orm import Session

from sendplan.api.service.app import create_app
from sendplan.api.service.db import make_engine, session_factory
from sendplan.api.service.routers.keys import create_key
from sendplan.api.service.settings import Settings, load_settings
from sendplan.api.service.tables import JobRow, ResultFileRow, utc_now

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEST_SECRET = "t3st-" + "Qw9xZr4LmN8vBk2Hj6Fd1Sa7Pc5Ty0Ue"  # long, random-looking, test only
ROLES = ("panel", "transport", "planner", "admin")
TENANT = "856"
OTHER_TENANT = "855"


def scenario_files(children_rows: tuple[str, ...] = CHILD_ROWS) -> dict[str, str]:
    return {
        "schools.csv": SCHOOLS_CSV,
        "children.csv": "\n".join((CHILD_HEADER, *children_rows)) + "\n",
        "fleet.csv": FLEET_CSV,
        "policy.toml": POLICY_TOML,
    }


def scenario_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """``files`` written into ``tmp_path``/scenario, where a job run in the test's process
    reads its scenario; returns ``tmp_path``."""
    folder = tmp_path / "scenario"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def multipart(files: dict[str, str | bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("files", (name, text.encode() if isinstance(text, str) else text, "text/csv"))
        for name, text in files.items()
    ]


def csv_rows(text: str) -> list[dict[str, Any]]:
    import csv

    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def json_scenario(files: dict[str, str]) -> dict[str, Any]:
    """The same scenario as a JSON document (empty cells left out)."""

    def rows(name: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if v != ""} for row in csv_rows(files[name])]

    return {"schools": rows("schools.csv"), "children": rows("children.csv"),
            "fleet": rows("fleet.csv"), "policy": {"ride_limit_min_primary": 40}}  # fmt: skip


@dataclass
class Api:
    """An in-process app, its client and a key per (tenant, role)."""

    settings: Settings
    client: TestClient
    sessions: Any
    keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # -> (id, secret)

    def key(self, role: str = "admin", tenant: str = TENANT) -> tuple[str, str]:
        if (tenant, role) not in self.keys:
            with self.sessions() as session:
                row, secret = create_key(session, tenant=tenant, role=role, label=f"test {role}",
                                         actor="test")  # fmt: skip
            self.keys[(tenant, role)] = (row.id, secret)
        return self.keys[(tenant, role)]

    def headers(self, role: str = "admin", tenant: str = TENANT) -> dict[str, str]:
        return {"X-API-Key": self.key(role, tenant)[1]}

    def session(self) -> Session:
        session: Session = self.sessions()
        return session

    def upload(self, *, role: str = "admin", tenant: str = TENANT,
               files: dict[str, str] | None = None) -> str:  # fmt: skip
        response = self.client.post("/scenarios", files=multipart(files or scenario_files()),
                                    headers=self.headers(role, tenant))  # fmt: skip
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def job(self, scenario_id: str, *, kind: str = "placement", role: str = "admin",
            tenant: str = TENANT, **params: Any) -> str:  # fmt: skip
        response = self.client.post(f"/scenarios/{scenario_id}/jobs",
                                    json={"kind": kind, **params},
                                    headers=self.headers(role, tenant))  # fmt: skip
        assert response.status_code == 202, response.text
        return str(response.json()["id"])


def make_api(db_url: str, **overrides: Any) -> Api:
    settings = load_settings(secret_key=TEST_SECRET, database_url=db_url, workers=0,
                             **overrides)  # fmt: skip
    engine = make_engine(db_url)
    app = create_app(settings, engine=engine)
    client = TestClient(app, raise_server_exceptions=False)
    return Api(settings=settings, client=client, sessions=session_factory(engine))


def random_hex() -> str:
    return secrets.token_hex(16)


SUMMARY = {"children": 3, "placed": 2, "unplaced": 1, "placement_cost_gbp_per_year": 77000.0}
PLACEMENTS = (
    "child_id,status,school_id,school_name,reason\n"
    "C001,placed,120001,Ash Field Academy,\n"
    "C002,placed,120002,Keyham Lodge,\n"
    "C003,unplaced,,,no_capacity\n"
)
FAKE_FILES: dict[str, tuple[str, bytes]] = {
    "summary.json": ("application/json", json.dumps(SUMMARY).encode()),
    "placements.csv": ("text/csv", PLACEMENTS.encode()),
    "routes.geojson": ("application/geo+json", b'{"type": "FeatureCollection", "features": []}'),
    "route_sheets.xlsx": (XLSX, b"PK\x03\x04 not really a workbook"),
    "report.html": ("text/html", b"<!doctype html><title>report</title>"),
}


def finish_job(api: Api, job_id: str, *, status: str = "succeeded",
               files: dict[str, tuple[str, bytes]] | None = None) -> None:  # fmt: skip
    """Mark a job finished with result files, as a worker would (tests need no workers)."""
    now = utc_now()
    with api.session() as session:
        values = {"status": status, "finished_at": now, "updated_at": now, "started_at": now}
        session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))
        session.add_all(
            ResultFileRow(job_id=job_id, name=name, media_type=media, content=content)
            for name, (media, content) in (FAKE_FILES if files is None else files).items()
        )
        session.commit()
