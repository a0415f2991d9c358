"""POST /twilio/sms: Twilio's inbound-message webhook (public; the X-Twilio-Signature is checked instead)."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.core.errors import Forbidden
from shared.core.models import TwilioCredentials
from shared.core.observability import logger
from shared.core.secrets import secret_json
from shared.core.settings import load
from shared.forms.conversations import ConversationStore
from shared.forms.settings import TwilioEnv
from shared.forms.signature import SIGNATURE_HEADER
from shared.forms.sms import InboundSms
from shared.forms.store import FormStore
from shared.forms.twilio import TwilioClient

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@cache
def inbound() -> InboundSms:
    env = load(TwilioEnv)
    return InboundSms(
        store=FormStore(env.FORM_LEADS_TABLE),
        conversations=ConversationStore(env.CONVERSATIONS_TABLE, env.pool),
        twilio=TwilioClient(
            env.TWILIO_BASE_URL,
            lambda: TwilioCredentials.model_validate(secret_json(env.TWILIO_SECRET_ARN)),
            circuit_reset_s=env.CIRCUIT_RESET_S,
        ),
        auth_token=lambda: TwilioCredentials.model_validate(secret_json(env.TWILIO_SECRET_ARN)).auth_token or "",
    )


def public_url(event: dict[str, Any]) -> str:
    """The URL Twilio requested, which its signature covers: API Gateway's host and stage path."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    proto = headers.get("x-forwarded-proto", "http")
    host = headers.get("host") or context.get("domainName", "")
    path = context.get("path") or event.get("path", "")
    query = event.get("multiValueQueryStringParameters") or {}
    suffix = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    return f"{proto}://{host}{path}" + (f"?{suffix}" if suffix else "")


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    raw = event.get("body") or ""
    body = base64.b64decode(raw).decode() if event.get("isBase64Encoded") else str(raw)
    params = parse_qsl(body, keep_blank_values=True)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        outcome = inbound().handle(public_url(event), params, headers.get(SIGNATURE_HEADER.lower()))
    except Forbidden as exc:
        logger.warning("inbound SMS refused", reason=exc.message)
        return {"statusCode": 403, "headers": {"Content-Type": "text/plain"}, "body": "invalid signature"}
    logger.info("inbound SMS handled", outcome=outcome)
    return {"statusCode": 200, "headers": {"Content-Type": "text/xml"}, "body": TWIML_EMPTY}
