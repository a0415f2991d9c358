"""The assignment tables: users (agents) and emails, and the only ways their state changes.

Every change that involves an email and an agent together is one TransactWriteItems whose
conditions state exactly what must still be true; a cancelled transaction means somebody else got
there first, and the caller decides what to do (pick again, or refuse with a reason).

Item layout (see `leadflow.wiring.assignment` for the indexes):
- email: `email_id`, `status`, `sender`, `subject`, `body`, `received_at`, `lead` (a snapshot of the
  lead from the lead.enriched event), `queue_key` = `received_at#email_id`; `queue` only while it
  waits for an agent; `open` while Pending; `assigned_to`, `assigned_at`, `attempt`, `expires_at`
  while held; `pending_since` for the pending-to-assigned latency; `expiries` counts take-backs.
- user: `user_id`, `status`, `connections` (a string set, absent when empty), `current_email_id`,
  `current_attempt`, `current_assigned_at` while busy, `last_assigned_at`; `available` and
  `idle_key` = `last_assigned_at#user_id` only while online and free; `grace` (an id) and
  `grace_until` while the agent has no connection left but may still come back as they were.

Reads answer and writes take the models of these items (`EmailRecord`, `User` in
`shared.core.models`); the raw items stay in this module's private helpers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from shared.core import limits
from shared.core.dynamo import ConditionFailed, TransactionCancelled, call, from_attr, to_attr
from shared.core.models import EmailRecord, EmailStatus, User, UserStatus

#: value of an email's `queue` attribute while it waits for an agent
QUEUED = "waiting"
#: value of an email's `open` attribute while it is Pending (held or not)
OPEN = "pending"
#: value of a user's `available` attribute while online and free
AVAILABLE = "online"
AGENT_KIND: Final = "agent"
EMAIL_KIND: Final = "email"
TRANSACT_MAX_ITEMS = limits.TRANSACT_ITEMS
#: TransactWriteItems allows 4 MB; leave room for the request's own overhead
TRANSACT_MAX_BYTES = limits.TRANSACT_BYTES - 1 * limits.MIB


class DisposeOutcome(Enum):
    DONE = "done"
    #: the email or the agent was not in the expected state: the disposition is refused
    REFUSED = "refused"
    #: only the next email was gone (another agent got it): dispose again without it
    NEXT_TAKEN = "next_taken"


@dataclass(frozen=True)
class AssignConflict:
    """Why an assignment transaction was cancelled: the email, the agent, or both were no longer as read."""

    email_taken: bool
    agent_taken: bool


@dataclass(frozen=True)
class Pair:
    """One assignment to make: the email to the agent, under this attempt."""

    email_id: str
    user_id: str
    attempt: str
    lead_id: str | None = None


@dataclass(frozen=True)
class NextEmail:
    email_id: str
    attempt: str
    expires_at: str
    lead_id: str | None = None


def idle_key(last_assigned_at: str, user_id: str) -> str:
    return f"{last_assigned_at}#{user_id}"


def _user(raw: dict[str, Any]) -> User:
    """A user from its item as DynamoDB returns it (attribute values)."""
    return User.model_validate(from_attr(raw))


def _email(raw: dict[str, Any]) -> EmailRecord:
    """An email from its item as DynamoDB returns it (attribute values)."""
    return EmailRecord.model_validate(from_attr(raw))


class AssignmentRepository:
    def __init__(self, users_table: str, emails_table: str) -> None:
        self.users_table = users_table
        self.emails_table = emails_table

    # ------------------------------------------------------------------ reads

    def get_user(self, user_id: str) -> User | None:
        item = call("get_item", TableName=self.users_table, Key=to_attr({"user_id": user_id}), ConsistentRead=True)
        return _user(item["Item"]) if "Item" in item else None

    def get_email(self, email_id: str) -> EmailRecord | None:
        item = call("get_item", TableName=self.emails_table, Key=to_attr({"email_id": email_id}), ConsistentRead=True)
        return _email(item["Item"]) if "Item" in item else None

    def oldest_waiting(self, limit: int) -> list[EmailRecord]:
        """The oldest emails nobody holds, oldest first (the sparse `queue` index)."""
        return [_email(i) for i in self._query(self.emails_table, "queue", "queue", QUEUED, limit)]

    def idle_agents(self, limit: int) -> list[User]:
        """Online agents holding nothing, the longest idle first (the sparse `available` index)."""
        return [_user(i) for i in self._query(self.users_table, "available", "available", AVAILABLE, limit)]

    def list_open(self, limit: int, start: str | None = None) -> tuple[list[EmailRecord], str | None]:
        """Every Pending email in line order (held or not), a page at a time."""
        kwargs: dict[str, Any] = {}
        if start:
            kwargs["ExclusiveStartKey"] = to_attr({"email_id": start.split("#")[-1], "open": OPEN, "queue_key": start})
        response = call(
            "query",
            TableName=self.emails_table,
            IndexName="open",
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": "open"},
            ExpressionAttributeValues=to_attr({":v": OPEN}),
            Limit=limit,
            **kwargs,
        )
        last = response.get("LastEvaluatedKey")
        return [_email(i) for i in response.get("Items", [])], from_attr(last)["queue_key"] if last else None

    def list_agents(self) -> list[User]:
        agents: list[User] = []
        kwargs: dict[str, Any] = {}
        while True:
            response = call(
                "query",
                TableName=self.users_table,
                IndexName="agents",
                KeyConditionExpression="#k = :v",
                ExpressionAttributeNames={"#k": "kind"},
                ExpressionAttributeValues=to_attr({":v": AGENT_KIND}),
                **kwargs,
            )
            agents += [_user(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return agents
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _query(self, table: str, index: str, attribute: str, value: str, limit: int) -> list[dict[str, Any]]:
        """The raw items (DynamoDB's attribute values) of one page of an index."""
        response = call(
            "query",
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": attribute},
            ExpressionAttributeValues=to_attr({":v": value}),
            Limit=limit,
        )
        items: list[dict[str, Any]] = response.get("Items", [])
        return items

    # ------------------------------------------------------------------ emails arrive

    def create_emails(self, emails: Iterable[EmailRecord], *, max_rounds: int = 10) -> int:
        """Put new emails, each only if its id is new (a redelivered event changes nothing).

        Conditional puts in transactions of up to 100: one call per 100 emails. A put whose email
        already exists cancels its transaction; the cancellation names it, and the rest go again.
        """
        unique = {e.email_id: to_attr(e.to_item()) for e in emails}
        chunks: list[list[dict[str, Any]]] = [[]]
        size = 0
        for item in unique.values():
            item_size = len(str(item))
            if chunks[-1] and (len(chunks[-1]) >= TRANSACT_MAX_ITEMS or size + item_size > TRANSACT_MAX_BYTES):
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += item_size
        created = 0
        for chunk in chunks:
            rounds = 0
            while chunk:
                rounds += 1
                try:
                    call(
                        "transact_write_items",
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": self.emails_table,
                                    "Item": item,
                                    "ConditionExpression": "attribute_not_exists(email_id)",
                                }
                            }
                            for item in chunk
                        ],
                    )
                    created += len(chunk)
                    break
                except TransactionCancelled as exc:
                    if rounds >= max_rounds:
                        raise
                    exists = exc.failed()
                    if exists:
                        chunk = [item for i, item in enumerate(chunk) if i not in exists]
                    else:  # a concurrent transaction on the same items: go again shortly
                        time.sleep(0.05 * rounds)
        return created

    # ------------------------------------------------------------------ the engine's commits

    def _assign_email_update(
        self, email_id: str, user_id: str, attempt: str, now: str, expires_at: str
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.emails_table,
                "Key": to_attr({"email_id": email_id}),
                "UpdateExpression": "SET assigned_to = :u, assigned_at = :now, attempt = :a, expires_at = :exp "
                "REMOVE #q",
                "ConditionExpression": "#q = :q AND #s = :pending AND attribute_not_exists(assigned_to)",
                "ExpressionAttributeNames": {"#q": "queue", "#s": "status"},
                "ExpressionAttributeValues": to_attr(
                    {
                        ":u": user_id,
                        ":now": now,
                        ":a": attempt,
                        ":exp": expires_at,
                        ":q": QUEUED,
                        ":pending": EmailStatus.PENDING.value,
                    }
                ),
            }
        }

    def assign(
        self, email_id: str, user_id: str, attempt: str, now: str, expires_at: str, lead_id: str | None = None
    ) -> bool:
        """Email waiting -> held by the agent; agent online and free -> busy. Both or neither."""
        return self.try_assign(email_id, user_id, attempt, now, expires_at, lead_id) is None

    def try_assign(
        self, email_id: str, user_id: str, attempt: str, now: str, expires_at: str, lead_id: str | None = None
    ) -> AssignConflict | None:
        """As `assign`; None when committed, else which side was no longer as read."""
        return self.try_assign_pairs([Pair(email_id, user_id, attempt, lead_id)], now, expires_at)[0]

    def try_assign_pairs(self, pairs: Sequence[Pair], now: str, expires_at: str) -> list[AssignConflict | None]:
        """Several assignments in one transaction (up to 50 pairs: 100 items), each pair as `assign`.

        All or none commit. The answer has one entry per pair: None when committed, or when the
        transaction was cancelled for other pairs only (the pair can go again as it is); else
        which side of the pair was no longer as read.
        """
        if not 0 < len(pairs) <= TRANSACT_MAX_ITEMS // 2:
            raise ValueError(f"1 to {TRANSACT_MAX_ITEMS // 2} pairs per transaction; got {len(pairs)}")
        items: list[dict[str, Any]] = []
        for pair in pairs:
            items.append(self._assign_email_update(pair.email_id, pair.user_id, pair.attempt, now, expires_at))
            items.append(self._assign_user_update(pair, now))
        reasons = self._transact(items)
        if reasons is None:
            return [None] * len(pairs)
        codes = [*reasons, *["Unknown"] * len(items)][: len(items)]
        if all(code == "None" for code in codes):  # cancelled for a reason of no item: assume all changed
            return [AssignConflict(email_taken=True, agent_taken=True) for _ in pairs]
        answer: list[AssignConflict | None] = []
        for i in range(len(pairs)):
            email_code, agent_code = codes[2 * i], codes[2 * i + 1]
            taken = email_code != "None" or agent_code != "None"
            answer.append(AssignConflict(email_code != "None", agent_code != "None") if taken else None)
        return answer

    def _assign_user_update(self, pair: Pair, now: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.users_table,
                "Key": to_attr({"user_id": pair.user_id}),
                "UpdateExpression": "SET #s = :busy, current_email_id = :e, current_attempt = :a, "
                "current_lead_id = :l, current_assigned_at = :now, last_assigned_at = :now REMOVE available, idle_key",
                "ConditionExpression": "#s = :online AND attribute_not_exists(current_email_id)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_attr(
                    {
                        ":busy": UserStatus.BUSY.value,
                        ":online": UserStatus.ONLINE.value,
                        ":e": pair.email_id,
                        ":a": pair.attempt,
                        ":l": pair.lead_id or "",
                        ":now": now,
                    }
                ),
            }
        }

    def dispose(
        self,
        *,
        user: User,
        email_id: str,
        disposition: EmailStatus,
        now: str,
        next_email: NextEmail | None,
    ) -> DisposeOutcome:
        """Record the disposition and free the agent, or hand them `next_email` in the same transaction.

        `user` is the agent as just read: the transaction holds only if nothing changed since.
        """
        user_id = user.user_id
        # no attempt (never so while it holds an email) matches no email: refused
        attempt = user.current_attempt or ""
        email_update = {
            "Update": {
                "TableName": self.emails_table,
                "Key": to_attr({"email_id": email_id}),
                "UpdateExpression": "SET #s = :d, dispositioned_at = :now, dispositioned_by = :u REMOVE #o, expires_at",
                "ConditionExpression": "assigned_to = :u AND #s = :pending AND attempt = :a",
                "ExpressionAttributeNames": {"#s": "status", "#o": "open"},
                "ExpressionAttributeValues": to_attr(
                    {
                        ":d": disposition.value,
                        ":now": now,
                        ":u": user_id,
                        ":pending": EmailStatus.PENDING.value,
                        ":a": attempt,
                    }
                ),
            }
        }
        values: dict[str, Any] = {":e": email_id, ":seen": user.status.value, ":a": attempt}
        if next_email is not None:
            expression = (
                "SET current_email_id = :n, current_attempt = :na, current_lead_id = :nl, current_assigned_at = :now, "
                "last_assigned_at = :now"
            )
            values.update(
                {":n": next_email.email_id, ":na": next_email.attempt, ":nl": next_email.lead_id or "", ":now": now}
            )
        elif user.status is UserStatus.BUSY:
            # free again: back in line by when they last got work, so fairness does not drift
            last = user.last_assigned_at or now
            expression = (
                "SET #s = :online, available = :avail, idle_key = :idle "
                "REMOVE current_email_id, current_attempt, current_lead_id, current_assigned_at"
            )
            values.update({":online": UserStatus.ONLINE.value, ":avail": AVAILABLE, ":idle": idle_key(last, user_id)})
        else:  # offline or away while holding (disconnected): they stay as they are, free
            expression = "REMOVE current_email_id, current_attempt, current_lead_id, current_assigned_at"
        user_update = {
            "Update": {
                "TableName": self.users_table,
                "Key": to_attr({"user_id": user_id}),
                "UpdateExpression": expression,
                "ConditionExpression": "current_email_id = :e AND current_attempt = :a AND #s = :seen",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_attr(values),
            }
        }
        items = [email_update, user_update]
        if next_email is not None:
            items.append(
                self._assign_email_update(next_email.email_id, user_id, next_email.attempt, now, next_email.expires_at)
            )
        reasons = self._transact(items)
        if reasons is None:
            return DisposeOutcome.DONE
        if next_email is not None and reasons[:2] == ["None", "None"]:
            return DisposeOutcome.NEXT_TAKEN
        return DisposeOutcome.REFUSED

    def take_back(
        self,
        email_id: str,
        user_id: str,
        attempt: str,
        agent_status: UserStatus,
        now: str,
        *,
        grace: str | None = None,
    ) -> bool:
        """The email goes back in line at its old place, if this very attempt still holds it.

        With `grace`, only if the agent is still in that grace (no connection came back): it ends it.
        """
        user_condition = "current_attempt = :a"
        user_values: dict[str, Any] = {":st": agent_status.value, ":a": attempt}
        if grace is not None:
            user_condition += " AND grace = :g AND attribute_not_exists(connections)"
            user_values[":g"] = grace
        email_update = {
            "Update": {
                "TableName": self.emails_table,
                "Key": to_attr({"email_id": email_id}),
                "UpdateExpression": "SET #q = :q, pending_since = :now "
                "REMOVE assigned_to, assigned_at, attempt, expires_at ADD expiries :one",
                "ConditionExpression": "attempt = :a AND assigned_to = :u AND #s = :pending",
                "ExpressionAttributeNames": {"#q": "queue", "#s": "status"},
                "ExpressionAttributeValues": to_attr(
                    {
                        ":q": QUEUED,
                        ":now": now,
                        ":one": 1,
                        ":a": attempt,
                        ":u": user_id,
                        ":pending": EmailStatus.PENDING.value,
                    }
                ),
            }
        }
        user_update = {
            "Update": {
                "TableName": self.users_table,
                "Key": to_attr({"user_id": user_id}),
                "UpdateExpression": "SET #s = :st REMOVE current_email_id, current_attempt, current_lead_id, "
                "current_assigned_at, available, idle_key" + (", grace, grace_until" if grace is not None else ""),
                "ConditionExpression": user_condition,
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_attr(user_values),
            }
        }
        return self._transact([email_update, user_update]) is None

    def release(self, email_id: str, user_id: str, attempt: str, now: str) -> bool:
        """Undo an assignment that could not be armed: the email back at its place, the agent online and free.

        Unlike `take_back` (an expiry) it counts no expiry and leaves the agent online, at the back of the line.
        """
        email_update = {
            "Update": {
                "TableName": self.emails_table,
                "Key": to_attr({"email_id": email_id}),
                "UpdateExpression": "SET #q = :q REMOVE assigned_to, assigned_at, attempt, expires_at",
                "ConditionExpression": "attempt = :a AND assigned_to = :u AND #s = :pending",
                "ExpressionAttributeNames": {"#q": "queue", "#s": "status"},
                "ExpressionAttributeValues": to_attr(
                    {":q": QUEUED, ":a": attempt, ":u": user_id, ":pending": EmailStatus.PENDING.value}
                ),
            }
        }
        user_update = {
            "Update": {
                "TableName": self.users_table,
                "Key": to_attr({"user_id": user_id}),
                "UpdateExpression": "SET #s = :online, available = :avail, idle_key = :idle "
                "REMOVE current_email_id, current_attempt, current_lead_id, current_assigned_at",
                "ConditionExpression": "current_attempt = :a AND #s = :busy",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_attr(
                    {
                        ":online": UserStatus.ONLINE.value,
                        ":avail": AVAILABLE,
                        ":idle": idle_key(now, user_id),
                        ":a": attempt,
                        ":busy": UserStatus.BUSY.value,
                    }
                ),
            }
        }
        return self._transact([email_update, user_update]) is None

    def held_attempts(self, email_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """email id -> (agent, attempt) for those of `email_ids` that are Pending and held right now.

        One strongly consistent BatchGetItem per 100 emails: timers whose assignment is long over
        (dispositioned, or taken back) are told apart with a read, not a cancelled transaction each.
        """
        wanted = list(dict.fromkeys(email_ids))
        held: dict[str, tuple[str, str]] = {}
        for start in range(0, len(wanted), 100):
            keys: list[dict[str, Any]] = [to_attr({"email_id": e}) for e in wanted[start : start + 100]]
            rounds = 0
            while keys:
                rounds += 1
                response = call(
                    "batch_get_item",
                    RequestItems={
                        self.emails_table: {
                            "Keys": keys,
                            "ConsistentRead": True,
                            "ProjectionExpression": "email_id, #s, assigned_to, attempt",
                            "ExpressionAttributeNames": {"#s": "status"},
                        }
                    },
                )
                for raw in response.get("Responses", {}).get(self.emails_table, []):
                    item = from_attr(raw)
                    if item.get("status") == EmailStatus.PENDING.value and item.get("assigned_to"):
                        held[str(item["email_id"])] = (str(item["assigned_to"]), str(item.get("attempt")))
                keys = response.get("UnprocessedKeys", {}).get(self.emails_table, {}).get("Keys", [])
                if keys:
                    if rounds >= 10:
                        raise RuntimeError(f"DynamoDB left {len(keys)} emails unread after {rounds} rounds")
                    time.sleep(0.05 * rounds)
        return held

    def _transact(self, items: Sequence[dict[str, Any]]) -> list[str] | None:
        """None when committed; else the cancellation reason of each item."""
        try:
            call("transact_write_items", TransactItems=list(items))
            return None
        except TransactionCancelled as exc:
            return exc.reasons or ["Unknown"] * len(items)

    # ------------------------------------------------------------------ agents and their connections

    def add_connection(self, user_id: str, connection_id: str, now: str) -> User:
        response = call(
            "update_item",
            TableName=self.users_table,
            Key=to_attr({"user_id": user_id}),
            # back within a grace: it ends here, status and held email as they were
            UpdateExpression="SET kind = :k, updated_at = :now, #s = if_not_exists(#s, :offline) "
            "ADD connections :c REMOVE grace, grace_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=to_attr(
                {":k": AGENT_KIND, ":now": now, ":offline": UserStatus.OFFLINE.value, ":c": {connection_id}}
            ),
            ReturnValues="ALL_NEW",
        )
        return _user(response["Attributes"])

    def remove_connection(
        self, user_id: str, connection_id: str, now: str, *, grace: str | None = None, grace_until: str | None = None
    ) -> User | None:
        """Forget a connection. An agent left with none is offline (still holding whatever it held),
        or, given a `grace`, keeps status and email but leaves the line of free agents until it ends.
        """
        try:
            response = call(
                "update_item",
                TableName=self.users_table,
                Key=to_attr({"user_id": user_id}),
                UpdateExpression="SET updated_at = :now DELETE connections :c",
                ConditionExpression="attribute_exists(user_id)",
                ExpressionAttributeValues=to_attr({":now": now, ":c": {connection_id}}),
                ReturnValues="ALL_NEW",
            )
        except ConditionFailed:
            return None

        user = _user(response["Attributes"])
        if user.connections:
            return user
        if grace is not None and (user.status is not UserStatus.OFFLINE or user.current_email_id):
            try:
                response = call(
                    "update_item",
                    TableName=self.users_table,
                    Key=to_attr({"user_id": user_id}),
                    UpdateExpression="SET grace = :g, grace_until = :until REMOVE available, idle_key",
                    ConditionExpression="attribute_not_exists(connections)",
                    ExpressionAttributeValues=to_attr({":g": grace, ":until": grace_until or now}),
                    ReturnValues="ALL_NEW",
                )
                return _user(response["Attributes"])
            except ConditionFailed:
                return self.get_user(user_id)

        if user.status is UserStatus.OFFLINE:
            return user
        try:
            response = call(
                "update_item",
                TableName=self.users_table,
                Key=to_attr({"user_id": user_id}),
                UpdateExpression="SET #s = :offline REMOVE available, idle_key",
                ConditionExpression="attribute_not_exists(connections)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_attr({":offline": UserStatus.OFFLINE.value}),
                ReturnValues="ALL_NEW",
            )
            return _user(response["Attributes"])
        except ConditionFailed:
            return self.get_user(user_id)

    def end_grace(self, user_id: str, grace: str) -> bool:
        """Offline, if the agent is still in this grace and holds nothing (else see `take_back`)."""
        try:
            call(
                "update_item",
                TableName=self.users_table,
                Key=to_attr({"user_id": user_id}),
                UpdateExpression="SET #s = :offline REMOVE available, idle_key, grace, grace_until",
                ConditionExpression="grace = :g AND attribute_not_exists(connections) "
                "AND attribute_not_exists(current_email_id)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_attr({":offline": UserStatus.OFFLINE.value, ":g": grace}),
            )
            return True
        except ConditionFailed:
            return False

    def make_available(self, user_id: str, idle: str) -> bool:
        """Online and free, in line by `idle`; False when the agent holds an email."""
        return self._conditional_update(
            user_id,
            "SET #s = :online, available = :avail, idle_key = :idle",
            "attribute_exists(user_id) AND attribute_not_exists(current_email_id)",
            {":online": UserStatus.ONLINE.value, ":avail": AVAILABLE, ":idle": idle},
        )

    def make_unavailable(self, user_id: str, status: UserStatus) -> bool:
        """Away or offline; False when the agent holds an email."""
        return self._conditional_update(
            user_id,
            "SET #s = :st REMOVE available, idle_key",
            "attribute_exists(user_id) AND attribute_not_exists(current_email_id)",
            {":st": status.value},
        )

    def mark_busy(self, user_id: str, email_id: str) -> bool:
        """An agent back online while still holding an email is busy with it."""
        return self._conditional_update(
            user_id,
            "SET #s = :busy REMOVE available, idle_key",
            "current_email_id = :e",
            {":busy": UserStatus.BUSY.value, ":e": email_id},
        )

    def _conditional_update(self, user_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            call(
                "update_item",
                TableName=self.users_table,
                Key=to_attr({"user_id": user_id}),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_attr(values),
            )
            return True
        except ConditionFailed:
            return False
