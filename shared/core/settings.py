"""Environment read once into typed settings, per function, at first use."""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict


class _Env(BaseModel):
    # defer_build (inherited): a function validates its one settings class at first use; building the
    # validators of every settings class (of every function) at import was paid by each cold start
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class TokensEnv(_Env):
    TOKENS_TABLE: str


class TokensApiEnv(TokensEnv):
    #: the stage's default lifetime of a new token (`token_expiry_days` in cdk.json)
    TOKEN_EXPIRY_DAYS: int
    #: audit events (token.created, token.revoked) go to the bus; the assignment domain closes a
    #: revoked token's WebSocket connections on token.revoked
    EVENT_BUS: str


class JobsEnv(_Env):
    JOBS_TABLE: str


class UploadsEnv(JobsEnv):
    UPLOADS_BUCKET: str
    MAX_DIRECT_UPLOAD_BYTES: int
    MAX_PRESIGNED_UPLOAD_BYTES: int


class SplitterEnv(JobsEnv):
    UPLOADS_BUCKET: str
    LEAD_BATCHES_QUEUE_URL: str
    MAX_PRESIGNED_UPLOAD_BYTES: int
    MAX_UNCOMPRESSED_BYTES: int
    BATCH_MESSAGE_BYTES: int


class LlmEnv(_Env):
    DEFAULT_COUNTRY: str = "US"
    #: local and dev only; a deployed stage keeps the key in Secrets Manager (LLM_SECRET_ARN)
    LLM_API_KEY: str = ""
    LLM_BASE_URL: str = ""
    LLM_MODEL: str = ""
    LLM_SECRET_ARN: str = ""


class StoreLeadsEnv(JobsEnv, LlmEnv):
    LEADS_TABLE: str
    EVENT_BUS: str
    DATA_BUCKET: str


class LeadsApiEnv(LlmEnv):
    LEADS_TABLE: str
    DATA_BUCKET: str
    DELIVERIES_TABLE: str


T = TypeVar("T", bound="_Env")


@cache
def load(model: type[T]) -> T:
    """Validate the environment against `model`; a missing variable fails at cold start, loudly."""
    return model.model_validate(dict(os.environ))


class CallsEnv(_Env):
    CALLS_TABLE: str


class ConnectEnv(CallsEnv):
    LEAD_BATCHES_QUEUE_URL: str
    DEFAULT_COUNTRY: str
    CALLER_WINDOW_MINUTES: int
