"""`sendplan bench api`: the service under load, as a user would run it.

:func:`bench_api` starts ``sendplan serve`` on loopback in a subprocess (a temporary SQLite
database, its own secret, ``workers`` solve workers), creates an admin key, uploads a small
synthetic Leicester scenario, then runs ``clients`` concurrent HTTP clients for ``seconds``: each
creates a placement job and polls its status, again and again. It reports requests, errors, the
p50/p95 latency of job submission and of status calls as the clients saw them and as the service
timed them itself (its Server-Timing header: on a shared machine the clients' own queueing
counts in the first), and the jobs the workers ran meanwhile (evidence that the web process
answered while the solves ran elsewhere). The clients use aiohttp, which takes a fraction of
httpx's CPU per request: on a small machine the load generator shares the cores with the service
it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import httpx

STARTUP_TIMEOUT_S = 120.0
POLLS_PER_JOB = 3
POLL_PAUSE_S = 0.2
BENCH_CHILDREN = 300
KEEPALIVE_S = 4.0


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile_ms(samples_s: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``samples_s`` in milliseconds (None when empty)."""
    if not samples_s:
        return None
    ordered = sorted(samples_s)
    # The smallest sample with at least ``fraction`` of them at or below it (the epsilon keeps
    # 0.95 * 60 = 57.00000000000001 at rank 57).
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered) - 1e-9)))
    return round(ordered[rank - 1] * 1000, 2)


def server_time_s(headers: Mapping[str, str]) -> float:
    """The service's own time for one call, from its ``Server-Timing: app;dur=MS`` header."""
    for part in headers.get("server-timing", "").split(";"):
        if part.strip().startswith("dur="):
            return float(part.strip()[4:]) / 1000
    raise ValueError("the answer has no Server-Timing duration")


def latency(samples_s: Sequence[float]) -> dict[str, Any]:
    return {"n": len(samples_s), "p50_ms": percentile_ms(samples_s, 0.5),
            "p95_ms": percentile_ms(samples_s, 0.95)}  # fmt: skip


def scenario_folder(folder: Path, *, children: int = BENCH_CHILDREN) -> Path:
    """A small synthetic Leicester scenario as CSV files in ``folder``."""
    from sendplan.api.defaults import leicester_scenario
    from sendplan.api.writer import write_scenario

    write_scenario(leicester_scenario(seed=1, n_children=children), folder)
    return folder


