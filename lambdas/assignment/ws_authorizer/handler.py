"""WebSocket $connect authorizer (REQUEST): the token comes in the query string (`?token=...`).

A missing, malformed, unknown, expired or revoked token raises "Unauthorized" (API Gateway answers
401, the same for each); a valid token whose role the scope table (`ROUTE_ROLES`, from the wiring)
does not name for `$connect` gets a Deny (403). An allowed connection is recorded on the token's
item (`TokenStore.open_connection`, conditional on the token not being revoked), so a revocation
finds and closes it; a revocation that got in first refuses it. The role, user, token id and expiry
go into the context, which API Gateway passes to every route of the connection.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.auth import TokenStore
from shared.core.observability import logger
from shared.core.scopes import may_call
from shared.core.settings import TokensEnv, load


def _policy(principal_id: str, effect: str, event: dict[str, Any], context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": context,
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = str((event.get("queryStringParameters") or {}).get("token") or "").strip()
    if not token:
        raise Exception("Unauthorized")  # the exact message API Gateway maps to 401
    store = TokenStore(load(TokensEnv).TOKENS_TABLE)
    checked = store.check(token)
    principal = checked.principal
    if principal is None:
        logger.info(
            "token refused on $connect", reason=str(checked.refusal), token_id=(checked.record or {}).get("token_id")
        )
        raise Exception("Unauthorized")
    identity = {
        "role": principal.role.value,
        "user": principal.user,
        "token_id": principal.token_id,
        "expires_at": principal.expires_at,
    }
    if not may_call(principal.role, "$connect"):
        return _policy(principal.user, "Deny", event, identity)
    connection_id = str((event.get("requestContext") or {}).get("connectionId") or "")
    if not connection_id or not store.open_connection(checked, connection_id):
        logger.info("token refused on $connect", reason="revoked meanwhile", token_id=principal.token_id)
        raise Exception("Unauthorized")
    return _policy(principal.user, "Allow", event, identity)
