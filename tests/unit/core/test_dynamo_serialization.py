"""to_attr's inline fast path gives exactly what boto3's TypeSerializer gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from shared.core.dynamo import from_attr, to_attr

_boto3 = TypeSerializer()

scalars = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.integers(min_value=-(10**37), max_value=10**37),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9),
    st.binary(max_size=8),
    st.frozensets(st.text(min_size=1, max_size=5), min_size=1, max_size=3).map(set),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=8))
def test_to_attr_matches_boto3(item: dict[str, Any]) -> None:
    expected = {k: _boto3.serialize(v) for k, v in item.items() if v is not None}
    assert to_attr(item) == expected


def test_round_trip_of_a_lead_like_item() -> None:
    item = {"lead_id": "l1", "version": 3, "sources": ["a", "b"], "attributes": {"x": "1", "n": None}, "ok": True}
    assert from_attr(to_attr(item)) == {**item, "attributes": {"x": "1", "n": None}}


def test_what_boto3_refuses_is_still_refused() -> None:
    with pytest.raises(TypeError):
        to_attr({"f": 1.5})
    with pytest.raises(Exception):  # noqa: B017 (boto3 raises decimal's Inexact/Rounded)
        to_attr({"big": 10**40})
    assert to_attr({"d": Decimal("1.5")}) == {"d": {"N": "1.5"}}
