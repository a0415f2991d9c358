"""WebSocket $connect authorizer (REQUEST): the token comes in the query string (`?token=...`).

A missing or unknown token raises "Unauthorized" (API Gateway answers 401); a known token whose
role the scope table (`ROUTE_ROLES`, from the wiring) does not name for `$connect` gets a Deny
(403). The role and user go into the context, which API Gateway passes to every route of the
connection.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.auth import TokenStore
from shared.core.observability import logger
from shared.core.scopes import may_call
from shared.core.settings import TokensEnv, load


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = str((event.get("queryStringParameters") or {}).get("token") or "").strip()
    if not token:
        raise Exception("Unauthorized")  # the exact message API Gateway maps to 401
    principal = TokenStore(load(TokensEnv).TOKENS_TABLE).lookup(token)
    if principal is None:
        logger.info("unknown token on $connect")
        raise Exception("Unauthorized")
    effect = "Allow" if may_call(principal.role, "$connect") else "Deny"
    return {
        "principalId": principal.user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"role": principal.role.value, "user": principal.user},
    }
