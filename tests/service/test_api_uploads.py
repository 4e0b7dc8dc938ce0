"""The JSON upload's translation to the files a user would write: TOML that reads back as the
JSON it came from (property test), CSV cells in the loader's list form."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendplan.api.service.problems import Problem
from sendplan.api.service.uploads import toml_document

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
SCALARS = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), TEXT,
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, VALUES, max_size=6))
def test_toml_reads_back_as_the_json(document: dict[str, Any]) -> None:
    assert tomllib.loads(toml_document(document, "policy.toml")) == document


def test_null_keys_are_left_out_and_nested_null_refused() -> None:
    assert tomllib.loads(toml_document({"a": None, "b": 1}, "policy.toml")) == {"b": 1}
    with pytest.raises(Problem) as caught:
        toml_document({"a": [1, None]}, "policy.toml")
    assert caught.value.status == 422 and caught.value.errors[0].field == "a"  # type: ignore[index]


def test_scenario_date_is_a_toml_date() -> None:
    import datetime

    parsed = tomllib.loads(toml_document({"as_of": "2025-01-16"}, "scenario.toml"))
    assert parsed == {"as_of": datetime.date(2025, 1, 16)}
