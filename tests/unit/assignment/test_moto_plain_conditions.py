"""The local AWS's transactions evaluate plain conditions without moto's parser, with moto's answers.

`leadflow.local.moto_patches.transactions` builds moto's own condition tree for conditions made of
equalities and attribute_(not_)exists joined by AND; everything else, and anything moto would
refuse, goes to moto's parser. Each condition here is evaluated both ways on the same items.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from leadflow.local.moto_patches.transactions import _plain_condition

NAMES = {"#s": "status", "#q": "queue"}
VALUES: dict[str, Any] = {
    ":busy": {"S": "busy"},
    ":w": {"S": "waiting"},
    ":five": {"N": "5"},
    ":five_s": {"S": "5"},
    ":yes": {"BOOL": True},
    ":u": {"S": "agent-1"},
}
ITEMS = [
    None,
    {},
    {"status": {"S": "busy"}, "queue": {"S": "waiting"}, "n": {"N": "5"}},
    {"status": {"S": "online"}, "n": {"N": "5.0"}, "assigned_to": {"S": "agent-1"}, "flag": {"BOOL": True}},
    {"status": {"S": "busy"}, "n": {"S": "5"}, "assigned_to": {"S": "agent-2"}, "queue": {"N": "1"}},
]
PLAIN = [
    "attribute_not_exists(email_id)",
    "attribute_exists(assigned_to)",
    "#s = :busy",
    "#q = :w AND #s = :busy AND attribute_not_exists(assigned_to)",
    "n = :five",
    "n = :five_s",
    "flag = :yes AND attribute_exists(#s)",
    "assigned_to = :u AND attribute_exists(flag)",
    "attribute_exists( n ) AND n=:five",
]
NOT_PLAIN = [
    "#s = :busy OR n = :five",  # OR
    "n > :five",  # another comparison
    "m.k = :u",  # a nested path
    "status = :busy",  # a reserved word, which moto refuses
    "#nobody = :u",  # no such name
    "n = :missing",  # no such value
    "(#s = :busy)",  # parentheses
    "begins_with(assigned_to, :u)",
]


def _item(attrs: dict[str, Any] | None) -> Item | None:
    if attrs is None:
        return None
    return Item(DynamoType({"S": "key"}), None, {"id": {"S": "key"}, **attrs})


@pytest.mark.parametrize("expression", PLAIN)
def test_plain_conditions_answer_as_moto_does(expression: str) -> None:
    plain = _plain_condition(expression, NAMES, VALUES)
    assert plain is not None
    theirs = get_filter_expression(expression, NAMES, VALUES)
    answers = [(plain.expr(_item(i)), theirs.expr(_item(i))) for i in ITEMS]
    assert [mine for mine, _ in answers] == [own for _, own in answers]
    assert {mine for mine, _ in answers} == {True, False} or expression == "attribute_not_exists(email_id)"


@pytest.mark.parametrize("expression", NOT_PLAIN)
def test_anything_else_is_left_to_moto(expression: str) -> None:
    assert _plain_condition(expression, NAMES, VALUES) is None
