"""Amazon Connect contact-flow event -> the caller's vanity numbers as a flat map of strings."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.core.observability import logger
from shared.core.settings import ConnectEnv, load
from shared.phone.calls import CallService, graceful_answer
from shared.phone.vanity.index import VanityIndex


class _Endpoint(BaseModel):
    Address: str | None = None


class _ContactData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ContactId: str
    CustomerEndpoint: _Endpoint | None = None


class _Details(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ContactData: _ContactData


class ConnectEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Details: _Details
    Name: str = Field(default="ContactFlowEvent")


@cache
def service() -> CallService:
    env = load(ConnectEnv)
    return CallService(
        calls_table=env.CALLS_TABLE,
        lead_queue_url=env.LEAD_BATCHES_QUEUE_URL,
        default_region=env.DEFAULT_COUNTRY,
        window=timedelta(minutes=env.CALLER_WINDOW_MINUTES),
    )


# loaded in the cold start, not on the caller's line: Connect gives the flow 8 seconds
VanityIndex.load()


@logger.inject_lambda_context(correlation_id_path="Details.ContactData.ContactId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    try:
        contact = ConnectEvent.model_validate(event).Details.ContactData
    except ValidationError:
        logger.warning("not a contact-flow event")
        return graceful_answer("the event is not an Amazon Connect contact-flow event")
    logger.append_keys(contact_id=contact.ContactId)
    address = contact.CustomerEndpoint.Address if contact.CustomerEndpoint else None
    return service().handle(contact.ContactId, address)
