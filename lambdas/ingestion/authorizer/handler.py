"""REST API token authorizer: a known token gets a policy naming every route its role may call.

An unknown or missing token raises "Unauthorized", which API Gateway answers with 401. A known
token gets the routes of its role from the wiring's scope table (`ROUTE_ROLES`): API Gateway caches
the policy per token for 60 s and applies it to every route called meanwhile, so the policy lists
all of the role's routes, never only the one called. A route outside it gets API Gateway's 403
before any handler runs; the handlers check the same table again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.auth import TokenStore
from shared.core.observability import logger
from shared.core.scopes import rest_policy
from shared.core.settings import TokensEnv, load


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    header = str(event.get("authorizationToken") or "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Exception("Unauthorized")  # the exact message API Gateway maps to 401
    principal = TokenStore(load(TokensEnv).TOKENS_TABLE).lookup(token.strip())
    if principal is None:
        logger.info("unknown token")
        raise Exception("Unauthorized")
    return {
        "principalId": principal.user,
        "policyDocument": {"Version": "2012-10-17", "Statement": rest_policy(principal.role, event["methodArn"])},
        "context": {"role": principal.role.value, "user": principal.user},
    }
