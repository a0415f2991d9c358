"""Twilio's request signature against the vectors of Twilio's own documentation and libraries."""

from __future__ import annotations

from shared.forms.signature import is_valid, signature

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOCUMENTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_the_documented_example_signature() -> None:
    assert signature(TOKEN, URL, PARAMS) == DOCUMENTED
    assert is_valid(TOKEN, URL, PARAMS, DOCUMENTED)


def test_parameter_order_does_not_matter() -> None:
    assert is_valid(TOKEN, URL, list(reversed(list(PARAMS.items()))), DOCUMENTED)


def test_repeated_parameters_are_sorted_by_value_and_deduplicated() -> None:
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert signature(TOKEN, URL, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_anything_changed_is_refused() -> None:
    assert not is_valid(TOKEN, URL, {**PARAMS, "Digits": "9999"}, DOCUMENTED)
    assert not is_valid(TOKEN, URL + "&extra=1", PARAMS, DOCUMENTED)
    assert not is_valid("54321", URL, PARAMS, DOCUMENTED)
    assert not is_valid(TOKEN, URL, PARAMS, DOCUMENTED[:-2] + "A=")


def test_a_missing_signature_or_token_is_refused() -> None:
    assert not is_valid(TOKEN, URL, PARAMS, None)
    assert not is_valid(TOKEN, URL, PARAMS, "")
    assert not is_valid("", URL, PARAMS, signature("", URL, PARAMS))
    assert not is_valid(TOKEN, URL, PARAMS, "invalid 王")
