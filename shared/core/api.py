"""What every REST handler shares: the Powertools resolver with typed, validated routes, domain
errors and invalid requests mapped to HTTP once, and the role check against the authorizer's context.

Routes declare their query, header and body types with `Annotated[..., Query()]` / `Body()`; the
resolver validates them before the route runs and answers 422 naming the field. The same
declarations make each resolver's OpenAPI schema, which `leadflow/openapi.py` merges into
`docs/openapi.json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from shared.core.auth import Principal, Role
from shared.core.cors import CORS
from shared.core.errors import DomainError, Forbidden, Unauthorized
from shared.core.observability import logger
from shared.core.scopes import may_call, rest_key, route_roles

UNPROCESSABLE = 422


class ErrorBody(BaseModel):
    """Every refusal's body: one sentence the console and the CLI show as it is."""

    # built at the first refusal that needs it (or the OpenAPI document), not at every cold start
    model_config = ConfigDict(defer_build=True)

    message: str


class InvalidField(BaseModel):
    model_config = ConfigDict(defer_build=True)

    loc: list[str | int] = Field(description='where: ["query", "limit"], ["body", "filename"], ...')
    type: str = Field(description="pydantic's error type, e.g. less_than_equal, missing")


class InvalidRequest(ErrorBody):
    """The 422 body: `message` names every invalid field in one line."""

    problems: list[str] = Field(description="one sentence per invalid field")
    detail: list[InvalidField]


def error_response(status: int, message: str, **extra: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": message, **extra})


def _where(loc: Sequence[Any]) -> str:
    """`("query", "limit")` → "query limit"; a query model's own name is left out, so that
    `("query", "filters", "limit")` names the parameter a caller sent: "query limit"."""
    parts = [str(p) for p in loc]
    if len(parts) >= 3 and parts[0] == "query":
        parts = [parts[0], *parts[2:]]
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {'.'.join(parts[1:])}"


def validation_problems(errors: Sequence[Any]) -> list[str]:
    """One sentence per invalid field, e.g. "query limit: Input should be less than or equal to 100"."""
    problems = []
    for error in errors:
        loc = list(error.get("loc") or ("request",))
        if error.get("type") == "json_invalid":
            problems.append("body: not valid JSON")  # its loc is a character offset, not a field
            continue
        problems.append(f"{_where(loc)}: {error.get('msg') or error.get('type')}")
    return problems


def invalid_request(exc: RequestValidationError) -> Response[Any]:
    """422 with a one-line `message` naming the fields (the console and the CLI show it), the
    same sentences as a list, and Powertools' usual `detail` (location and type, never the input)."""
    errors = exc.errors()
    problems = validation_problems(errors)
    logger.info("request invalid", problems=problems)
    body = InvalidRequest(
        message="; ".join(problems),
        problems=problems,
        detail=[InvalidField(loc=list(e.get("loc") or ()), type=str(e.get("type"))) for e in errors],
    )
    return Response(UNPROCESSABLE, content_types.APPLICATION_JSON, body.model_dump(mode="json"))


#: the answers' CORS headers; preflights are answered by API Gateway from the same declaration
CORS_CONFIG = CORSConfig(
    allow_origin=CORS.allow_origin,
    allow_headers=list(CORS.allow_headers),
    expose_headers=list(CORS.expose_headers),
    max_age=CORS.max_age_s,
)


def declared_query(route: Route) -> frozenset[str]:
    """The query parameter names a route declares: each `Query()` parameter's name (its alias if it
    has one), and each field of a query model (`Annotated[Filters, Query()]`)."""
    names: set[str] = set()
    for param in route.dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(field.alias or name for name, field in annotation.model_fields.items())
        else:
            names.add(param.alias)
    return frozenset(names)


def refuse_unknown_query(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """422 for a query parameter the route does not declare: a misspelt `limt=5` would otherwise be
    ignored in silence and the caller would get the default, thinking it was applied."""
    route: Route | None = app.context.get("_route")
    sent = app.current_event.query_string_parameters or {}
    if route is None or not sent:
        return next_middleware(app)
    known = declared_query(route)
    unknown = sorted(set(sent) - known)
    if not unknown:
        return next_middleware(app)
    takes = f"this route takes {', '.join(sorted(known))}" if known else "this route takes no query parameters"
    problems = [f"query {name}: not a parameter of this route ({takes})" for name in unknown]
    logger.info("request invalid", problems=problems)
    body = InvalidRequest(
        message="; ".join(problems),
        problems=problems,
        detail=[InvalidField(loc=["query", name], type="extra_forbidden") for name in unknown],
    )
    return Response(UNPROCESSABLE, content_types.APPLICATION_JSON, body.model_dump(mode="json"))


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(cors=CORS_CONFIG, enable_validation=True)
    app.use([refuse_unknown_query])

    def _domain_error(exc: DomainError) -> Response[Any]:
        # the kind of refusal, not its message: a message may quote the input (an email, a phone)
        logger.info("request refused", status=exc.status_code, error=type(exc).__name__)
        return error_response(exc.status_code, exc.message)

    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    return app


def principal(app: APIGatewayRestResolver) -> Principal:
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    if "role" not in context:
        raise Unauthorized("missing authorizer context")
    return Principal(user=str(context.get("user") or context.get("principalId")), role=Role(context["role"]))


def require_route_role(app: APIGatewayRestResolver) -> Principal:
    """The handler's own check, a second line behind the authorizer: the caller's role must be one
    the wiring's scope table names for this route (method and resource template). A route the table
    does not know allows nobody."""
    who = principal(app)
    event = app.current_event
    key = rest_key(event.http_method, event.resource)
    if not may_call(who.role, key):
        allowed = sorted(r.value for r in route_roles().get(key, frozenset()))
        logger.info("route refused", route=key, role=who.role.value, allowed=allowed)
        needs = " or ".join(allowed) if allowed else "a role this route does not name"
        raise Forbidden(f"this needs the {needs} role; your token is {who.role.value}")
    return who
