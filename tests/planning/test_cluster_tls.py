"""The local Dask cluster speaks TLS only: a client without its in-memory certificate (another
user of the machine, say) cannot connect to the loopback scheduler and run code in our workers."""

from __future__ import annotations

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
