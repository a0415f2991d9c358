"""SMS conversations between a customer and a dealer location, held on a number from the pool.

A conversation is identified by its two parties (customer phone, location phone), so two locations
of one dealer sharing a phone number share the conversation, and a location that changes its number
starts new conversations while the old ones keep the old number. Each party texts the pool number;
a route item `(pool number, party)` tells an inbound message which conversation it belongs to, so a
pool number is given to a conversation only when neither party already uses it elsewhere
(conditional writes, in one transaction with the conversation).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.core.dynamo import ConditionFailed, TransactionCancelled, call, from_attr, to_attr
from shared.core.errors import DomainError
from shared.core.models import Conversation, Party, SmsMessage, iso_now

OPEN = "conversation"
MAX_LIST = 100
MAX_MESSAGES = 500


class PoolExhausted(DomainError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__("no number of the SMS pool is free for these two parties; add numbers to sms_number_pool")


def conversation_id_for(customer: str, dealer_phone: str) -> str:
    return hashlib.sha256(f"{customer}\x1f{dealer_phone}".encode()).hexdigest()[:24]


def _meta_key(cid: str) -> dict[str, str]:
    return {"pk": f"conv#{cid}", "sk": "meta"}


def _route_key(pool_number: str, party_phone: str) -> dict[str, str]:
    return {"pk": f"route#{pool_number}#{party_phone}", "sk": "route"}


@dataclass(frozen=True)
class Route:
    conversation_id: str
    #: who texts from this phone
    party: Party


class Conversations(Protocol):
    """What intake and forwarding need from the conversations table (`ConversationStore`; in memory in tests)."""

    def open(self, *, customer: str, dealer_phone: str, customer_name: str | None) -> Conversation: ...

    def add_lead(self, cid: str, form_lead_id: str) -> None: ...

    def remove_lead(self, cid: str, form_lead_id: str) -> None: ...

    def record_outbound(self, cid: str, message: SmsMessage) -> None: ...


@dataclass
class ConversationStore:
    table: str
    pool: Sequence[str]

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = call("get_item", TableName=self.table, Key=to_attr(key), ConsistentRead=True)
        return from_attr(response["Item"]) if "Item" in response else None

    def meta(self, cid: str) -> Conversation | None:
        item = self._get(_meta_key(cid))
        return Conversation.model_validate(item) if item else None

    def open(self, *, customer: str, dealer_phone: str, customer_name: str | None) -> Conversation:
        """The conversation of these two parties, opened on a free pool number when there is none yet."""
        cid = conversation_id_for(customer, dealer_phone)
        existing = self.meta(cid)
        if existing:
            return existing
        if customer == dealer_phone:
            raise DomainError("the customer's phone is the location's phone")
        now = iso_now()
        for number in self.pool:
            meta = {
                **_meta_key(cid),
                "conversation_id": cid,
                "customer": customer,
                "dealer_phone": dealer_phone,
                "pool_number": number,
                "customer_name": customer_name,
                "created_at": now,
                "updated_at": now,
            }
            items = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_attr(meta),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
            for phone, party in ((customer, "customer"), (dealer_phone, "dealer")):
                route = {**_route_key(number, phone), "conversation_id": cid, "party": party}
                items.append(
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_attr(route),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                )
            try:
                call("transact_write_items", TransactItems=items)
            except TransactionCancelled as exc:
                if 0 in exc.failed():
                    opened = self.meta(cid)  # opened by a concurrent request
                    if opened:
                        return opened
                continue  # a party already talks on this number: the next one
            return Conversation.model_validate(meta)
        raise PoolExhausted()

    def add_lead(self, cid: str, form_lead_id: str) -> None:
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_meta_key(cid)),
            UpdateExpression="ADD leads :l SET #o = :open, updated_at = :now",
            ExpressionAttributeNames={"#o": "open"},
            ExpressionAttributeValues={
                ":l": {"SS": [form_lead_id]},
                **to_attr({":open": OPEN, ":now": iso_now()}),
            },
        )

    def remove_lead(self, cid: str, form_lead_id: str) -> None:
        """A closed lead leaves its conversation; with no open lead left, the conversation is no longer open."""
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_meta_key(cid)),
            UpdateExpression="DELETE leads :l SET updated_at = :now",
            ExpressionAttributeValues={":l": {"SS": [form_lead_id]}, **to_attr({":now": iso_now()})},
        )
        # the conversation still has an open lead: it stays open
        with contextlib.suppress(ConditionFailed):
            call(
                "update_item",
                TableName=self.table,
                Key=to_attr(_meta_key(cid)),
                UpdateExpression="REMOVE #o",
                ConditionExpression="attribute_not_exists(leads)",
                ExpressionAttributeNames={"#o": "open"},
            )

    def route(self, pool_number: str, party_phone: str) -> Route | None:
        item = self._get(_route_key(pool_number, party_phone))
        if item is None:
            return None
        party: Party = "customer" if item["party"] == "customer" else "dealer"
        return Route(str(item["conversation_id"]), party)

    def record_inbound(self, cid: str, message: SmsMessage) -> SmsMessage:
        """Store an inbound message once per Twilio MessageSid; returns the stored one (maybe from before)."""
        marker_key = {"pk": f"conv#{cid}", "sk": f"sid#{message.sid}"}
        item = {**marker_key, **message.to_item(), "msg_sk": f"msg#{message.at}#{message.sid}"}
        try:
            call("put_item", TableName=self.table, Item=to_attr(item), ConditionExpression="attribute_not_exists(pk)")
        except ConditionFailed:
            stored = self._get(marker_key)
            assert stored is not None
            return SmsMessage.model_validate(stored)
        self._put_message(cid, message)
        return message

    def mark_relayed(self, cid: str, sid: str, relayed_sid: str) -> None:
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr({"pk": f"conv#{cid}", "sk": f"sid#{sid}"}),
            UpdateExpression="SET relayed_sid = :r",
            ExpressionAttributeValues=to_attr({":r": relayed_sid}),
        )

    def record_outbound(self, cid: str, message: SmsMessage) -> None:
        self._put_message(cid, message)

    def _put_message(self, cid: str, message: SmsMessage) -> None:
        item = {"pk": f"conv#{cid}", "sk": f"msg#{message.at}#{message.sid}", **message.to_item()}
        call("put_item", TableName=self.table, Item=to_attr(item))
        call(
            "update_item",
            TableName=self.table,
            Key=to_attr(_meta_key(cid)),
            UpdateExpression="SET last_message_at = :at, updated_at = :at",
            ExpressionAttributeValues=to_attr({":at": message.at}),
        )

    def messages(self, cid: str) -> list[SmsMessage]:
        response = call(
            "query",
            TableName=self.table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
            ExpressionAttributeValues=to_attr({":p": f"conv#{cid}", ":m": "msg#"}),
            Limit=MAX_MESSAGES,
        )
        return [SmsMessage.model_validate(from_attr(i)) for i in response.get("Items", [])]

    def open_conversations(self, limit: int = MAX_LIST) -> list[Conversation]:
        response = call(
            "query",
            TableName=self.table,
            IndexName="open",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "open"},
            ExpressionAttributeValues=to_attr({":o": OPEN}),
            ScanIndexForward=False,
            Limit=max(1, min(limit, MAX_LIST)),
        )
        return [Conversation.model_validate(from_attr(i)) for i in response.get("Items", [])]
