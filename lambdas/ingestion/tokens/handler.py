"""Tokens (admin only): POST /tokens makes one (shown once), GET /tokens lists them without their
secrets, DELETE /tokens/{token_id} revokes one. Creation and revocation are audit events (a log line
with the key `audit`, and token.created / token.revoked on the bus); token.revoked names the
WebSocket connections opened with the token, which the assignment domain closes."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.auth import TokenStore, parse_expiry, public_view
from shared.core.errors import NotFound
from shared.core.events import EventBridge
from shared.core.models import TokenRequest
from shared.core.observability import logger
from shared.core.settings import TokensApiEnv, load
from shared.core.token_audit import CREATED, REVOKED, audit

app = make_resolver()


@cache
def store() -> TokenStore:
    return TokenStore(load(TokensApiEnv).TOKENS_TABLE)


@app.post("/tokens")
def create(request: Annotated[TokenRequest, Body()]) -> Response[Any]:
    who = require_route_role(app)
    env = load(TokensApiEnv)
    role = request.role
    user = request.user or f"{role.value}-user"
    expires_at = parse_expiry(request.expires) if request.expires else None
    created = store().issue(
        role=role, user=user, created_by=who.user, expires_at=expires_at, default_days=env.TOKEN_EXPIRY_DAYS
    )
    audit(CREATED, created.record, by=who.user, bus=env.EVENT_BUS, events=EventBridge())
    view = public_view(created.record)
    return Response(201, content_types.APPLICATION_JSON, {"token": created.token, **view})


@app.get("/tokens")
def listing() -> dict[str, Any]:
    require_route_role(app)
    return {"tokens": store().listing()}


@app.delete("/tokens/<token_id>")
def revoke(
    token_id: Annotated[str, Path(max_length=64, description="the token's public id (tok_...)")],
) -> dict[str, Any]:
    who = require_route_role(app)
    revoked = store().revoke(token_id, by=who.user)
    if revoked is None:
        # the same sentence for a malformed id and an unknown one
        raise NotFound("no token with that id")
    # revoked before: announced again (a failed publish the first time must not leave connections
    # open), marked `repeated` so the audit trail does not count two revocations
    audit(
        REVOKED,
        revoked.record,
        by=who.user,
        bus=load(TokensApiEnv).EVENT_BUS,
        events=EventBridge(),
        connection_ids=revoked.connection_ids,
        just_opened=revoked.just_opened,
        repeated=not revoked.changed,
    )
    return public_view(revoked.record)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