def start_service(
    *, database_url: str, secret_key: str, port: int, workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """`sendplan serve` on 127.0.0.1:``port`` in a new process group, logging to ``log_path``."""
    env = {**os.environ, "SENDPLAN_DATABASE_URL": database_url,
           "SENDPLAN_SECRET_KEY": secret_key, "SENDPLAN_PRODUCTION": "false"}  # fmt: skip
    command = [sys.executable, "-m", "sendplan.api.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    with log_path.open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the service did not answer /health within {timeout_s:.0f} s")


def stop_service(process: subprocess.Popen[bytes], *, grace_s: float = 30.0) -> None:
    """SIGINT (uvicorn and the workers shut down), then SIGKILL of the group if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def create_admin_key(database_url: str) -> str:
    from sendplan.api.service.db import make_engine, migrate, session_factory
    from sendplan.api.service.routers.keys import create_key

    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            _, secret = create_key(
                session, tenant="856", role="admin", label="bench", actor="bench"
            )
    finally:
        engine.dispose()
    return secret


async def _load(
    base_url: str, key: str, scenario_id: str, *, clients: int, seconds: float, iterations: int
) -> dict[str, Any]:
    # Per call kind: what the clients saw, and the service's own time (its Server-Timing header).
    submit: tuple[list[float], list[float]] = ([], [])
    status: tuple[list[float], list[float]] = ([], [])
    untimed: tuple[list[float], list[float]] = ([], [])  # the monitor's calls: not reported
    errors: Counter[str] = Counter()
    seen_running = 0
    requests = 0
    deadline = time.monotonic() + seconds
    # Idle connections expire before uvicorn's 5 s keep-alive does, so no request races a close.
    connector = aiohttp.TCPConnector(limit=clients + 2, keepalive_timeout=KEEPALIVE_S)
    headers = {"X-API-Key": key}
    async with aiohttp.ClientSession(base_url=base_url, headers=headers, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:  # fmt: skip

        async def timed(
            samples: tuple[list[float], list[float]], method: str, url: str, **kw: Any
        ) -> Any:
            nonlocal requests
            requests += 1
            start = time.perf_counter()
            try:
                async with http.request(method, url, **kw) as response:
                    body = await response.read()
            except (aiohttp.ClientError, TimeoutError) as err:
                errors[type(err).__name__] += 1
                return None
            samples[0].append(time.perf_counter() - start)
            samples[1].append(server_time_s(response.headers))
            if response.status >= 400:
                errors[str(response.status)] += 1
                return None
            return json.loads(body)

        async def client(number: int) -> None:
            seed = number * 100_000
            while time.monotonic() < deadline:
                seed += 1
                body = {"kind": "placement", "seed": seed, "iterations": iterations}
                job = await timed(submit, "POST", f"/scenarios/{scenario_id}/jobs", json=body)
                if job is None:
                    continue
                for _ in range(POLLS_PER_JOB):
                    if time.monotonic() >= deadline:
                        break
                    await asyncio.sleep(POLL_PAUSE_S)
                    await timed(status, "GET", f"/jobs/{job['id']}")

        async def monitor() -> None:
            nonlocal seen_running
            while time.monotonic() < deadline:
                listed = await timed(untimed, "GET", "/jobs", params={"status": "running"})
                if listed is not None:
                    seen_running = max(seen_running, len(listed["items"]))
                await asyncio.sleep(0.5)

        await asyncio.gather(monitor(), *(client(i) for i in range(clients)))
        counts = {}
        for state in ("queued", "submitted", "running", "succeeded", "failed", "cancelled"):
            listed = await timed(untimed, "GET", "/jobs", params={"status": state, "limit": 1000})
            counts[state] = len(listed["items"]) if listed is not None else None
    return {
        "requests": requests,
        "errors": sum(errors.values()),
        "error_kinds": dict(sorted(errors.items())),
        "submit": latency(submit[0]),
        "status": latency(status[0]),
        "submit_server": latency(submit[1]),
        "status_server": latency(status[1]),
        "workers_busy": {"max_running_seen": seen_running, "jobs_at_end": counts},
    }


def bench_api(
    *,
    clients: int,
    seconds: float,
    workers: int = 2,
    iterations: int = 50,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Run the load test (see the module's docstring); one JSON-ready dict. ``database_url``:
    a scratch database to use instead of a temporary SQLite file (the bench leaves its rows)."""
    with tempfile.TemporaryDirectory(prefix="sendplan-bench-api-") as tmp:
        folder = Path(tmp)
        database_url = database_url or f"sqlite:///{folder / 'bench.db'}"
        secret_key = secrets.token_urlsafe(48)
        key = create_admin_key(database_url)
        files = scenario_folder(folder / "scenario")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        process = start_service(database_url=database_url, secret_key=secret_key, port=port,
                                workers=workers, log_path=folder / "serve.log")  # fmt: skip
        try:
            wait_healthy(base_url, process, STARTUP_TIMEOUT_S)
            upload = [("files", (p.name, p.read_bytes(), "text/csv"))
                      for p in sorted(files.iterdir())]  # fmt: skip
            response = httpx.post(f"{base_url}/scenarios", files=upload,
                                  headers={"X-API-Key": key}, timeout=60)  # fmt: skip
            response.raise_for_status()
            scenario_id = response.json()["id"]
            started = time.monotonic()
            result = asyncio.run(_load(base_url, key, scenario_id, clients=clients,
                                       seconds=seconds, iterations=iterations))  # fmt: skip
            elapsed_s = time.monotonic() - started
        finally:
            stop_service(process)
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    return {"clients": clients, "seconds": seconds, "workers": workers, "database": backend,
            "scenario_children": BENCH_CHILDREN, "elapsed_s": round(elapsed_s, 2),
            **result}  # fmt: skip
