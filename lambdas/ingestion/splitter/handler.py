"""S3 ObjectCreated events (through SQS) -> the object's rows in batches on the lead-batches queue."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.budget import BudgetedBatchProcessor
from shared.core.models import S3Notification
from shared.core.observability import correlate, logger
from shared.core.settings import SplitterEnv, load
from shared.ingestion.jobs import JobRepository
from shared.ingestion.splitting import S3Object, Splitter

#: one record (a file) a batch: this only keeps a redelivered file from starting when the function is
#: about to be cut off
RESERVE_S = 30


@cache
def splitter() -> Splitter:
    env = load(SplitterEnv)
    return Splitter(
        jobs=JobRepository(env.JOBS_TABLE),
        queue_url=env.LEAD_BATCHES_QUEUE_URL,
        max_object_bytes=env.MAX_PRESIGNED_UPLOAD_BYTES,
        max_uncompressed_bytes=env.MAX_UNCOMPRESSED_BYTES,
        message_bytes=env.BATCH_MESSAGE_BYTES,
    )


def s3_objects(notification: S3Notification) -> list[S3Object]:
    """The objects of an S3 notification; the test event S3 sends on configuration has none."""
    objects = []
    for record in notification.Records:
        if not record.eventName.startswith("ObjectCreated"):
            continue
        if record.s3 is None:
            raise ValueError(f"an {record.eventName} record without its object")
        # keys arrive quote_plus-encoded, slashes included, on AWS and in moto alike
        key, size, etag = unquote_plus(record.s3.object.key), record.s3.object.size, record.s3.object.etag
        objects.append(S3Object(bucket=record.s3.bucket.name, key=key, size=size, etag=etag))
    return objects


#: the last delivery before the dead-letter queue (maxReceiveCount 3) fails the job instead
GIVE_UP_AT_RECEIVE = 3


def record_handler(record: SQSRecord) -> None:
    correlate(record)
    receives = int(record.attributes.approximate_receive_count or 1)
    for obj in s3_objects(S3Notification.model_validate_json(record.body)):
        logger.append_keys(object_key=obj.key)
        if receives >= GIVE_UP_AT_RECEIVE:
            result = splitter().give_up(obj, receives - 1)
        else:
            result = splitter().split(obj)
        logger.info("object handled", job_id=result.job_id, status=result.status)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    processor = BudgetedBatchProcessor(reserve_s=RESERVE_S)  # per invocation: see store_leads
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
