"""The candidate set's vectorised admission rule against the scalar one it stands for."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from strategies import TINY_NEEDS, make_child, make_school

from sendplan.routing.model import COHORTS, SCHOOL_TYPES, Child, Policy, School
from sendplan.routing.placement.arrays import group_rows
from sendplan.routing.placement.candidates import admitting, cohort_admits

_schools = st.lists(
    st.builds(
        lambda k, kind, low, span, needs, sex: make_school(
            f"S{k}",
            type=kind,
            age_low=low,
            age_high=min(low + span, 19),
            designations=frozenset(needs),
            sex=sex,
        ),
        st.integers(1, 99),
        st.sampled_from(SCHOOL_TYPES),
        st.integers(2, 19),
        st.integers(0, 8),
        st.sets(st.sampled_from(TINY_NEEDS), min_size=1),
        st.sampled_from(("mixed", "M", "F")),
    ),
    max_size=8,
)
_children = st.builds(
    lambda age, need, sex, cohort: make_child(
        "C1", age=age, primary_need=need, sex=sex, cohort=cohort
    ),
    st.integers(2, 25),
    st.sampled_from(TINY_NEEDS),
    st.sampled_from(("M", "F")),
    st.sampled_from(COHORTS),
)


@given(_schools, _children, st.booleans())
def test_admitting_is_admits_and_the_cohort_rule(
    schools: list[School], child: Child, special_in_dsp: bool
) -> None:
    policy = Policy(special_cohort_in_dsp=special_in_dsp)
    expected = [s.admits(child) and cohort_admits(s, child, policy) for s in schools]
    assert admitting(schools, policy)(child).tolist() == expected


def test_admitting_both_sides_of_each_rule() -> None:
    policy = Policy()
    school = make_school("S1", age_low=5, age_high=11, sex="F")
    girl = make_child("C1", age=5, sex="F")
    assert admitting([school], policy)(girl).tolist() == [True]
    for other in (
        make_child("C1", age=4, sex="F"),
        make_child("C1", age=12, sex="F"),
        make_child("C1", age=5, sex="M"),
        make_child("C1", age=5, sex="F", primary_need="SLD"),
        make_child("C1", age=5, sex="F", cohort="dsp"),
    ):
        assert admitting([school], policy)(other).tolist() == [False]
    provision = make_school("S2", type="resourced_provision")
    assert admitting([provision], policy)(make_child("C1", cohort="dsp")).tolist() == [True]
    assert admitting([provision], policy)(make_child("C1")).tolist() == [False]
    lenient = Policy(special_cohort_in_dsp=True)
    assert admitting([provision], lenient)(make_child("C1")).tolist() == [True]


_row = st.tuples(st.integers(0, 3), st.sampled_from((-1.5, -0.0, 0.0, 2.25)))


@given(st.lists(_row, max_size=30))
def test_group_rows_is_unique_over_rows(rows: list[tuple[int, float]]) -> None:
    ints = np.array([r[0] for r in rows], dtype=np.int64)
    floats = np.array([r[1] for r in rows], dtype=np.float64)
    first, group = group_rows(ints, floats)
    stacked = np.column_stack([ints.astype(np.float64), floats]).reshape(-1, 2)
    _, want_first, want_group = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    assert first.tolist() == want_first.tolist()
    assert group.tolist() == want_group.reshape(-1).tolist()
