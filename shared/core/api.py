"""What every REST handler shares: the Powertools resolver, domain errors mapped to HTTP once,
and the role check against the authorizer's context."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types

from shared.core.auth import Principal, Role
from shared.core.errors import DomainError, Forbidden, Unauthorized
from shared.core.observability import logger


def error_response(status: int, message: str, **extra: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": message, **extra})


#: the browser console calls the API from its own origin: answers carry CORS headers (preflights
#: are answered by API Gateway); the bearer token is a header, never a cookie, so any origin may read
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "X-Filename"],
    expose_headers=["Content-Disposition", "X-Lead-Count"],
)


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(cors=CORS)

    def _domain_error(exc: DomainError) -> Response[Any]:
        logger.info("request refused", status=exc.status_code, reason=exc.message)
        return error_response(exc.status_code, exc.message)

    app.exception_handler(DomainError)(_domain_error)
    return app


def principal(app: APIGatewayRestResolver) -> Principal:
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    if "role" not in context:
        raise Unauthorized("missing authorizer context")
    return Principal(user=str(context.get("user") or context.get("principalId")), role=Role(context["role"]))


def require_role(app: APIGatewayRestResolver, *roles: Role) -> Principal:
    who = principal(app)
    if who.role not in roles:
        raise Forbidden(f"this needs the {' or '.join(r.value for r in roles)} role; your token is {who.role.value}")
    return who
