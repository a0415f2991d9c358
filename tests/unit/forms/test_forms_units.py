"""Form submissions become the Lead the store step stores; Twilio's client; forward backoff."""

from __future__ import annotations

import base64

import httpx
import pytest
from pydantic import ValidationError

from shared.core.errors import BadInput
from shared.core.models import BatchRow, TwilioCredentials
from shared.enrichment.enricher import Enricher, lead_id_for
from shared.enrichment.standardize import dedupe_key
from shared.forms.forwarding import MAX_BACKOFF_S, backoff_s
from shared.forms.intake import FormSubmission, lead_from
from shared.forms.twilio import TwilioClient, TwilioError

FORM = {
    "first_name": "ana",
    "last_name": "LIMA",
    "email": "Ana.Lima@Example.org",
    "phone": "(415) 555-0132",
    "dealer_id": "D-1",
    "location_id": "L-1",
    "form_id": "test-drive",
    "page_url": "https://dealer.example.com/x",
    "message": "Is it still there?",
}


def test_the_webhook_answers_the_id_the_store_step_will_store_the_lead_under() -> None:
    lead, row = lead_from(FormSubmission.model_validate(FORM), "US")
    stored = Enricher("unused").standardize("form-x", [BatchRow(r=1, v=row)])[0].standardized
    key = dedupe_key(stored.fields)
    assert key is not None and lead.lead_id == lead_id_for(key)
    assert lead.phone == "+14155550132" and lead.first_name == "Ana" and lead.source == "form"
    assert (lead.dealer_id, lead.location_id) == ("D-1", "L-1")


def test_a_submission_without_a_way_to_contact_is_refused() -> None:
    with pytest.raises(BadInput):
        lead_from(FormSubmission.model_validate({"first_name": "Ana", "email": "not an email"}), "US")


@pytest.mark.parametrize("bad", [{"unknown": "x"}, {"dealer_id": "D 1"}, {"message": "x" * 2001}])
def test_the_form_model_refuses_what_it_does_not_know(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        FormSubmission.model_validate({**FORM, **bad})


def test_the_fingerprint_covers_the_body_and_replace() -> None:
    form = FormSubmission.model_validate(FORM)
    assert form.fingerprint(False) == FormSubmission.model_validate(dict(FORM)).fingerprint(False)
    assert form.fingerprint(False) != form.fingerprint(True)
    assert form.fingerprint(False) != FormSubmission.model_validate({**FORM, "message": "other"}).fingerprint(False)


def _twilio(answer: httpx.Response | Exception, seen: list[httpx.Request]) -> TwilioClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    creds = TwilioCredentials(account_sid="AC1", auth_token="tok")
    return TwilioClient("https://twilio.test/", lambda: creds, http=httpx.Client(transport=httpx.MockTransport(handle)))


def test_twilio_messages_are_posted_with_basic_auth() -> None:
    seen: list[httpx.Request] = []
    sid = _twilio(httpx.Response(201, json={"sid": "SM1"}), seen).send(
        from_="+15005550001", to="+14155550132", body="hi"
    )
    assert sid == "SM1"
    request = seen[0]
    assert str(request.url) == "https://twilio.test/2010-04-01/Accounts/AC1/Messages.json"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC1:tok").decode()
    assert request.content == b"From=%2B15005550001&To=%2B14155550132&Body=hi"


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (httpx.Response(429), True),
        (httpx.Response(503), True),
        (httpx.Response(400, json={"code": 21211}), False),
        (httpx.ConnectError("refused"), True),
    ],
)
def test_twilio_failures_say_whether_a_retry_can_help(answer: httpx.Response | Exception, retryable: bool) -> None:
    with pytest.raises(TwilioError) as caught:
        _twilio(answer, []).send(from_="+15005550001", to="+14155550132", body="hi")
    assert caught.value.retryable is retryable


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_s(40, 30) == MAX_BACKOFF_S
