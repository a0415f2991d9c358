"""POST /leads (web forms), PUT /locations/{dealer}/{location}, GET /leads/{id}/messages, GET /admin/inflight."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import error_response, make_resolver, require_route_role
from shared.core.errors import BadInput
from shared.core.models import DealerLocation
from shared.core.observability import logger
from shared.core.settings import load
from shared.enrichment.standardize import standardize_row
from shared.forms import views
from shared.forms.conversations import ConversationStore
from shared.forms.intake import FormIntake, FormSubmission, LocationPhone
from shared.forms.settings import FormsEnv
from shared.forms.store import FormStore, OpenLeadExists

app = make_resolver()
MAX_KEY_LENGTH = 255


@cache
def intake() -> FormIntake[FormStore, ConversationStore]:
    env = load(FormsEnv)
    return FormIntake(
        store=FormStore(env.FORM_LEADS_TABLE),
        conversations=ConversationStore(env.CONVERSATIONS_TABLE, env.pool),
        forwards_queue_url=env.FORM_FORWARDS_QUEUE_URL,
        default_region=env.DEFAULT_COUNTRY,
    )


@app.post("/leads")
def submit(
    submission: Annotated[FormSubmission, Body()],
    replace: Annotated[bool, Query(description="close the open lead of the same phone, dealer and location")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=MAX_KEY_LENGTH, description="a redelivery gets the first answer"),
    ] = None,
) -> Response[Any]:
    who = require_route_role(app)
    # keys are the caller's own: two integrations choosing the same key do not meet
    scoped = f"{who.user}#{idempotency_key}" if idempotency_key else None
    try:
        status, body = intake().submit(submission, replace=replace, idempotency_key=scoped)
    except OpenLeadExists as exc:
        return error_response(409, exc.message, open_lead_id=exc.open_lead_id, hint="send replace=true to replace it")
    return Response(status, content_types.APPLICATION_JSON, body.model_dump(mode="json"))


@app.put("/locations/<dealer_id>/<location_id>")
def set_location(dealer_id: str, location_id: str, location: Annotated[LocationPhone, Body()]) -> DealerLocation:
    require_route_role(app)
    e164 = to_e164_or_none(location.phone, load(FormsEnv).DEFAULT_COUNTRY)
    if e164 is None:
        raise BadInput(f"{location.phone!r} is not a phone number")
    return intake().store.set_location_phone(dealer_id, location_id, e164)


@app.get("/leads/<lead_id>/messages")
def messages(lead_id: str) -> views.Thread:
    require_route_role(app)
    return views.thread(intake().store, intake().conversations, lead_id)


@app.post("/leads/<lead_id>/close")
def close(lead_id: str) -> views.FormLeadView:
    require_route_role(app)
    return views.close(intake().store, intake().conversations, lead_id)


@app.get("/admin/inflight")
def inflight() -> views.Inflight:
    require_route_role(app)
    return views.inflight(intake().store, intake().conversations)


def to_e164_or_none(phone: str, region: str) -> str | None:
    """The same reading of a phone number as a lead's (so a location's number matches its texts)."""
    return standardize_row({"Phone": phone}, default_region=region).fields.get("phone")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
