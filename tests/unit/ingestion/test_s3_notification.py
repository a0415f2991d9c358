"""The splitter reads S3's notifications through `S3Notification`: created objects only, keys decoded."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from lambdas.ingestion.splitter.handler import s3_objects
from shared.core.models import S3Notification
from shared.ingestion.splitting import S3Object


def _record(event: str, key: str, size: int = 10) -> dict[str, object]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event,
        "s3": {
            "bucket": {"name": "uploads", "arn": "arn:aws:s3:::uploads"},
            "object": {"key": key, "size": size, "eTag": "abc", "sequencer": "0A1"},
        },
    }


def test_created_objects_with_their_keys_decoded() -> None:
    body = json.dumps(
        {
            "Records": [
                _record("ObjectCreated:Put", "uploads/J1/my+file%281%29.csv"),
                _record("ObjectRemoved:Delete", "x"),
            ]
        }
    )
    objects = s3_objects(S3Notification.model_validate_json(body))
    assert objects == [S3Object(bucket="uploads", key="uploads/J1/my file(1).csv", size=10, etag="abc")]


@pytest.mark.parametrize(
    "body",
    [
        {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "uploads"},
        {"Records": [{"eventName": "s3:TestEvent"}]},
    ],
)
def test_the_test_event_s3_sends_on_configuration_has_no_objects(body: dict[str, object]) -> None:
    assert s3_objects(S3Notification.model_validate_json(json.dumps(body))) == []


def test_a_created_object_without_its_object_is_an_error() -> None:
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]})
    with pytest.raises(ValueError, match="ObjectCreated:Put record without its object"):
        s3_objects(S3Notification.model_validate_json(body))


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps({"Records": [{"s3": {"bucket": {}}}]}), json.dumps({"Records": "x"})],
)
def test_a_malformed_notification_is_refused(body: str) -> None:
    with pytest.raises(ValidationError):
        S3Notification.model_validate_json(body)
