"""Inbound SMS from Twilio: the signature checked, the message stored on its conversation once (per
MessageSid, as Twilio may retry a webhook), relayed to the other party, and the leads' tracking updated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.core.errors import Forbidden
from shared.core.models import Party, SmsMessage, iso_now
from shared.core.observability import logger
from shared.forms.conversations import ConversationStore
from shared.forms.signature import is_valid
from shared.forms.store import FormStore
from shared.forms.twilio import TwilioClient


@dataclass
class InboundSms:
    store: FormStore
    conversations: ConversationStore
    twilio: TwilioClient
    auth_token: Callable[[], str]

    def handle(self, url: str, params: Sequence[tuple[str, str]], signature: str | None) -> str:
        """Returns what happened: "relayed", "duplicate" or "unknown"."""
        if not is_valid(self.auth_token(), url, params, signature):
            raise Forbidden("the X-Twilio-Signature does not match this request")
        fields = dict(params)
        sender, pool_number = fields.get("From", ""), fields.get("To", "")
        text, sid = fields.get("Body", ""), fields.get("MessageSid") or fields.get("SmsSid") or ""
        route = self.conversations.route(pool_number, sender)
        meta = self.conversations.meta(route.conversation_id) if route else None
        if route is None or meta is None or not sid:
            logger.info("inbound SMS matches no conversation", pool_number=pool_number)
            return "unknown"
        cid, party = route.conversation_id, route.party
        now = iso_now()
        inbound = SmsMessage(sid=sid, at=now, direction="inbound", party=party, from_=sender, to=pool_number, body=text)
        stored = self.conversations.record_inbound(cid, inbound)
        if stored.relayed_sid:
            return "duplicate"
        other_party: Party
        if party == "customer":
            other, other_party = meta.dealer_phone, "dealer"
            relay = f"{meta.customer_name or meta.customer}: {text}"
        else:
            other, other_party = meta.customer, "customer"
            relay = text
        out_sid = self.twilio.send(from_=pool_number, to=other, body=relay)
        outbound = SmsMessage(
            sid=out_sid, at=iso_now(), direction="outbound", party=other_party, from_=pool_number, to=other, body=relay
        )
        self.conversations.record_outbound(cid, outbound)
        self.conversations.mark_relayed(cid, sid, out_sid)
        for form_lead_id in meta.leads:
            self.store.note_message(str(form_lead_id), text=text, party=party, at=now)
        logger.info("inbound SMS relayed", conversation_id=cid, party=party)
        return "relayed"
