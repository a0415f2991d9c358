"""The REST API's OpenAPI document, `docs/openapi.json`, built from the routes' own declarations.

Each REST function has its own Powertools resolver whose typed routes (`Annotated[..., Query()]`,
`Body()`, `Header()`) make a schema; this module imports the handler of every function that
`wiring.rest_routes()` lists, merges their schemas with Powertools' `OpenAPIMerge` (a method
declared twice is an error) and adds what no resolver knows: the API's title and version, the
bearer-token scheme, the stage in the server URL, the one public route that is not a resolver
(Twilio's webhook), the raw body of a direct upload, and the refusals' bodies.

`make openapi` (`python -m leadflow.openapi`) writes the file; `--check` exits 1 when it is stale.
A test regenerates it in memory and compares, and compares its methods with the wiring's routes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from leadflow import wiring
from leadflow.config import REPO_ROOT
from leadflow.wiring.model import Throttle

DOC_PATH = REPO_ROOT / "docs" / "openapi.json"
TITLE = "Leadflow REST API"
DESCRIPTION = (
    "Uploads, jobs, leads, the assignment queue, deliveries, phone callers and web forms. Every "
    "method but Twilio's webhook needs an API token as a bearer header (`leadflow token create`). "
    "A refusal's body has a one-line `message`; an invalid parameter or body is a 422 naming the field."
)
SECURITY_SCHEME = "apiToken"
#: the operations of functions that do not use a resolver, by (method, path) as the wiring routes them
NON_RESOLVER_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/twilio/sms"): {
        "summary": "POST /twilio/sms",
        "description": "Twilio's inbound-message webhook. Public: Twilio signs each request instead "
        "(X-Twilio-Signature, HMAC-SHA1 of the URL and the form with the account's auth token).",
        "operationId": "twilio_sms_twilio_sms_post",
        "security": [],
        "parameters": [{"name": "X-Twilio-Signature", "in": "header", "required": True, "schema": {"type": "string"}}],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "From": {"type": "string"},
                            "To": {"type": "string"},
                            "Body": {"type": "string"},
                        },
                        "additionalProperties": {"type": "string"},
                    }
                }
            },
        },
        "responses": {
            "200": {"description": "An empty TwiML answer", "content": {"text/xml": {"schema": {"type": "string"}}}},
            "403": {
                "description": "The signature is not Twilio's",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
        },
    }
}
#: bodies a resolver cannot declare: a direct upload is the file itself, not a document
RAW_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/uploads"): {
        "required": True,
        "description": "The file (CSV or XLSX) as the body, named by ?filename= or X-Filename, or the "
        "file field of a multipart form. At most the stage's direct-upload limit; larger files go "
        "through POST /uploads/presign.",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
#: Powertools' own 422 schemas, replaced by the body `shared.core.api.invalid_request` answers
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def api_version() -> str:
    """The project's version from pyproject.toml (what `pip install -e .` installed may be older)."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def resolver_of(fn: wiring.Function) -> Any | None:
    """The function's Powertools resolver (`app` in its handler module), or None if it has none."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    module = importlib.import_module(fn.handler.rsplit(".", 1)[0])
    app = getattr(module, "app", None)
    return app if isinstance(app, ApiGatewayResolver) else None


def _functions_with_routes() -> list[wiring.Function]:
    seen: dict[str, wiring.Function] = {}
    for _, fn in wiring.rest_routes():
        seen.setdefault(fn.key, fn)
    return list(seen.values())


def _merge_components(into: dict[str, dict[str, Any]], schema: dict[str, Any], source: str) -> None:
    """Add a resolver's components; a name two resolvers define differently is an error, not a
    silent overwrite (OpenAPIMerge keeps the last one)."""
    for kind, items in schema.get("components", {}).items():
        target = into.setdefault(kind, {})
        for name, value in items.items():
            if name in target and target[name] != value:
                raise ValueError(f"components.{kind}.{name} differs between handlers ({source} and an earlier one)")
            target[name] = value


def build() -> dict[str, Any]:
    """The whole document as a dict (deterministic: the same code gives the same document)."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

    from shared.core.api import ErrorBody, InvalidRequest

    merge = OpenAPIMerge(title=TITLE, version=api_version(), description=DESCRIPTION, on_conflict="error")
    components: dict[str, dict[str, Any]] = {}
    function_of: dict[tuple[str, str], wiring.Function] = {}
    for fn in _functions_with_routes():
        app = resolver_of(fn)
        if app is None:
            continue
        schema = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True, mode="json")
        merge.add_schema(schema)
        _merge_components(components, schema, fn.key)
        for path, item in schema.get("paths", {}).items():
            for method in item:
                function_of[(method.upper(), path)] = fn
    doc = merge.get_openapi_schema()
    paths: dict[str, Any] = doc.setdefault("paths", {})
    for (method, path), operation in NON_RESOLVER_OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = json.loads(json.dumps(operation))
    for (method, path), body in RAW_BODIES.items():
        paths[path][method.lower()]["requestBody"] = body

    public = {(r.method, r.path) for r, _ in wiring.rest_routes() if r.auth == "none"}
    routed = {(r.method, r.path): fn for r, fn in wiring.rest_routes()}
    throttles = {(r.method, r.path): r.throttle for r, _ in wiring.rest_routes()}
    for path, item in paths.items():
        for method, operation in item.items():
            key = (method.upper(), path)
            fn = routed.get(key) or function_of.get(key)
            if fn is not None:
                operation["tags"] = [fn.domain]
                operation["x-leadflow-function"] = fn.key
            if key in public:
                operation["security"] = []
            _document_refusals(operation)
            if key in routed:
                operation["responses"]["429"] = _throttled(throttles.get(key))

    schemas = components.setdefault("schemas", {})
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(_model_schemas([ErrorBody, InvalidRequest]))
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "a Leadflow API token (lf_...) with the admin, agent or integration role",
        }
    }
    doc["components"] = {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())}
    doc["security"] = [{SECURITY_SCHEME: []}]
    doc["servers"] = [
        {
            "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
            "description": "as deployed: the stack's ApiUrl output",
            "variables": {
                "restApiId": {"default": "restApiId"},
                "region": {"default": "us-east-1"},
                "stage": {"default": "dev"},
            },
        },
        {
            "url": "http://127.0.0.1:{port}/{stage}",
            "description": "the local runtime (`leadflow dev` prints its port)",
            "variables": {"port": {"default": "8080"}, "stage": {"default": "dev"}},
        },
    ]
    doc["tags"] = [{"name": domain} for domain in sorted({fn.domain for _, fn in wiring.rest_routes()})]
    doc["paths"] = {path: dict(sorted(item.items())) for path, item in sorted(paths.items())}
    OpenAPI.model_validate(doc)  # the shape of an OpenAPI 3.1 document, as Powertools models it
    return doc


def _document_refusals(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"] = _json_response("Invalid parameters or body: the message names each field", "InvalidRequest")
    if "x-leadflow-function" in operation and operation.get("security") != []:
        responses.setdefault("4XX", _json_response("Refused (401, 403, 404, 409, 413, ...): the message says why"))


def _throttled(throttle: Throttle | None) -> dict[str, Any]:
    """API Gateway's answer past a method's token bucket (or the web ACL's rate limit per IP, in a
    stage that has one), before the authorizer or the function runs: nothing was done, retry later."""
    limit = (
        f"this route's own limit, {throttle.rate:g} requests a second with bursts of {throttle.burst}"
        if throttle is not None
        else "the stage's limit per method (`api_throttle_rate`, `api_throttle_burst` in cdk.json)"
    )
    return _json_response(f"Throttled past {limit}; nothing was done: retry after a pause")


def _json_response(description: str, schema: str = "ErrorBody") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _model_schemas(models: Iterable[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadflow.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOC_PATH, help="where to write (default: docs/openapi.json)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    doc = build()
    text = render(doc)
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(doc['paths'])} paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
