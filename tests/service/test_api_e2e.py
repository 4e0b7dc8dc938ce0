"""End to end with real processes: `sendplan serve --workers 1` on a free loopback port, a key
from `sendplan keys create`, a CSV upload and a placement job run by the worker to success."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
from api_support import multipart, scenario_files

from sendplan.api.service.loadtest import free_port, start_service, stop_service, wait_healthy

JOB_WAIT_S = 300  # a bound on a hung service, not a timing assertion


def test_serve_runs_a_placement_job_to_success(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'service.db'}"
    secret_key = secrets.token_urlsafe(48)
    env = {**os.environ, "SENDPLAN_DATABASE_URL": database_url, "SENDPLAN_SECRET_KEY": secret_key}
    made = subprocess.run(
        [sys.executable, "-m", "sendplan.api.cli", "keys", "create", "--tenant", "856",
         "--role", "admin", "--label", "e2e"],
        env=env, capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    key = made.stdout.strip()
    assert key.startswith("sp_") and key not in made.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_service(database_url=database_url, secret_key=secret_key, port=port,
                            workers=1, log_path=tmp_path / "serve.log")  # fmt: skip
    try:
        wait_healthy(base, process, 120)
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as http:
            assert http.get("/scenarios", headers={"X-API-Key": ""}).status_code == 401
            created = http.post("/scenarios", files=multipart(scenario_files()))
            assert created.status_code == 201, created.text
            scenario = created.json()["id"]
            job = http.post(f"/scenarios/{scenario}/jobs",
                            json={"kind": "placement", "seed": 3})  # fmt: skip
            assert job.status_code == 202
            url = job.headers["location"]
            deadline = time.monotonic() + JOB_WAIT_S
            status = http.get(url).json()
            while status["status"] not in ("succeeded", "failed", "cancelled"):
                assert time.monotonic() < deadline, f"job still {status['status']}"
                time.sleep(0.5)
                status = http.get(url).json()
            assert status["status"] == "succeeded", status
            assert status["attempts"] == 1 and status["started_at"] and status["finished_at"]
            summary = http.get(f"{url}/summary").json()
            assert summary["children"] == 3
            placements = http.get(f"{url}/placements").json()
            assert {row["child_id"] for row in placements["rows"]} == {"C001", "C002", "C003"}
            trail = [row["action"] for row in http.get("/audit").json()["items"]]
            assert {"job.create", "job.running", "job.succeeded"} <= set(trail)
    finally:
        stop_service(process)
    assert process.returncode is not None
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def test_serve_refuses_a_placeholder_secret_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SENDPLAN_SECRET_KEY": "changeme",
           "SENDPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "sendplan.api.cli", "serve", "--port", "1"],
                          env=env, capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) <= 2 and "SENDPLAN_SECRET_KEY" in done.stderr  # rich may wrap the line
    assert "Traceback" not in done.stderr and not (tmp_path / "never.db").exists()
