"""REST API token authorizer: a known token is allowed, with its role and user in the context.

An unknown or missing token raises "Unauthorized", which API Gateway answers with 401. Which
role a route needs is checked by the route's handler (403), so one cached policy serves every
route of the API.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.auth import TokenStore
from shared.core.observability import logger
from shared.core.settings import TokensEnv, load


def _api_wildcard(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> every route of this stage
    api, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{api}/{stage}/*"


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
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _api_wildcard(event["methodArn"])}
            ],
        },
        "context": {"role": principal.role.value, "user": principal.user},
    }
