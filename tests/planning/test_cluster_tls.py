"""The local Dask cluster speaks TLS only: a client without its in-memory certificate (another
user of the machine, say) cannot connect to the loopback scheduler and run code in our workers."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import warnings

import psutil
import pytest
from distributed import Client
from distributed.comm.core import CommClosedError

from sendplan.routing.planning import cluster
from sendplan.routing.planning.cluster import dask_client


def _inc(x: int) -> int:
    return x + 1


def test_the_local_cluster_runs_tasks_and_refuses_strangers() -> None:
    with dask_client(workers=1) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(_inc, 1, pure=False).result() == 2
        for stranger in (address, address.replace("tls://", "tcp://")):
            gc.collect()
            with pytest.raises((OSError, TypeError, ValueError)):
                Client(stranger, timeout=3).close()
            # The refused Client is garbage in a reference cycle (its traceback): collect it
            # now. Collected inside the next Client's start, its __del__ stops the shared loop
            # runner whose lock that start holds, and the test hangs (seen once in a suite).
            gc.collect()


def _listening_ports(pids: set[int]) -> set[int]:
    ports = set()
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN:
                ports.add(conn.laddr.port)
    return ports


def _family() -> set[int]:
    me = psutil.Process()
    return {me.pid, *(child.pid for child in me.children(recursive=True))}


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_the_local_cluster_opens_no_http_port_and_does_not_warn() -> None:
    # Dask's pages show worker logs and call stacks to anyone on the machine, without a login;
    # and Dask starts its HTTP server (scheduler on 8787, each worker on a free port) even
    # when told there is no dashboard. With 8787 taken, it used to warn on stderr, too.
    before = _listening_ports(_family())
    with contextlib.ExitStack() as stack:
        taken = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        with contextlib.suppress(OSError):  # already taken by someone else: just as good
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        client = stack.enter_context(dask_client(workers=2))
        info = client.scheduler_info()
        comm_ports = {_port(client.scheduler.address)}
        for address, worker in info["workers"].items():
            comm_ports |= {_port(address), _port(worker["nanny"])}
            assert worker["services"] == {}
        assert info["services"] == {} and client.dashboard_link == ""
        opened = _listening_ports(_family()) - before - {8787}
        assert opened == comm_ports
        assert client.submit(_inc, 1, pure=False).result() == 2
    assert not [w for w in caught if "already in use" in str(w.message)]


@pytest.mark.parametrize("name", cluster.DASK_CONNECTION_LOGGERS)
def test_a_lost_connection_is_logged_without_a_traceback(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger(name)
    with caplog.at_level(logging.ERROR, logger=name):
        try:
            raise CommClosedError("in <TLS (closed) heartbeat_worker>: Stream is closed")
        except CommClosedError:
            logger.exception("Failed to communicate with scheduler during %s.", "heartbeat")
        try:
            raise RuntimeError("a real failure")
        except RuntimeError:
            logger.exception("Task failed")
    lost, real = caplog.records[-2:]
    assert lost.exc_info is None and "Traceback" not in caplog.text.split("Task failed")[0]
    assert lost.getMessage() == (
        "Failed to communicate with scheduler during heartbeat. "
        "(in <TLS (closed) heartbeat_worker>: Stream is closed)"
    )
    assert real.exc_info is not None and "RuntimeError: a real failure" in caplog.text
