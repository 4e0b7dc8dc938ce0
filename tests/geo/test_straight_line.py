"""The straight-line travel model: distances, speed bands, symmetry."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sendplan.geo.straight_line import StraightLineModel, haversine_m

lon = st.floats(-2.0, 0.0)
lat = st.floats(52.0, 53.5)


def test_haversine_known_distance() -> None:
    # Leicester Clock Tower to Nottingham Council House: about 35.3 km (0.317 deg of latitude).
    d = haversine_m(
        np.array([-1.1335]), np.array([52.6363]), np.array([-1.1497]), np.array([52.9536])
    )
    assert abs(float(d[0]) - 35_300) < 500


def test_speed_bands_piecewise() -> None:
    model = StraightLineModel(circuity_factor=1.0)
    seconds = model._seconds(np.array([1_000.0, 2_000.0, 10_000.0, 20_000.0]))
    expected = [
        1_000 / (20 / 3.6),
        2_000 / (20 / 3.6),
        2_000 / (20 / 3.6) + 8_000 / (32 / 3.6),
        2_000 / (20 / 3.6) + 8_000 / (32 / 3.6) + 10_000 / (60 / 3.6),
    ]
    np.testing.assert_allclose(seconds, expected)


@given(lon, lat, lon, lat)
def test_matrix_matches_pairs_and_is_symmetric(a: float, b: float, c: float, d: float) -> None:
    model = StraightLineModel()
    pts = np.array([[a, b], [c, d]])
    seconds, metres = model.matrix(pts, pts)
    pair_s, pair_m = model.pairs(pts, pts[::-1])
    np.testing.assert_allclose(seconds, seconds.T)
    np.testing.assert_allclose([seconds[0, 1], seconds[1, 0]], pair_s)
    np.testing.assert_allclose([metres[0, 1], metres[1, 0]], pair_m)
    assert np.all(np.diag(seconds) == 0)


@given(lon, lat, st.floats(0.001, 0.5))
def test_time_grows_with_distance(a: float, b: float, step: float) -> None:
    model = StraightLineModel()
    origin = np.array([[a, b], [a, b]])
    dest = np.array([[a + step, b], [a + 2 * step, b]])
    seconds, _ = model.pairs(origin, dest)
    assert seconds[1] > seconds[0]
