"""What the API shows of form leads: the thread of a lead and the admin's in-flight view."""

from __future__ import annotations

from typing import Any

from shared.core.errors import NotFound
from shared.core.models import FormLead
from shared.forms.conversations import ConversationStore
from shared.forms.store import FormStore, step_view

_SUMMARY = (
    "form_lead_id",
    "lead_id",
    "status",
    "web2text",
    "customer_phone",
    "dealer_id",
    "location_id",
    "location_phone",
    "conversation_id",
    "pool_number",
    "last_message",
    "last_message_at",
    "last_message_from",
    "conversation_status",
    "replaced_by",
    "created_at",
    "updated_at",
    "forwarded_at",
)


def summary(record: FormLead) -> dict[str, Any]:
    out = {k: getattr(record, k) for k in _SUMMARY}
    out["steps"] = step_view(record)
    return out


def thread(store: FormStore, conversations: ConversationStore, lead_id: str) -> dict[str, Any]:
    """`lead_id` is a form lead's id, or a stored Lead's (then every form lead of that person)."""
    record = store.form_lead(lead_id)
    records = [record] if record else store.form_leads_of(lead_id)
    if not records:
        raise NotFound(f"no form lead {lead_id}")
    out = []
    for rec in records:
        item = summary(rec)
        cid = rec.conversation_id
        item["messages"] = [m.public() for m in conversations.messages(cid)] if cid else []
        out.append(item)
    return {"lead_id": lead_id, "form_leads": out}


def inflight(store: FormStore, conversations: ConversationStore) -> dict[str, Any]:
    return {
        "forwards": [summary(r) for r in store.inflight()],
        "conversations": [c.public() for c in conversations.open_conversations()],
    }


def close(store: FormStore, conversations: ConversationStore, form_lead_id: str) -> dict[str, Any]:
    """Close an open web-to-text lead; it leaves its conversation (closed too when no open lead is left)."""
    record = store.close(form_lead_id)
    if record.conversation_id:
        conversations.remove_lead(record.conversation_id, form_lead_id)
    return summary(record)
