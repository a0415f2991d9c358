"""What the API shows of form leads: the thread of a lead and the admin's in-flight view."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.core.errors import NotFound
from shared.core.models import FormLead, FormStep, SmsMessage, StepState
from shared.forms.conversations import ConversationStore
from shared.forms.store import FormStore

#: each view is built at the first request of a route that shows it, not at the forms function's cold start
_DEFERRED = ConfigDict(defer_build=True)


class StepView(BaseModel):
    """A forward step as the API shows it."""

    model_config = _DEFERRED

    state: StepState
    attempts: int
    at: str | None = None
    error: str | None = None
    next_attempt_at: str | None = None
    result: str | None = None

    @classmethod
    def of(cls, step: FormStep) -> StepView:
        return cls.model_validate(step.model_dump(exclude={"claimed_until"}))


class FormLeadView(BaseModel):
    """A form lead as the API shows it: what it is, where its SMS conversation stands, its steps."""

    model_config = _DEFERRED

    form_lead_id: str
    lead_id: str | None = None
    status: str
    web2text: bool
    customer_phone: str | None = None
    dealer_id: str | None = None
    location_id: str | None = None
    location_phone: str | None = None
    conversation_id: str | None = None
    pool_number: str | None = None
    last_message: str | None = None
    last_message_at: str | None = None
    last_message_from: str | None = None
    conversation_status: str | None = None
    replaced_by: str | None = None
    created_at: str
    updated_at: str
    forwarded_at: str | None = None
    steps: dict[str, StepView]

    @classmethod
    def of(cls, record: FormLead) -> FormLeadView:
        fields = record.model_dump(include=set(cls.model_fields) - {"steps"})
        return cls.model_validate({**fields, "steps": {name: StepView.of(record.step(name)) for name in record.steps}})


class FormLeadThread(FormLeadView):
    messages: list[SmsMessage]


class Thread(BaseModel):
    """GET /leads/{id}/messages: a form lead's thread, or every form lead of a stored Lead."""

    model_config = _DEFERRED

    lead_id: str
    form_leads: list[FormLeadThread]


class OpenConversation(BaseModel):
    model_config = _DEFERRED

    conversation_id: str
    customer: str
    dealer_phone: str
    pool_number: str
    leads: list[str]
    last_message_at: str | None = None
    created_at: str


class Inflight(BaseModel):
    """GET /admin/inflight: forwards with an unfinished step, and the open conversations."""

    model_config = _DEFERRED

    forwards: list[FormLeadView]
    conversations: list[OpenConversation]


def summary(record: FormLead) -> FormLeadView:
    return FormLeadView.of(record)


def thread(store: FormStore, conversations: ConversationStore, lead_id: str) -> Thread:
    """`lead_id` is a form lead's id, or a stored Lead's (then every form lead of that person)."""
    record = store.form_lead(lead_id)
    records = [record] if record else store.form_leads_of(lead_id)
    if not records:
        raise NotFound(f"no form lead {lead_id}")
    out = []
    for rec in records:
        messages = conversations.messages(rec.conversation_id) if rec.conversation_id else []
        out.append(FormLeadThread(**dict(FormLeadView.of(rec)), messages=messages))
    return Thread(lead_id=lead_id, form_leads=out)


def inflight(store: FormStore, conversations: ConversationStore) -> Inflight:
    return Inflight(
        forwards=[FormLeadView.of(r) for r in store.inflight()],
        conversations=[
            OpenConversation.model_validate(c.model_dump(include=set(OpenConversation.model_fields)))
            for c in conversations.open_conversations()
        ],
    )


def close(store: FormStore, conversations: ConversationStore, form_lead_id: str) -> FormLeadView:
    """Close an open web-to-text lead; it leaves its conversation (closed too when no open lead is left)."""
    record = store.close(form_lead_id)
    if record.conversation_id:
        conversations.remove_lead(record.conversation_id, form_lead_id)
    return FormLeadView.of(record)
