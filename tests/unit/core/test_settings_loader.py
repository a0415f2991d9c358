"""`shared.core.settings`: each function's environment read into its typed settings class."""

from __future__ import annotations

import pytest

from shared.core.settings import LlmEnv, SettingsError, _Env, load, read
from shared.notification.settings import NotifyEnv


class _Sample(_Env):
    NAME: str
    COUNT: int
    RATIO: float = 0.5
    ON: bool = False
    LIST: tuple[str, ...] = ()


def test_types_defaults_and_lists() -> None:
    env = read(_Sample, {"NAME": "x", "COUNT": " 3 ", "ON": "true", "LIST": "a, b,,c", "OTHER": "ignored"})
    assert (env.NAME, env.COUNT, env.RATIO, env.ON, env.LIST) == ("x", 3, 0.5, True, ("a", "b", "c"))
    assert not hasattr(env, "OTHER")


def test_every_bad_variable_is_named_in_one_error() -> None:
    with pytest.raises(SettingsError) as caught:
        read(_Sample, {"COUNT": "three", "ON": "maybe"})
    message = str(caught.value)
    assert message.startswith("_Sample: ")
    assert "NAME is missing" in message
    assert "COUNT='three'" in message
    assert "ON='maybe'" in message


def test_settings_are_read_only() -> None:
    env = read(_Sample, {"NAME": "x", "COUNT": "1"})
    with pytest.raises(AttributeError):
        env.NAME = "y"  # type: ignore[misc]


def test_required_and_optional_are_told_apart_through_inheritance() -> None:
    settings = LlmEnv.settings()
    assert not settings["LLM_API_KEY"].required
    assert settings["DEFAULT_COUNTRY"].default == "US"
    assert NotifyEnv.settings()["DELIVERIES_TABLE"].required  # inherited from DeliveriesEnv
    assert not NotifyEnv.settings()["STAGE"].required


def test_a_class_check_runs_after_the_types() -> None:
    base = {
        "DELIVERIES_TABLE": "d",
        "NOTIFICATIONS_QUEUE_URL": "q",
        "SLACK_SECRET_ARN": "s",
        "SLACK_TIMEOUT_S": "2.5",
        "NOTIFY_SENDER": "a@example.com",
        "NOTIFY_RECIPIENTS": "b@example.com, c@example.com",
        "NOTIFY_BURST_THRESHOLD": "5",
        "NOTIFY_LIST_URL": "https://example.com",
        "NOTIFY_LEASE_S": "30",
    }
    env = read(NotifyEnv, {**base, "NOTIFY_BURST_WINDOW_S": "60"})
    assert env.NOTIFY_RECIPIENTS == ("b@example.com", "c@example.com") and env.SLACK_TIMEOUT_S == 2.5
    with pytest.raises(SettingsError, match="the burst window must be 1 to 890 seconds"):
        read(NotifyEnv, {**base, "NOTIFY_BURST_WINDOW_S": "900"})


def test_load_reads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    class Once(_Env):
        ONCE_VALUE: str

    monkeypatch.setenv("ONCE_VALUE", "first")
    assert load(Once).ONCE_VALUE == "first"
    monkeypatch.setenv("ONCE_VALUE", "second")
    assert load(Once) is load(Once) and load(Once).ONCE_VALUE == "first"
