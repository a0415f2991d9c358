"""Lead batches from SQS -> standardized, deduplicated, stored leads; failures reported one by one."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.budget import BudgetedBatchProcessor
from shared.core.observability import correlate, logger, metrics
from shared.core.settings import StoreLeadsEnv, load
from shared.enrichment.enricher import Enricher
from shared.enrichment.llm.store_assist import assist_from_env
from shared.enrichment.storing import LeadStore
from shared.ingestion.jobs import JobRepository

#: the longest one record may take (it may wait on the LLM provider, with retries, before the rules take
#: over); with less time left the rest of the batch comes back
RESERVE_S = 90


@cache
def jobs() -> JobRepository:
    return JobRepository(load(StoreLeadsEnv).JOBS_TABLE)


@cache
def enricher() -> Enricher:
    # one per execution environment: its layout cache and LLM client live as long as it does
    env = load(StoreLeadsEnv)
    return Enricher(leads_table=env.LEADS_TABLE, default_region=env.DEFAULT_COUNTRY, assist=assist_from_env())


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # one store (and its job-status cache) and one processor per invocation: cheap, and safe
    # when the local runtime runs several invocations of this function at once
    env = load(StoreLeadsEnv)
    store = LeadStore(jobs=jobs(), enricher=enricher(), event_bus=env.EVENT_BUS, data_bucket=env.DATA_BUCKET)

    def record_handler(record: SQSRecord) -> None:
        correlate(record)
        store.store_batch(record.body)

    processor = BudgetedBatchProcessor(reserve_s=RESERVE_S)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
