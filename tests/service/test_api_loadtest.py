"""The load test's latency figures: nearest-rank percentiles of the samples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendplan.api.service.loadtest import latency, percentile_ms


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=200),
       st.sampled_from([0.5, 0.95]))  # fmt: skip
def test_percentile_is_the_nearest_rank_sample(samples: list[float], fraction: float) -> None:
    value = percentile_ms(samples, fraction)
    assert value is not None
    ordered = sorted(samples)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    assert value == round(ordered[rank - 1] * 1000, 2)
    assert sum(s * 1000 <= value + 0.005 for s in samples) >= fraction * len(samples)


def test_latency_of_no_samples() -> None:
    assert latency([]) == {"n": 0, "p50_ms": None, "p95_ms": None}
    assert latency([0.001, 0.002, 0.003]) == {"n": 3, "p50_ms": 2.0, "p95_ms": 3.0}


def test_server_time_is_read_from_the_server_timing_header() -> None:
    from sendplan.api.service.loadtest import server_time_s

    assert server_time_s({"server-timing": "app;dur=12.5"}) == 0.0125
    with pytest.raises(ValueError, match="Server-Timing"):
        server_time_s({"server-timing": "app"})
    with pytest.raises(ValueError, match="Server-Timing"):
        server_time_s({})
