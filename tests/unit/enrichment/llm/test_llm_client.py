"""The chat-completions client against the fake provider over real HTTP: answers, retries, refusals, bad output."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from llm_support import KEY, Sleeps, client_for, running_fake

from leadflow.local.fake_llm import FakeLlm
from shared.enrichment.llm.client import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    ChatClient,
    LlmBadOutput,
    LlmUnavailable,
    forget_secrets,
    parse_json_object,
    provider_from_env,
)
from shared.enrichment.llm.prompts import CELLS_MARKER, LAYOUT_MARKER

LAYOUT_MESSAGES = [
    {"role": "system", "content": f"{LAYOUT_MARKER}\nmap the headers, answer in JSON"},
    {"role": "user", "content": json.dumps({"headers": ["E-mail", "Surname"], "sample_rows": []})},
]
LAYOUT_ANSWER = {"mapping": {"E-mail": "email", "Surname": "last_name"}}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLlm]:
    with running_fake() as running:
        yield running


@pytest.fixture
def fake(server: FakeLlm) -> Iterator[FakeLlm]:
    server.reset()  # one server per module, a clean slate per test
    yield server
    server.reset()


def test_answer_is_the_parsed_json_object_and_the_request_is_openai_shaped(fake: FakeLlm) -> None:
    client = client_for(fake)

    answer = client.complete_json(LAYOUT_MESSAGES)

    assert answer == LAYOUT_ANSWER
    (request,) = fake.requests
    assert request.authorized and request.kind == "layout" and request.path == "/chat/completions"
    assert request.body == {
        "model": "fake-chat",
        "messages": LAYOUT_MESSAGES,
        "temperature": 0,
        "response_format": {"type": "json_object"},
    }


def test_429_waits_for_retry_after_then_succeeds(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    fake.script.rate_limit(retry_after=2)
    client = client_for(fake, sleeps=sleeps)

    assert client.complete_json(LAYOUT_MESSAGES) == LAYOUT_ANSWER

    assert sleeps == [2.0]
    assert fake.calls == 2


def test_retry_after_is_capped(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    fake.script.rate_limit(retry_after=3600)
    client = client_for(fake, sleeps=sleeps, max_retry_after_s=5)

    client.complete_json(LAYOUT_MESSAGES)

    assert sleeps == [5.0]


def test_429_without_retry_after_backs_off(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    fake.script.rate_limit(retry_after=None)
    client = client_for(fake, sleeps=sleeps, backoff_s=0.4)

    client.complete_json(LAYOUT_MESSAGES)

    assert len(sleeps) == 1 and 0.2 <= sleeps[0] <= 0.4


def test_5xx_is_retried_with_growing_jittered_backoff(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    fake.script.server_error(500).server_error(503).server_error(502)
    client = client_for(fake, sleeps=sleeps, backoff_s=0.4)

    assert client.complete_json(LAYOUT_MESSAGES) == LAYOUT_ANSWER

    assert fake.calls == 4
    assert 0.2 <= sleeps[0] <= 0.4 and 0.4 <= sleeps[1] <= 0.8 and 0.8 <= sleeps[2] <= 1.6


def test_jitter_is_reproducible_with_a_seed(fake: FakeLlm) -> None:
    first, second = Sleeps(), Sleeps()
    for sleeps in (first, second):
        fake.script.server_error(times=3)
        client_for(fake, sleeps=sleeps, seed=42).complete_json(LAYOUT_MESSAGES)
    third = Sleeps()
    fake.script.server_error(times=3)
    client_for(fake, sleeps=third, seed=43).complete_json(LAYOUT_MESSAGES)

    assert first == second
    assert first != third


def test_5xx_every_time_ends_unavailable_after_the_last_attempt(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    fake.script.server_error(500, times=4)
    client = client_for(fake, sleeps=sleeps, max_attempts=4)

    with pytest.raises(LlmUnavailable, match=r"HTTP 500.*4 attempts") as caught:
        client.complete_json(LAYOUT_MESSAGES)

    assert "HTTP 500" in caught.value.reason
    assert fake.calls == 4
    assert len(sleeps) == 3  # no sleep after the last attempt


def test_timeout_is_retried_then_unavailable(fake: FakeLlm) -> None:
    fake.script.slow(2.0, times=2)
    client = client_for(fake, timeout_s=0.2, max_attempts=2)

    with pytest.raises(LlmUnavailable, match="timed out"):
        client.complete_json(LAYOUT_MESSAGES)

    assert fake.calls == 2


def test_a_timeout_then_an_answer_succeeds(fake: FakeLlm) -> None:
    fake.script.slow(2.0)
    client = client_for(fake, timeout_s=0.2)

    assert client.complete_json(LAYOUT_MESSAGES) == LAYOUT_ANSWER
    assert fake.calls == 2


def test_a_slow_answer_within_the_timeout_is_fine(fake: FakeLlm) -> None:
    fake.script.slow(0.05)
    client = client_for(fake, timeout_s=2.0)

    assert client.complete_json(LAYOUT_MESSAGES) == LAYOUT_ANSWER
    assert fake.calls == 1


def test_connection_errors_are_retried_then_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    client = ChatClient(f"http://127.0.0.1:{port}", KEY, "m", max_attempts=3, backoff_s=0.01, sleep=sleeps)

    with pytest.raises(LlmUnavailable, match="connection failed"):
        client.complete_json(LAYOUT_MESSAGES)

    assert client.calls == 3 and len(sleeps) == 2


def test_401_is_not_retried(fake: FakeLlm) -> None:
    sleeps = Sleeps()
    client = client_for(fake, api_key="wrong-key", sleeps=sleeps)

    with pytest.raises(LlmUnavailable, match=r"HTTP 401.*invalid api key"):
        client.complete_json(LAYOUT_MESSAGES)

    assert fake.calls == 1 and sleeps == []
    assert not fake.requests[0].authorized


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_4xx_are_not_retried(fake: FakeLlm, status: int) -> None:
    fake.script.status(status)
    client = client_for(fake)

    with pytest.raises(LlmUnavailable, match=f"HTTP {status}"):
        client.complete_json(LAYOUT_MESSAGES)

    assert fake.calls == 1


def test_invalid_json_is_bad_output_and_not_retried(fake: FakeLlm) -> None:
    fake.script.invalid_json()
    client = client_for(fake)

    with pytest.raises(LlmBadOutput, match="not valid JSON"):
        client.complete_json(LAYOUT_MESSAGES)

    assert fake.calls == 1


def test_fenced_json_is_accepted(fake: FakeLlm) -> None:
    fake.script.fenced()
    client = client_for(fake)

    assert client.complete_json(LAYOUT_MESSAGES) == LAYOUT_ANSWER


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('  ```JSON {"a": [1, 2]} ```  ', {"a": [1, 2]}),
        ('{"a": "```"}', {"a": "```"}),
    ],
)
def test_fences_are_stripped(content: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(content) == expected


@pytest.mark.parametrize("content", ["[1, 2]", '"text"', "42", "", "```json\n```", "Sure! Here it is: {}"])
def test_anything_but_a_json_object_is_bad_output(fake: FakeLlm, content: str) -> None:
    fake.script.reply(content)
    client = client_for(fake)

    with pytest.raises(LlmBadOutput):
        client.complete_json(LAYOUT_MESSAGES)


def test_a_body_that_is_no_chat_completion_is_bad_output(fake: FakeLlm) -> None:
    fake.script.garbage()

    with pytest.raises(LlmBadOutput, match="not a chat completion"):
        client_for(fake).complete_json(LAYOUT_MESSAGES)


def test_calls_count_every_request_and_completions_count_answers(fake: FakeLlm) -> None:
    client = client_for(fake)
    for _ in range(3):
        client.complete_json(LAYOUT_MESSAGES)
    assert client.calls == 3 == fake.calls
    assert client.completions == 3

    fake.script.server_error()
    client.complete_json(LAYOUT_MESSAGES)

    assert client.calls == 5 == fake.calls
    assert client.completions == 4


def test_the_fake_tells_request_kinds_apart_by_marker(fake: FakeLlm) -> None:
    client = client_for(fake)
    client.complete_json(LAYOUT_MESSAGES)
    client.complete_json([{"role": "system", "content": CELLS_MARKER}, {"role": "user", "content": '{"cells": []}'}])

    assert [request.kind for request in fake.requests] == ["layout", "cells"]
    assert fake.calls_of("cells") == 1


# --- the provider from the environment --------------------------------------------------------------------


class FakeSecrets:
    def __init__(self, secret: str | Exception) -> None:
        self.secret = secret
        self.calls = 0

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.calls += 1
        if isinstance(self.secret, Exception):
            raise self.secret
        return {"ARN": SecretId, "SecretString": self.secret}


@pytest.fixture(autouse=True)
def _no_cached_secrets() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_no_key_configured_means_no_provider() -> None:
    assert provider_from_env({}) is None
    assert provider_from_env({"LLM_API_KEY": "  ", "LLM_MODEL": "x"}) is None


def test_api_key_gives_a_deepseek_client_by_default() -> None:
    client = provider_from_env({"LLM_API_KEY": "sk-local"})

    assert isinstance(client, ChatClient)
    assert client.base_url == DEFAULT_BASE_URL == "https://api.deepseek.com"
    assert client.model == DEFAULT_MODEL == "deepseek-chat"
    assert client.url == "https://api.deepseek.com/chat/completions"


def test_base_url_and_model_are_configurable_and_the_key_is_sent(fake: FakeLlm) -> None:
    client = provider_from_env({"LLM_API_KEY": KEY, "LLM_BASE_URL": fake.url + "/", "LLM_MODEL": "other-model"})

    assert client is not None
    client.complete_json(LAYOUT_MESSAGES)
    assert fake.requests[0].authorized
    assert fake.requests[0].body is not None and fake.requests[0].body["model"] == "other-model"


@pytest.mark.parametrize("secret", [KEY, json.dumps({"api_key": KEY}), f"  {KEY}\n"])
def test_key_from_secrets_manager_plain_or_json(fake: FakeLlm, secret: str) -> None:
    secrets = FakeSecrets(secret)
    env = {"LLM_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:llm", "LLM_BASE_URL": fake.url}

    client = provider_from_env(env, secrets_client=secrets)

    assert client is not None
    client.complete_json(LAYOUT_MESSAGES)
    assert fake.requests[0].authorized


def test_the_secret_is_read_once_and_cached() -> None:
    secrets = FakeSecrets("sk-secret")
    env = {"LLM_SECRET_ARN": "arn:1"}

    assert provider_from_env(env, secrets_client=secrets) is not None
    assert provider_from_env(env, secrets_client=secrets) is not None
    assert secrets.calls == 1


def test_an_unreadable_secret_means_rules_only_and_is_asked_again() -> None:
    secrets = FakeSecrets(RuntimeError("AccessDenied"))

    assert provider_from_env({"LLM_SECRET_ARN": "arn:2"}, secrets_client=secrets) is None
    # A failed read is not cached: the next call asks again.
    assert provider_from_env({"LLM_SECRET_ARN": "arn:2"}, secrets_client=secrets) is None
    assert secrets.calls == 2


@pytest.mark.parametrize("secret", [json.dumps({"other": "x"}), "", "{broken"])
def test_a_secret_without_a_key_means_rules_only_until_an_operator_fills_it(secret: str) -> None:
    secrets = FakeSecrets(secret)

    assert provider_from_env({"LLM_SECRET_ARN": "arn:2"}, secrets_client=secrets) is None
    # The value read is cached for the max age like any other; once it holds a key, it is used.
    secrets.secret = json.dumps({"api_key": "sk-filled"})
    forget_secrets()
    assert provider_from_env({"LLM_SECRET_ARN": "arn:2"}, secrets_client=secrets) is not None


def test_api_key_wins_over_the_secret() -> None:
    secrets = FakeSecrets("sk-secret")

    client = provider_from_env({"LLM_API_KEY": "sk-env", "LLM_SECRET_ARN": "arn:3"}, secrets_client=secrets)

    assert client is not None and secrets.calls == 0
