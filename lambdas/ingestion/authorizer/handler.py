"""REST API token authorizer: a valid token gets a policy naming every route its role may call.

A missing, malformed, unknown, expired or revoked token raises "Unauthorized", which API Gateway
answers with the same 401 for all of them (the log says which, by token id where there is one; the
caller learns nothing about which tokens exist). A valid token gets the routes of its role from the
wiring's scope table (`ROUTE_ROLES`): API Gateway caches the policy per token for 60 s and applies
it to every route called meanwhile, so the policy lists all of the role's routes, never only the one
called, and a revocation or expiry takes effect within those 60 s. A route outside it gets API
Gateway's 403 before any handler runs; the handlers check the same table again.

"Last used" is written at most once per token per 15 minutes (`TokenStore.note_use`): a conditional
update, skipped when the record just read is recent enough; a failure to write it never refuses a
valid token.
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
        logger.info("token refused", reason="no bearer token")
        raise Exception("Unauthorized")  # the exact message API Gateway maps to 401
    store = TokenStore(load(TokensEnv).TOKENS_TABLE)
    checked = store.check(token.strip())
    principal = checked.principal
    if principal is None:
        logger.info("token refused", reason=str(checked.refusal), token_id=(checked.record or {}).get("token_id"))
        raise Exception("Unauthorized")
    try:
        store.note_use(checked)
    except Exception as exc:  # last-used is bookkeeping: never refuse a valid token over it
        logger.warning("last used not recorded", token_id=principal.token_id, error=str(exc))
    return {
        "principalId": principal.user,
        "policyDocument": {"Version": "2012-10-17", "Statement": rest_policy(principal.role, event["methodArn"])},
        "context": {
            "role": principal.role.value,
            "user": principal.user,
            "token_id": principal.token_id,
            "expires_at": principal.expires_at,
        },
    }
