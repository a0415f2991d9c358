"""POST /tokens: an admin creates a token for a role and a user; it is shown once."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.api import make_resolver, require_route_role
from shared.core.auth import TokenRequest, TokenStore
from shared.core.observability import logger
from shared.core.settings import TokensEnv, load

app = make_resolver()


@cache
def store() -> TokenStore:
    return TokenStore(load(TokensEnv).TOKENS_TABLE)


@app.post("/tokens")
def create(request: Annotated[TokenRequest, Body()]) -> Response[Any]:
    who = require_route_role(app)
    role = request.role
    user = request.user or f"{role.value}-user"
    token = store().create(role=role, user=user, created_by=who.user)
    logger.info("token created", role=role.value, user=user, by=who.user)
    return Response(201, content_types.APPLICATION_JSON, {"token": token, "role": role.value, "user": user})


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
