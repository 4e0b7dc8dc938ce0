"""The local Dask cluster speaks TLS only: a client without its in-memory certificate (another
user of the machine, say) cannot connect to the loopback scheduler and run code in our workers."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from distributed import Client

from sendplan.routing.planning.cluster import dask_client


def _inc(x: int) -> int:
    return x + 1


def test_the_local_cluster_runs_tasks_and_refuses_strangers() -> None:
    with dask_client(workers=1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(_inc, 1, pure=False).result() == 2
        for stranger in (address, address.replace("tls://", "tcp://")):
            with pytest.raises((OSError, TypeError, ValueError)):
                Client(stranger, timeout=3).close()


def _http_port(dask_scheduler: Any) -> int:
    return int(dask_scheduler.http_server.port)


def test_the_local_cluster_serves_no_status_pages() -> None:
    # Dask's pages show worker logs and call stacks to anyone on the machine, without a login.
    with dask_client(workers=1) as client:
        port = client.run_on_scheduler(_http_port)
        for path in ("/info/main/workers.html", "/health", "/metrics", "/statics/"):
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            assert answer.value.code == 404, path
