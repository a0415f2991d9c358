"""The form-leads table's rules, held by `FormStore` (on an in-process moto table, no network) and by
the in-memory `FakeFormStore` the intake and forwarding tests use, so the fake cannot drift from the
conditions DynamoDB keeps: a key answered once, one open lead per (phone, dealer, location), an
open lead replaced only by the request that saw it, a step claimed by one invocation under a lease,
and a form lead off the `inflight` list once every step is final."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.core import aws
from shared.core.errors import Conflict
from shared.core.models import DealerLocation, FormAnswer, FormLead, StepState
from shared.forms.store import AnswerExists, Claimed, FormStore, OpenLeadExists, open_key
from tests.unit.fakes import in_process_aws
from tests.unit.forms.form_fakes import FakeFormStore

TABLE = "form-leads"
STEPS = ("store", "marketing", "sms")
NOW = 1_700_000_000.0


@pytest.fixture
def moto_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FormStore]:
    with in_process_aws(monkeypatch):
        aws.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "inflight", "updated_at", "lead_id", "created_at")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "inflight",
                    "KeySchema": [
                        {"AttributeName": "inflight", "KeyType": "HASH"},
                        {"AttributeName": "updated_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_lead",
                    "KeySchema": [
                        {"AttributeName": "lead_id", "KeyType": "HASH"},
                        {"AttributeName": "created_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield FormStore(TABLE)


@pytest.fixture(params=["dynamodb", "fake"])
def store(request: pytest.FixtureRequest) -> FormStore | FakeFormStore:
    if request.param == "fake":
        return FakeFormStore()
    repository: FormStore = request.getfixturevalue("moto_store")
    return repository


def record(form_lead_id: str, *, web2text: bool = True, phone: str = "+15551230000") -> FormLead:
    out: dict[str, Any] = {
        "steps": list(STEPS),
        "form_lead_id": form_lead_id,
        "status": "open" if web2text else "received",
        "created_at": f"2026-12-04T00:00:0{form_lead_id[-1]}Z",
        "updated_at": f"2026-12-04T00:00:0{form_lead_id[-1]}Z",
        "inflight": "forward",
        **{f"{step}_state": StepState.PENDING.value for step in STEPS},
    }
    if web2text:
        out["open_key"] = open_key(phone, "d1", "l1")
    return FormLead.from_item(out)


def test_a_key_is_answered_once(store: FormStore | FakeFormStore) -> None:
    first = FormAnswer(lead_id="l1", form_lead_id="f1", web2text=False)
    store.create(record("f1", web2text=False), idempotency=("k1", "fp1", first))
    with pytest.raises(AnswerExists):
        second = FormAnswer(lead_id="l1", form_lead_id="f2", web2text=False)
        store.create(record("f2", web2text=False), idempotency=("k1", "fp2", second))
    answer = store.answer("k1")
    assert answer is not None
    assert (answer.status, answer.body, answer.fingerprint, answer.form_lead_id) == (
        202,
        first,
        "fp1",
        "f1",
    )
    assert store.answer("k2") is None
    assert store.form_lead("f2") is None, "the refused request wrote nothing"


def test_one_open_lead_per_phone_dealer_and_location(store: FormStore | FakeFormStore) -> None:
    store.create(record("f1"), idempotency=None)
    with pytest.raises(OpenLeadExists) as refused:
        store.create(record("f2"), idempotency=("k2", "fp", FormAnswer(lead_id="l2", form_lead_id="f2", web2text=True)))
    assert refused.value.open_lead_id == "f1"
    assert store.answer("k2") is None, "nothing of the refused request is kept, its answer neither"
    store.create(record("f3", phone="+15559990000"), idempotency=None)  # another phone: its own open lead
    assert store.form_lead("f3") is not None


def test_an_open_lead_is_replaced_only_by_the_request_that_saw_it(store: FormStore | FakeFormStore) -> None:
    store.create(record("f1"), idempotency=None)
    store.create(record("f2"), idempotency=None, replace_open="f1")
    old = store.form_lead("f1")
    assert old is not None
    assert (old.status, old.replaced_by) == ("closed", "f2")
    with pytest.raises(OpenLeadExists) as stale:  # saw f1 open, but f2 is open now
        store.create(record("f3"), idempotency=None, replace_open="f1")
    assert stale.value.open_lead_id == "f2"
    assert store.form_lead("f3") is None


def test_replacing_an_open_lead_that_is_gone_is_a_conflict_to_retry(store: FormStore | FakeFormStore) -> None:
    store.create(record("f1", web2text=False), idempotency=None)
    with pytest.raises(Conflict) as gone:
        store.create(record("f2"), idempotency=None, replace_open="f1")
    assert not isinstance(gone.value, OpenLeadExists)
    assert store.form_lead("f2") is None


def test_a_step_is_claimed_by_one_invocation_under_a_lease(store: FormStore | FakeFormStore) -> None:
    store.create(record("f1", web2text=False), idempotency=None)
    assert store.claim_step("f1", "store", now=NOW, lease_s=30) is Claimed.CLAIMED
    assert store.claim_step("f1", "store", now=NOW + 10, lease_s=30) is Claimed.HELD
    assert store.claim_step("f1", "store", now=NOW + 31, lease_s=30) is Claimed.CLAIMED, "the lease ran out"
    assert store.claim_step("f1", "marketing", now=NOW, lease_s=30) is Claimed.CLAIMED, "steps are claimed apart"
    assert store.claim_step("nope", "store", now=NOW, lease_s=30) is Claimed.MISSING


def test_finishing_steps_counts_attempts_and_the_last_final_one_leaves_inflight(
    store: FormStore | FakeFormStore,
) -> None:
    store.create(record("f1", web2text=False), idempotency=None)
    assert store.claim_step("f1", "store", now=NOW, lease_s=30) is Claimed.CLAIMED
    retry = store.finish_step(
        "f1", "store", StepState.RETRYING, steps=STEPS, error="503", next_attempt_at="2026-12-04T00:01:00Z"
    )
    assert (retry.step("store").state, retry.step("store").attempts, retry.step("store").error) == (
        "retrying",
        1,
        "503",
    )
    assert retry.step("store").claimed_until is None
    assert store.claim_step("f1", "store", now=NOW, lease_s=30) is Claimed.CLAIMED, "a retrying step is taken again"
    done = store.finish_step("f1", "store", StepState.DONE, steps=STEPS, result="lead-1")
    assert (done.step("store").state, done.step("store").attempts, done.step("store").result) == ("done", 2, "lead-1")
    assert done.step("store").error is None and done.step("store").next_attempt_at is None, (
        "a success clears the last failure"
    )
    assert store.claim_step("f1", "store", now=NOW + 999, lease_s=30) is Claimed.FINISHED
    assert done.inflight == "forward", "other steps are still pending"
    store.finish_step("f1", "marketing", StepState.SKIPPED, steps=STEPS)
    last = store.finish_step("f1", "sms", StepState.FAILED, steps=STEPS, error="no number")
    assert last.inflight is None
    stored = store.form_lead("f1")
    assert stored is not None and stored.inflight is None


def test_a_locations_phone_is_kept_and_answered_as_a_model(moto_store: FormStore) -> None:
    saved = moto_store.set_location_phone("d1", "l1", "+12125550100")
    assert isinstance(saved, DealerLocation)
    assert (saved.dealer_id, saved.location_id, saved.phone) == ("d1", "l1", "+12125550100")
    assert moto_store.location_phone("d1", "l1") == "+12125550100"
    item = aws.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "loc#d1#l1"}, "sk": {"S": "location"}})
    assert set(item["Item"]) == {"pk", "sk", "dealer_id", "location_id", "phone", "updated_at"}


def test_a_first_answer_keeps_its_nulls_and_reads_back_whole(moto_store: FormStore) -> None:
    first = FormAnswer(lead_id="l1", form_lead_id="f1", web2text=True, conversation_id="c1", pool_number="+1555")
    moto_store.create(record("f1"), idempotency=("k1", "fp1", first))
    item = aws.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": "idem#k1"}, "sk": {"S": "answer"}})
    assert item["Item"]["body"]["M"]["replaced"] == {"NULL": True}
    stored = moto_store.answer("k1")
    assert stored is not None and stored.body == first
    assert stored.body.model_dump(mode="json") == {
        "lead_id": "l1",
        "form_lead_id": "f1",
        "status": "accepted",
        "web2text": True,
        "conversation_id": "c1",
        "pool_number": "+1555",
        "replaced": None,
    }
