"""The domain models every Lambda shares: Lead, Email, User, the Job around an upload, the messages on
queues and the bus, and what the API and the WebSocket send.

One module per domain (`lead`, `jobs`, `phone`, `forms`, `assignment` and its `websocket`, `events`,
`notification`, `tokens`); `from shared.core.models import Lead` works for all of them. A name is imported from its
module at first use (PEP 562): a function creates only the classes of the modules it uses. Creating
every class of every domain (about 80, even with their validators deferred) took about 25 ms CPU of
each cold start; a function uses a few.

Every model builds its validator at first use, not at import (`defer_build`, see `_base`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.core.lazy import exports

if TYPE_CHECKING:  # what mypy sees; at run time `__getattr__` (`shared.core.lazy`) imports each on first use
    from shared.core.models._base import JsonObject as JsonObject
    from shared.core.models._base import iso_now as iso_now
    from shared.core.models._base import utc_now as utc_now
    from shared.core.models.assignment import Agents as Agents
    from shared.core.models.assignment import AgentView as AgentView
    from shared.core.models.assignment import Email as Email
    from shared.core.models.assignment import EmailPage as EmailPage
    from shared.core.models.assignment import EmailRecord as EmailRecord
    from shared.core.models.assignment import EmailStatus as EmailStatus
    from shared.core.models.assignment import LeadSnapshot as LeadSnapshot
    from shared.core.models.assignment import QueuedEmail as QueuedEmail
    from shared.core.models.assignment import User as User
    from shared.core.models.assignment import UserStatus as UserStatus
    from shared.core.models.events import BusEvent as BusEvent
    from shared.core.models.events import EmailDispositioned as EmailDispositioned
    from shared.core.models.events import EmailDispositionedEvent as EmailDispositionedEvent
    from shared.core.models.events import LeadEnriched as LeadEnriched
    from shared.core.models.events import LeadEnrichedEvent as LeadEnrichedEvent
    from shared.core.models.events import TokenAudit as TokenAudit
    from shared.core.models.events import TokenEvent as TokenEvent
    from shared.core.models.events import bus_event as bus_event
    from shared.core.models.forms import Conversation as Conversation
    from shared.core.models.forms import DealerLocation as DealerLocation
    from shared.core.models.forms import FormAnswer as FormAnswer
    from shared.core.models.forms import FormForward as FormForward
    from shared.core.models.forms import FormLead as FormLead
    from shared.core.models.forms import FormStep as FormStep
    from shared.core.models.forms import Party as Party
    from shared.core.models.forms import SmsMessage as SmsMessage
    from shared.core.models.forms import StepState as StepState
    from shared.core.models.forms import TwilioCredentials as TwilioCredentials
    from shared.core.models.jobs import BatchRow as BatchRow
    from shared.core.models.jobs import Job as Job
    from shared.core.models.jobs import JobStatus as JobStatus
    from shared.core.models.jobs import LeadBatch as LeadBatch
    from shared.core.models.jobs import PresignedPost as PresignedPost
    from shared.core.models.jobs import PresignedUpload as PresignedUpload
    from shared.core.models.jobs import Rejection as Rejection
    from shared.core.models.jobs import S3BucketRef as S3BucketRef
    from shared.core.models.jobs import S3Entity as S3Entity
    from shared.core.models.jobs import S3EventRecord as S3EventRecord
    from shared.core.models.jobs import S3Notification as S3Notification
    from shared.core.models.jobs import S3ObjectRef as S3ObjectRef
    from shared.core.models.lead import EventLead as EventLead
    from shared.core.models.lead import Lead as Lead
    from shared.core.models.lead import LeadPage as LeadPage
    from shared.core.models.lead import LeadRow as LeadRow
    from shared.core.models.lead import LeadStatus as LeadStatus
    from shared.core.models.lead import StoredLead as StoredLead
    from shared.core.models.notification import DeliveryRecord as DeliveryRecord
    from shared.core.models.notification import DeliveryState as DeliveryState
    from shared.core.models.notification import DeliveryView as DeliveryView
    from shared.core.models.notification import DigestDue as DigestDue
    from shared.core.models.notification import DownstreamEndpoint as DownstreamEndpoint
    from shared.core.models.notification import DownstreamRetry as DownstreamRetry
    from shared.core.models.notification import LeadDeliveries as LeadDeliveries
    from shared.core.models.phone import Call as Call
    from shared.core.models.phone import RecentCaller as RecentCaller
    from shared.core.models.phone import RecentCallers as RecentCallers
    from shared.core.models.tokens import TokenRequest as TokenRequest
    from shared.core.models.websocket import AgentMessage as AgentMessage
    from shared.core.models.websocket import AgentReply as AgentReply
    from shared.core.models.websocket import Assigned as Assigned
    from shared.core.models.websocket import Disposition as Disposition
    from shared.core.models.websocket import Dispositioned as Dispositioned
    from shared.core.models.websocket import ErrorReply as ErrorReply
    from shared.core.models.websocket import Expired as Expired
    from shared.core.models.websocket import GraceTimer as GraceTimer
    from shared.core.models.websocket import Ping as Ping
    from shared.core.models.websocket import Pong as Pong
    from shared.core.models.websocket import Resume as Resume
    from shared.core.models.websocket import SetStatus as SetStatus
    from shared.core.models.websocket import StatusReply as StatusReply
    from shared.core.models.websocket import Timer as Timer
    from shared.core.models.websocket import WebSocketContext as WebSocketContext
    from shared.core.models.websocket import WebSocketIdentity as WebSocketIdentity
    from shared.core.models.websocket import WebSocketRequest as WebSocketRequest
    from shared.core.models.websocket import parse_timer as parse_timer

#: each public name and the module that defines it
_HOMES = {
    "S3BucketRef": "jobs",
    "S3ObjectRef": "jobs",
    "S3Entity": "jobs",
    "S3EventRecord": "jobs",
    "S3Notification": "jobs",
    "parse_timer": "websocket",
    "GraceTimer": "websocket",
    "Timer": "websocket",
    "AgentMessage": "websocket",
    "AgentReply": "websocket",
    "AgentView": "assignment",
    "Agents": "assignment",
    "Assigned": "websocket",
    "BatchRow": "jobs",
    "BusEvent": "events",
    "Call": "phone",
    "Conversation": "forms",
    "DealerLocation": "forms",
    "DeliveryRecord": "notification",
    "DeliveryState": "notification",
    "DeliveryView": "notification",
    "DigestDue": "notification",
    "Disposition": "websocket",
    "Dispositioned": "websocket",
    "DownstreamEndpoint": "notification",
    "DownstreamRetry": "notification",
    "Email": "assignment",
    "EmailDispositioned": "events",
    "EmailDispositionedEvent": "events",
    "EmailPage": "assignment",
    "EmailRecord": "assignment",
    "EmailStatus": "assignment",
    "ErrorReply": "websocket",
    "EventLead": "lead",
    "Expired": "websocket",
    "FormAnswer": "forms",
    "FormForward": "forms",
    "FormLead": "forms",
    "FormStep": "forms",
    "Job": "jobs",
    "JobStatus": "jobs",
    "JsonObject": "_base",
    "Lead": "lead",
    "LeadBatch": "jobs",
    "LeadDeliveries": "notification",
    "LeadEnriched": "events",
    "LeadEnrichedEvent": "events",
    "LeadPage": "lead",
    "LeadRow": "lead",
    "LeadSnapshot": "assignment",
    "LeadStatus": "lead",
    "Party": "forms",
    "Ping": "websocket",
    "Pong": "websocket",
    "PresignedPost": "jobs",
    "PresignedUpload": "jobs",
    "QueuedEmail": "assignment",
    "RecentCaller": "phone",
    "RecentCallers": "phone",
    "Rejection": "jobs",
    "Resume": "websocket",
    "SetStatus": "websocket",
    "SmsMessage": "forms",
    "StatusReply": "websocket",
    "StepState": "forms",
    "StoredLead": "lead",
    "TokenAudit": "events",
    "TokenEvent": "events",
    "TokenRequest": "tokens",
    "TwilioCredentials": "forms",
    "User": "assignment",
    "UserStatus": "assignment",
    "WebSocketContext": "websocket",
    "WebSocketIdentity": "websocket",
    "WebSocketRequest": "websocket",
    "bus_event": "events",
    "iso_now": "_base",
    "utc_now": "_base",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = exports(__name__, _HOMES)
