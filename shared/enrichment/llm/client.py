"""An OpenAI-compatible chat-completions client on httpx, with retries, and the provider factory.

The client asks for a JSON object (`response_format: json_object`, temperature 0) and returns it
parsed. Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter
(a 429's `Retry-After` is respected, capped); any other 4xx is final. Whatever goes wrong ends in
one of two errors, so callers have exactly two cases to fall back on:

- `LlmUnavailable`: the provider could not be reached or refused the request;
- `LlmBadOutput`: it answered, but not with a JSON object (or not with the expected shape).

DeepSeek is the default provider; any OpenAI-compatible endpoint works by its base URL.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from shared.core.models import JsonObject
from shared.core.observability import logger
from shared.core.secrets import forget, secret_text
from shared.core.settings import LlmEnv, load, read

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.deepseek.com"
DEFAULT_MODEL = "deepseek-chat"

# A model sometimes wraps its JSON in a Markdown fence even in JSON mode.
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_MAX_ERROR_CHARS = 200


class LlmError(Exception):
    """Base of the two ways an LLM call fails; `reason` is a short sentence safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmUnavailable(LlmError):
    """The provider could not be reached, kept failing, or refused the request."""


class LlmBadOutput(LlmError):
    """The provider answered, but the answer is not the JSON object that was asked for."""


class ChatClient:
    """A synchronous chat-completions client that returns the first choice's content as a JSON object.

    `calls` counts HTTP requests sent (every attempt, as the provider counts them); `completions`
    counts answers returned. Both are safe to read from several threads.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout_s: float = 20,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        max_retry_after_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        import httpx  # here, not at the top: only a request needs it, not the cold start

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._calls = 0
        self._completions = 0
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "leadflow"},
        )

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def completions(self) -> int:
        return self._completions

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete_json(self, messages: Sequence[Mapping[str, str]]) -> JsonObject:
        """Send `messages` and return the answer as a JSON object; raises `LlmUnavailable` or `LlmBadOutput`."""
        payload = {
            "model": self.model,
            "messages": [dict(message) for message in messages],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        reason = "no attempt made"
        import httpx  # here, not at the top: only a request needs it, not the cold start

        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            with self._lock:
                self._calls += 1
            try:
                response = self._http.post(self.url, json=payload)
            except httpx.TimeoutException:
                reason = f"timed out after {self.timeout_s:g} s"
            except httpx.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
            else:
                status = response.status_code
                if status < 300:
                    answer = _answer(response)
                    with self._lock:
                        self._completions += 1
                    return answer
                if status == 429:
                    reason = "rate limited (HTTP 429)"
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                elif status >= 500:
                    reason = f"provider error (HTTP {status})"
                else:
                    # 400, 401, 403, 404, 422: the same request would fail the same way again.
                    raise LlmUnavailable(f"request refused (HTTP {status}): {_error_message(response)}")
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, retry_after)
            logger.warning(
                "llm request failed, retrying", extra={"attempt": attempt, "reason": reason, "delay_s": delay}
            )
            self._sleep(delay)
        raise LlmUnavailable(f"{reason}; gave up after {self.max_attempts} attempts")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        # Exponential with "equal jitter": at least half the step, so retries spread out but still back off.
        step = min(self.max_backoff_s, self.backoff_s * 2.0 ** (attempt - 1))
        return step / 2 + self._rng.uniform(0, step / 2)


def _answer(response: httpx.Response) -> JsonObject:
    try:
        body = response.json()
        content = body["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LlmBadOutput("the response is not a chat completion") from exc
    if not isinstance(content, str) or not content.strip():
        raise LlmBadOutput("the answer is empty")
    return parse_json_object(content)


def parse_json_object(content: str) -> JsonObject:
    """The JSON object in a model's answer, with a Markdown fence around it tolerated; a model of the
    caller's reads it (`LeadQuery`, `LayoutAnswer`, ...)."""
    fenced = _FENCE.match(content)
    text = fenced.group(1) if fenced else content
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise LlmBadOutput("the answer is not valid JSON") from exc
    if not isinstance(value, dict):
        raise LlmBadOutput(f"the answer is JSON {type(value).__name__}, not an object")
    return value


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, seconds)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    text = message if isinstance(message, str) else response.text
    return " ".join(text.split())[:_MAX_ERROR_CHARS] or response.reason_phrase


# --- the provider from the environment ----------------------------------------------------------------


def provider_from_env(environ: Mapping[str, str] | None = None, *, secrets_client: Any = None) -> ChatClient | None:
    """The configured provider, or None when no key is configured (the system then runs rules only).

    `LLM_BASE_URL` and `LLM_MODEL` default to DeepSeek. The key is `LLM_API_KEY` (local and dev) or
    the Secrets Manager secret `LLM_SECRET_ARN` (deployed), read through `shared.core.secrets`.
    """
    env = load(LlmEnv) if environ is None else read(LlmEnv, environ)
    key = env.LLM_API_KEY.strip()
    arn = env.LLM_SECRET_ARN.strip()
    if not key and arn:
        key = _api_key_from_secret(arn, secrets_client)
    if not key:
        return None
    return ChatClient(env.LLM_BASE_URL.strip() or DEFAULT_BASE_URL, key, env.LLM_MODEL.strip() or DEFAULT_MODEL)


def _api_key_from_secret(arn: str, secrets_client: Any = None) -> str:
    try:
        secret = secret_text(arn, client=secrets_client)
    except Exception as exc:
        # An unreadable secret must not stop leads from being stored: the rules still run. Not cached,
        # so the next call (or a fixed permission) tries again.
        logger.error("llm secret unreadable, running rules only", error=type(exc).__name__)
        return ""
    key = _key_in_secret(secret)
    if not key:
        logger.error("llm secret holds no api key, running rules only")
    return key


def _key_in_secret(secret: str) -> str:
    """A secret is the key itself or JSON `{"api_key": "..."}`."""
    text = secret.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return ""
        key = value.get("api_key") if isinstance(value, dict) else None
        return key.strip() if isinstance(key, str) else ""
    return text


def forget_secrets() -> None:
    """Drop cached secrets (tests, and the local runtime on endpoint changes)."""
    forget()
