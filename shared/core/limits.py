"""AWS's documented limits that Leadflow can reach, in one place: the handlers stay inside them, the
stacks are checked against them, and the local runtime enforces them as AWS does.

Each number is AWS's own, with the page it comes from. The project's own, smaller sizes (chosen
because SQS and EventBridge bill every 64 KB, say) live beside the code that uses them and are
tested to stay within these.
"""

from __future__ import annotations

KIB = 1024
MIB = 1024 * KIB

# ---------------------------------------------------------------- API Gateway WebSocket
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html

#: a connection that carried no message, in either direction, for this long is closed
WS_IDLE_TIMEOUT_S = 10 * 60
#: every connection is closed this long after it opened
WS_MAX_LIFETIME_S = 2 * 60 * 60
#: one WebSocket frame
WS_FRAME_BYTES = 32 * KIB
#: one WebSocket message (frames together)
WS_MESSAGE_BYTES = 128 * KIB

# ---------------------------------------------------------------- API Gateway REST
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html

#: the integration timeout (the default; a Regional API may ask for more, we do not)
REST_INTEGRATION_TIMEOUT_S = 29
#: a request's payload
REST_PAYLOAD_BYTES = 10 * MIB

# ---------------------------------------------------------------- Lambda
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html

#: a synchronous invocation's payload, the event (a REST proxy event carries the body base64-encoded,
#: so a body over about 4.5 MB never reaches the function)
LAMBDA_SYNC_REQUEST_BYTES = 6 * MIB
#: a synchronous invocation's response (what a REST proxy integration returns)
LAMBDA_SYNC_RESPONSE_BYTES = 6 * MIB
#: the figure Lambda's own error names when it refuses a response ("Response payload size exceeded
#: maximum allowed payload size (6291556 bytes)"): what the local runtime enforces
LAMBDA_SYNC_RESPONSE_ENFORCED_BYTES = 6_291_556
LAMBDA_MAX_TIMEOUT_S = 900

# ---------------------------------------------------------------- SQS
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
# (the maximum message size went from 256 KiB to 1 MiB in 2025)

SQS_MESSAGE_BYTES = 1 * MIB
#: entries in one SendMessageBatch / DeleteMessageBatch call
SQS_BATCH_ENTRIES = 10
#: all bodies of one SendMessageBatch call together
SQS_BATCH_BYTES = 1 * MIB
#: the longest DelaySeconds (and so the longest single backoff hop)
SQS_MAX_DELAY_S = 900

# ---------------------------------------------------------------- EventBridge
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html

#: entries in one PutEvents call
PUT_EVENTS_ENTRIES = 10
#: one PutEvents request, all entries together
PUT_EVENTS_BYTES = 256 * KIB

# ---------------------------------------------------------------- DynamoDB
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html

DYNAMODB_ITEM_BYTES = 400 * KIB
#: items in one TransactWriteItems call (each costs twice a plain write)
TRANSACT_ITEMS = 100
#: one transaction, all items together
TRANSACT_BYTES = 4 * MIB
BATCH_WRITE_ITEMS = 25
BATCH_GET_ITEMS = 100
