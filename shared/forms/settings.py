"""Environment of the form-lead functions, read once into typed settings."""

from __future__ import annotations

from shared.core.settings import _Env


class FormsEnv(_Env):
    FORM_LEADS_TABLE: str
    CONVERSATIONS_TABLE: str
    FORM_FORWARDS_QUEUE_URL: str
    SMS_NUMBER_POOL: str = ""
    DEFAULT_COUNTRY: str = "US"

    @property
    def pool(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.SMS_NUMBER_POOL.split(",") if n.strip())


class TwilioEnv(FormsEnv):
    TWILIO_BASE_URL: str
    TWILIO_SECRET_ARN: str
    #: outbound requests: the cap of one, and how long an endpoint that hung is left alone
    OUTBOUND_TIMEOUT_S: float = 10
    CIRCUIT_RESET_S: float = 30


class ForwardEnv(TwilioEnv):
    LEAD_BATCHES_QUEUE_URL: str
    MARKETING_URL: str = ""
    FORWARD_BACKOFF_BASE_S: int
    FORWARD_MAX_ATTEMPTS: int
    FORWARD_LEASE_S: int
